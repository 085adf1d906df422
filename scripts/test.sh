#!/bin/sh
# test.sh: bootstrap the Debian packages, build simrun with warnings as errors, run the whole test suite.
# SR_SANITIZE=1 builds into build-asan/ with AddressSanitizer + UBSan instead.
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
if [ "${SR_SANITIZE:-0}" = 1 ]; then
    export SR_BUILD_DIR=build-asan
    sh scripts/build.sh -DSR_WERROR=ON -DSR_SANITIZE=ON -DSR_BUILD_BENCH=OFF
else
    export SR_BUILD_DIR=build
    sh scripts/build.sh -DSR_WERROR=ON
fi
cd "$SR_BUILD_DIR"
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 600
