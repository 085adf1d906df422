#!/bin/sh
# fuzz.sh: builds the libFuzzer targets with clang (build-fuzz/) and runs each for a bounded time
# (SR_FUZZ_SECONDS, default 30) starting from its kept corpus (tests/codec/corpus for the decoders,
# tests/net/corpus for the trace readers). A crash fails the script and leaves the input in
# build-fuzz/artifacts/: copy it into that corpus so that the normal suite replays it from then on (tests
# test_fuzz_replay_*).
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${SR_FUZZ_SECONDS:-30}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DSR_FUZZ=ON -DSR_BUILD_BENCH=OFF >build-fuzz.configure.log 2>&1 || {
    cat build-fuzz.configure.log >&2
    exit 1
}
cmake --build build-fuzz --target fuzz_codec_decode fuzz_entropy_decode fuzz_jpeg_decode fuzz_y4m_read \
    fuzz_trace_read -j 2 >build-fuzz.build.log 2>&1 || {
    tail -n 40 build-fuzz.build.log >&2
    exit 1
}
mkdir -p build-fuzz/artifacts
for t in fuzz_codec_decode fuzz_entropy_decode fuzz_jpeg_decode fuzz_y4m_read fuzz_trace_read; do
    area=codec
    [ "$t" = fuzz_trace_read ] && area=net
    work="build-fuzz/corpus-$t"
    mkdir -p "$work"
    echo "fuzz: $t for ${SECONDS_EACH}s"
    "build-fuzz/tests/$area/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -artifact_prefix=build-fuzz/artifacts/ "$work" "tests/$area/corpus" >"build-fuzz/$t.log" 2>&1 || {
        tail -n 40 "build-fuzz/$t.log" >&2
        echo "fuzz: $t found a crash; input in build-fuzz/artifacts/" >&2
        exit 1
    }
    grep -E "stat::number_of_executed_units" "build-fuzz/$t.log" || true
done
