#!/bin/sh
# fuzz.sh: builds the libFuzzer targets with clang (build-fuzz/) and runs each for a bounded time
# (SR_FUZZ_SECONDS, default 30) starting from its kept corpus (tests/codec/corpus for the decoders,
# tests/net/corpus for the trace readers, tests/fuzz/corpus/NAME for the experiment YAML, device profiles, ONNX,
# darknet .cfg and results databases). SR_FUZZ_TARGETS limits the run to some targets (names without fuzz_). A crash fails the script and leaves the input in
# build-fuzz/artifacts/: copy it into that corpus so that the normal suite replays it from then on (tests
# test_fuzz_replay_*).
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${SR_FUZZ_SECONDS:-30}
# a leak inside libfyaml itself is suppressed (tests/fuzz/lsan.supp says which and why)
LSAN_OPTIONS="suppressions=$(pwd)/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DSR_FUZZ=ON -DSR_BUILD_BENCH=OFF >build-fuzz.configure.log 2>&1 || {
    cat build-fuzz.configure.log >&2
    exit 1
}
# target:folder of its sources:its corpus
ALL="codec_decode:codec:tests/codec/corpus entropy_decode:codec:tests/codec/corpus jpeg_decode:codec:tests/codec/corpus
y4m_read:codec:tests/codec/corpus trace_read:net:tests/net/corpus config:fuzz:tests/fuzz/corpus/config
profile:fuzz:tests/fuzz/corpus/profile onnx:fuzz:tests/fuzz/corpus/onnx darknet:fuzz:tests/fuzz/corpus/darknet
results:fuzz:tests/fuzz/corpus/results"
WANT=${SR_FUZZ_TARGETS:-}
RUN=""
for entry in $ALL; do
    name=${entry%%:*}
    if [ -z "$WANT" ] || echo " $WANT " | grep -q " $name "; then RUN="$RUN $entry"; fi
done
TARGETS=""
for entry in $RUN; do TARGETS="$TARGETS fuzz_${entry%%:*}"; done
cmake --build build-fuzz --target $TARGETS -j 2 >build-fuzz.build.log 2>&1 || {
    tail -n 40 build-fuzz.build.log >&2
    exit 1
}
mkdir -p build-fuzz/artifacts
# CPU seconds (user + system) of this shell's finished children so far, from the `times` builtin: the CPU time a
# target really got (its wall time overstates it on a loaded machine; docs/fuzzing.md counts CPU time)
# (`times` runs in this shell, not in a command substitution, whose children would be its own)
children_cpu() {
    times >build-fuzz/times.txt
    sed -n 2p build-fuzz/times.txt | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.1f", t }'
}
for entry in $RUN; do
    t=fuzz_${entry%%:*}
    rest=${entry#*:}
    area=${rest%%:*}
    corpus=${rest#*:}
    work="build-fuzz/corpus-$t"
    mkdir -p "$work"
    echo "fuzz: $t for ${SECONDS_EACH}s"
    children_cpu >build-fuzz/cpu0.txt
    cpu0=$(cat build-fuzz/cpu0.txt)
    "build-fuzz/tests/$area/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 \
        -timeout=20 -artifact_prefix=build-fuzz/artifacts/ "$work" "$corpus" >"build-fuzz/$t.log" 2>&1 || {
        tail -n 40 "build-fuzz/$t.log" >&2
        echo "fuzz: $t found a crash; input in build-fuzz/artifacts/ (copy it into $corpus)" >&2
        exit 1
    }
    grep -E "stat::number_of_executed_units" "build-fuzz/$t.log" || true
    children_cpu >build-fuzz/cpu1.txt
    echo "fuzz: $t used $(awk -v a="$cpu0" '{ printf "%.1f", $1 - a }' build-fuzz/cpu1.txt) s of CPU"
done
