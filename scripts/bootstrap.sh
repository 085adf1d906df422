#!/bin/sh
# bootstrap.sh: installs the Debian 12 packages simrun needs. Idempotent; silent when all are present.
# Run as root (or with sudo available).
# gnuplot-nox has the cairo terminals (pdfcairo, pngcairo) the reports use; chromium renders the report page
# in a test (tests/reports/test_report_browser.sh). clang's wasm32 target with lld (wasm-ld), wabt (wasm2c,
# wasm-interp), wasi-libc and the wasm32 compiler-rt build the WebAssembly rune (models/rune).
# iproute2 (ip, tc) builds the emulated testbed (simrun emulate).
# dataset-fashion-mnist is the image set `simrun train` learns on (In-situ AI, docs/papers/insitu.md); zlib
# reads its .gz IDX files. time (/usr/bin/time) measures each fuzzing chunk's CPU time (scripts/fuzz.sh).
set -eu

PKGS="build-essential cmake pkg-config git
libsimgrid-dev libgsl-dev libsqlite3-dev sqlite3 libopenblas-dev libcmocka-dev gnuplot-nox
libfyaml-dev protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata
libjpeg62-turbo-dev libx264-dev libzstd-dev clang libclang-rt-14-dev
lld wabt wasi-libc libclang-rt-14-dev-wasm32
chromium
libopenmpi-dev openmpi-bin slurmctld slurmd slurm-client munge
iproute2
zlib1g-dev dataset-fashion-mnist time"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "bootstrap: missing packages:$missing; run as root to install them" >&2
        exit 1
    fi
fi
echo "bootstrap: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
