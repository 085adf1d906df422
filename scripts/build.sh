#!/bin/sh
# build.sh: configure and build simrun into build/ (or $SR_BUILD_DIR). Extra arguments go to cmake.
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${SR_BUILD_DIR:-build}
JOBS=${SR_JOBS:-$(nproc 2>/dev/null || echo 2)}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"${BUILD_DIR}.configure.log" 2>&1 || {
    cat "${BUILD_DIR}.configure.log" >&2
    exit 1
}
cmake --build "$BUILD_DIR" -j "$JOBS" >"${BUILD_DIR}.build.log" 2>&1 || {
    tail -n 60 "${BUILD_DIR}.build.log" >&2
    echo "build failed; full log in ${BUILD_DIR}.build.log" >&2
    exit 1
}
