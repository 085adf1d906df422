/* sr_profile.c: built-in roofline device profiles and their sources.
 *
 * Peak = cores x clock x fp32 flops/cycle (vendor figures). Efficiencies are assumptions until
 * `simrun calibrate` (issue 5) replaces them with fitted models; they are labelled as such. */
#include "sr_profile.h"

#include <string.h>

static const sr_profile profiles[] = {
    {"camera-soc", "camera", "smart-camera SoC, 4x Cortex-A7 @ 1.2 GHz", 1.2e9 * 4, 4, 0.25, 3.2e9, 1.5, 3.0,
     "peak: 4 cores x 1.2 GHz x 4 fp32 flop/cycle (NEON); efficiency 0.25 assumed; power typical of "
     "IP-camera SoCs"},
    {"mcu-h7", "mcu", "Arduino Portenta H7 (STM32H747, Cortex-M7 @ 480 MHz)", 480e6 * 2, 1, 0.3, 1.0e9, 0.15,
     0.45,
     "ST STM32H747 datasheet: Cortex-M7 at 480 MHz with a single-precision FPU (1 FMA/cycle = 2 flop); "
     "efficiency 0.3 assumed; power from the datasheet's run-mode current at 3.3 V"},
    {"rpi3", "iot", "Raspberry Pi 3 B (4x Cortex-A53 @ 1.2 GHz)", 1.2e9 * 4, 4, 0.2, 2.0e9, 1.4, 3.7,
     "peak: 4 x 1.2 GHz x 4 fp32 flop/cycle; power: Raspberry Pi Foundation figures for idle / "
     "full load; efficiency 0.2 assumed"},
    {"rpi4", "iot", "Raspberry Pi 4 B (4x Cortex-A72 @ 1.5 GHz)", 1.5e9 * 8, 4, 0.25, 4.0e9, 2.7, 6.4,
     "peak: 4 x 1.5 GHz x 8 fp32 flop/cycle (2x 128-bit NEON FMA); idle/load power as commonly measured "
     "for the Pi 4 B; efficiency 0.25 assumed"},
    {"jetson-tx1", "gpu", "NVIDIA Jetson TX1 (256 Maxwell CUDA cores)", 512e9, 1, 0.4, 25.6e9, 3.5, 15.0,
     "NVIDIA: 1 TFLOPS fp16 / 512 GFLOPS fp32, 25.6 GB/s LPDDR4, 10-15 W module; In-situ AI "
     "(shared/seeds/003) uses a TX1 as its IoT GPU; efficiency 0.4 assumed"},
    {"jetson-nano", "gpu", "NVIDIA Jetson Nano (128 Maxwell CUDA cores)", 236e9, 1, 0.4, 25.6e9, 1.5, 10.0,
     "NVIDIA: 472 GFLOPS fp16 / 236 GFLOPS fp32, 25.6 GB/s, 5-10 W modes; efficiency 0.4 assumed"},
    {"titanx", "cloud", "NVIDIA Titan X (Pascal) cloud GPU", 11e12, 1, 0.5, 480e9, 15.0, 250.0,
     "NVIDIA: 11 TFLOPS fp32, 480 GB/s GDDR5X, 250 W board power; In-situ AI's cloud GPU; efficiency 0.5 "
     "assumed"},
    {"v100", "cloud", "NVIDIA Tesla V100 (PCIe) cloud GPU", 14e12, 1, 0.5, 900e9, 25.0, 250.0,
     "NVIDIA V100 PCIe datasheet: 14 TFLOPS fp32, 900 GB/s HBM2, 250 W; efficiency 0.5 assumed"},
    {"vx690t", "fpga", "Xilinx Virtex-7 VX690T FPGA accelerator", 3600.0 * 2 * 150e6, 1, 0.8, 12.8e9, 5.0,
     25.0,
     "Xilinx DS180: 3600 DSP48E1 slices; 2 ops/DSP/cycle at the 150 MHz In-situ AI (shared/seeds/003) "
     "designs run at; efficiency 0.8 assumed for a well-tiled engine; power assumed"},
    {"xeon-e5-2620", "edge", "Intel Xeon E5-2620 (6 cores @ 2.0 GHz, Sandy Bridge) server", 2.0e9 * 16, 6, 0.5,
     42.6e9, 50.0, 95.0,
     "Intel ARK: 6 cores, 2.0 GHz, AVX (16 fp32 flop/cycle), 4x DDR3-1333 = 42.6 GB/s, 95 W TDP; "
     "idle power and efficiency assumed"},
    {"cloud-cpu", "cloud", "cloud VM, 16 vCPU AVX2 @ 2.5 GHz", 2.5e9 * 32, 16, 0.5, 100e9, 60.0, 200.0,
     "peak: 16 x 2.5 GHz x 32 fp32 flop/cycle (2 AVX2 FMA units); power and efficiency assumed"},
};

int sr_profile_count(void)
{
    return (int)(sizeof profiles / sizeof profiles[0]);
}

const sr_profile *sr_profile_at(int i)
{
    if (i < 0 || i >= sr_profile_count()) return NULL;
    return &profiles[i];
}

const sr_profile *sr_profile_find(const char *name)
{
    for (int i = 0; i < sr_profile_count(); i++)
        if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
    return NULL;
}
