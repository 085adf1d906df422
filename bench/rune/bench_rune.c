/* bench_rune.c: times the sine MLP natively and through the WebAssembly rune with each serialization
 * (sr_rune_measure), for 1k to 1M inferences as in Lootus et al. Fig. 3, and prints eq. (1)'s overhead, i.e.
 * the ratio to the native anchor measured in the same run. Usage: bench_rune [max_inferences] [reps]. */
#include <stdio.h>
#include <stdlib.h>

#include "sr_rune_host.h"

int main(int argc, char **argv)
{
    long max_n = argc > 1 ? atol(argv[1]) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (!sr_rune_host_available()) {
        fprintf(stderr, "bench_rune: built without the WebAssembly rune (SR_WITH_WASM)\n");
        return 2;
    }
    printf("%10s %12s %12s %14s %9s %9s %8s %8s\n", "inferences", "native_us", "rust_us", "protobuf_us",
           "ovh_rust", "ovh_pb", "B_rust", "B_pb");
    for (long n = 1000; n <= max_n; n *= 10) {
        sr_rune_measurement m;
        if (sr_rune_measure(n, reps, 1, &m) != SR_OK) {
            fprintf(stderr, "bench_rune: measurement failed\n");
            return 1;
        }
        double tn = m.inference_s[SR_RUNE_NATIVE];
        printf("%10ld %12.4f %12.4f %14.4f %8.1f%% %8.1f%% %8.0f %8.0f\n", n, 1e6 * tn,
               1e6 * m.inference_s[SR_RUNE_RUST], 1e6 * m.inference_s[SR_RUNE_PROTOBUF],
               100 * (m.inference_s[SR_RUNE_RUST] - tn) / tn, 100 * (m.inference_s[SR_RUNE_PROTOBUF] - tn) / tn,
               m.bytes_per_inference[SR_RUNE_RUST], m.bytes_per_inference[SR_RUNE_PROTOBUF]);
    }
    return 0;
}
