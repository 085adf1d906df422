#!/bin/sh
# fuzz.sh: builds the libFuzzer targets with clang (build-fuzz/) and runs them, starting from their kept corpora
# (tests/codec/corpus for the decoders, tests/net/corpus for the trace readers, tests/fuzz/corpus/NAME for the
# experiment YAML, device profiles, ONNX, darknet .cfg and .weights, results databases, IDX image sets and the
# calibration tables). SR_FUZZ_TARGETS limits the run to some targets (names without fuzz_). A crash fails the
# script and leaves the input in build-fuzz/artifacts/: copy it into that corpus so that the normal suite replays
# it from then on (tests test_fuzz_replay_*).
#
# Two ways to run:
#   SR_FUZZ_SECONDS=N sh scripts/fuzz.sh     each target once for N s of wall clock (default 30; what CI runs)
#   SR_FUZZ_CPU_GOAL=S sh scripts/fuzz.sh    a campaign: each target in chunks of at most SR_FUZZ_CHUNK s (default
#       1200) until the ledger (SR_FUZZ_LEDGER, default build-fuzz/ledger.tsv) holds S s of its CPU time (user +
#       system, /usr/bin/time) since its last finding; SR_FUZZ_LANES=N runs N targets at once (default 1), at
#       nice 19. Each chunk appends a line to the ledger (start, target, commit, wall s, CPU s, executions,
#       outcome), so a campaign stopped (Ctrl-C, or `touch build-fuzz/STOP` to stop every running campaign
#       after its running chunks; the last to end removes it) goes on where it was when started again. A finding
#       ends that target's campaign, the others go on.
#   sh scripts/fuzz.sh summary [LEDGER]     per target: CPU s and executions since its last finding, findings
#   sh scripts/fuzz.sh grow                 replaces each target's grown corpus (tests/fuzz/grown/<target>) by the
#       smallest set of the inputs it and the campaigns' working corpora (build-fuzz/corpus-fuzz_<target>) hold
#       that reaches all they reach beyond the kept corpus (libFuzzer -merge=1); the normal suite replays it, and
#       every run starts from it
# SR_FUZZ_TIMEOUT is libFuzzer's per-input limit (default 20 s; a starved process on a loaded machine can pass it
# without a slow input: campaigns beside other work use 120).
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${SR_FUZZ_SECONDS:-30}
CPU_GOAL=${SR_FUZZ_CPU_GOAL:-}
CHUNK=${SR_FUZZ_CHUNK:-1200}
LANES=${SR_FUZZ_LANES:-1}
TIMEOUT=${SR_FUZZ_TIMEOUT:-20}
LEDGER=${SR_FUZZ_LEDGER:-build-fuzz/ledger.tsv}

# per target of a ledger: CPU s and executions since its last finding, chunks, findings, CPU s in all
summary() {
    [ -f "$1" ] || { echo "fuzz.sh: no ledger at $1" >&2; exit 2; }
    awk -F '\t' '
        /^#/ || NF < 7 { next }
        {
            t = $2; if (!(t in seen)) { seen[t] = 1; order[++n] = t }
            all[t] += $5
            if ($7 ~ /^finding/) { found[t]++; cpu[t] = 0; ex[t] = 0; chunks[t] = 0 }
            else { cpu[t] += $5; ex[t] += $6; chunks[t]++ }
        }
        END {
            printf "%-22s %12s %14s %7s %9s %12s\n", "target", "CPU s since", "executions", "chunks", "findings", "CPU s in all"
            for (i = 1; i <= n; i++) {
                t = order[i]
                printf "%-22s %12d %14.0f %7d %9d %12d\n", t, int(cpu[t]), ex[t], chunks[t], found[t], int(all[t])
            }
        }' "$1"
}
if [ "${1:-}" = summary ]; then
    summary "${2:-$LEDGER}"
    exit 0
fi
GROW=""
case ${1:-} in
'') ;;
grow) GROW=1 ;;
*) echo "fuzz.sh: unknown command '$1' (summary, grow, or none)" >&2; exit 2 ;;
esac
for v in "$SECONDS_EACH" "$CHUNK" "$LANES" "$TIMEOUT" ${CPU_GOAL:+"$CPU_GOAL"}; do
    case $v in '' | *[!0-9]*) echo "fuzz.sh: '$v' is not a whole number of seconds (or lanes)" >&2; exit 2 ;; esac
done
[ "$LANES" -ge 1 ] && [ "$CHUNK" -ge 1 ] || { echo "fuzz.sh: SR_FUZZ_LANES and SR_FUZZ_CHUNK must be at least 1" >&2; exit 2; }
if [ -n "$CPU_GOAL" ] && ! [ -x /usr/bin/time ]; then
    echo "fuzz.sh: a campaign measures CPU time with /usr/bin/time (Debian package time; scripts/bootstrap.sh)" >&2
    exit 2
fi
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
results:fuzz:tests/fuzz/corpus/results darknet_weights:fuzz:tests/fuzz/corpus/darknet_weights idx:fuzz:tests/fuzz/corpus/idx
tables:fuzz:tests/fuzz/corpus/tables merge:fuzz:tests/fuzz/corpus/merge"
# SR_FUZZ_TARGETS: these targets, in the order given (a campaign's lanes take them in that order)
RUN=""
if [ -z "${SR_FUZZ_TARGETS:-}" ]; then RUN=$ALL; fi
for name in ${SR_FUZZ_TARGETS:-}; do
    found=""
    for entry in $ALL; do
        [ "${entry%%:*}" = "${name#fuzz_}" ] && found=$entry
    done
    if [ -z "$found" ]; then
        echo "fuzz.sh: no fuzz target '$name' (there are: $(for e in $ALL; do printf '%s ' "${e%%:*}"; done))" >&2
        exit 2
    fi
    RUN="$RUN $found"
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

# the grown corpus of target $1 (fuzz_NAME), when there is one
grown() {
    g="tests/fuzz/grown/${1#fuzz_}"
    if [ -d "$g" ]; then echo "$g"; fi
}

# `grow` for target $1 (folder $2, kept corpus $3): merges into a copy of the kept corpus, then drops the copy
grow_target() {
    t=$1
    g="tests/fuzz/grown/${t#fuzz_}"
    tmp="build-fuzz/grow-$t"
    rm -rf "$tmp"
    mkdir -p "$tmp" "$g" "build-fuzz/corpus-$t"
    cp "$3"/* "$tmp"/
    if ! "build-fuzz/tests/$2/$t" -merge=1 -rss_limit_mb=2048 -timeout="$TIMEOUT" "$tmp" "$g" "build-fuzz/corpus-$t" \
        >"build-fuzz/$t.grow.log" 2>&1; then
        tail -n 20 "build-fuzz/$t.grow.log" >&2
        echo "fuzz: merging $t's corpora failed (build-fuzz/$t.grow.log)" >&2
        exit 1
    fi
    for f in "$3"/*; do rm -f "$tmp/${f##*/}"; done
    if [ -z "$(ls "$tmp")" ]; then
        echo "fuzz: $t: nothing reaches beyond the kept corpus; $g left as it was" >&2
        rm -rf "$tmp"
        return 0
    fi
    before=$(ls "$g" | wc -l)
    rm -rf "$g"
    mv "$tmp" "$g"
    echo "fuzz: $t: grown corpus of $(ls "$g" | wc -l) inputs, $(cat "$g"/* | wc -c) bytes (it had $before)"
}

# one chunk of target $1 (folder $2, corpus $3) for at most $4 s: appends its ledger line; returns 0 (clean),
# 1 (a finding) or 2 (interrupted)
chunk() {
    t=$1
    # the log and the times by campaign (its pid): two campaigns fuzzing one target at once wrote one log, and
    # a ledger line took the other's executions
    tf="build-fuzz/$t.$$.time" lg="build-fuzz/$t.$$.log"
    start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    rc=0
    /usr/bin/time -f "%e %U %S" -o "$tf" nice -n 19 "build-fuzz/tests/$2/$t" -max_total_time="$4" \
        -print_final_stats=1 -rss_limit_mb=2048 -timeout="$TIMEOUT" -artifact_prefix=build-fuzz/artifacts/ \
        "build-fuzz/corpus-$t" "$3" $(grown "$t") >"$lg" 2>&1 || rc=$?
    ex=$(sed -n 's/^stat::number_of_executed_units: *//p' "$lg" | tail -n 1)
    art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$lg" | head -n 1)
    # a sanitizer report the process survived (a build that recovers) is a finding too, if without its input
    ub=$(grep -m 1 'runtime error:' "$lg" | tr '\t' ' ' || true)
    if [ -z "$ub" ] && [ $rc -eq 0 ]; then
        outcome=clean
    elif [ -z "$ub" ] && [ $rc -eq 72 ]; then
        outcome=interrupted
    elif [ -z "$art" ] && [ -n "$ub" ]; then
        outcome="finding:a sanitizer report, no input kept ($lg): $ub"
    else
        outcome="finding:rc=$rc:${art:-no input written}"
    fi
    tail -n 1 "$tf" | awk -v s="$start" -v t="$t" -v c="$COMMIT" -v e="${ex:-0}" -v o="$outcome" \
        '{ printf "%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\n", s, t, c, $1, $2 + $3, e, o }' >>"$LEDGER"
    tail -n 1 "$LEDGER" | awk -F '\t' '{ printf "fuzz: %s: %.0f s of CPU in %.0f s, %s executions, %s\n", $2, $5, $4, $6, $7 }'
    case $outcome in
    clean) return 0 ;;
    interrupted) return 2 ;;
    esac
    tail -n 40 "$lg" >&2
    echo "fuzz: $t: a finding ($lg; an input libFuzzer kept is in build-fuzz/artifacts/: copy it into $3)" >&2
    echo "$t" >>"$FINDINGS"
    return 1
}

# CPU s in the ledger for target $1 since its last finding
cpu_since() {
    awk -F '\t' -v t="$1" '!/^#/ && $2 == t { if ($7 ~ /^finding/) s = 0; else s += $5 } END { printf "%d", s }' "$LEDGER"
}

# whether another campaign on this build-fuzz/ is running (its claims directory, named by its pid, is there and the
# pid is alive)
others_running() {
    for d in build-fuzz/claims.*; do
        [ -d "$d" ] || continue
        p=${d##*.}
        [ "$p" != $$ ] && kill -0 "$p" 2>/dev/null && return 0
    done
    return 1
}

# one lane of a campaign: takes the next unclaimed target and fuzzes it to the goal, until none is left
lane() {
    for entry in $RUN; do
        t=fuzz_${entry%%:*}
        rest=${entry#*:}
        mkdir "$CLAIMS/$t" 2>/dev/null || continue
        mkdir -p "build-fuzz/corpus-$t"
        while :; do
            [ -e build-fuzz/STOP ] && return 0
            used=$(cpu_since "$t")
            [ "$used" -lt "$CPU_GOAL" ] || { echo "fuzz: $t has $used s of CPU since its last finding (goal $CPU_GOAL)"; break; }
            left=$((CPU_GOAL - used + CPU_GOAL / 50 + 1))
            r=0
            chunk "$t" "${rest%%:*}" "${rest#*:}" $((left < CHUNK ? left : CHUNK)) || r=$?
            [ $r -eq 2 ] && return 0
            [ $r -eq 1 ] && break
        done
    done
}

if [ -n "$GROW" ]; then
    for entry in $RUN; do
        rest=${entry#*:}
        grow_target "fuzz_${entry%%:*}" "${rest%%:*}" "${rest#*:}"
    done
    exit 0
fi

if [ -n "$CPU_GOAL" ]; then
    COMMIT=$(git describe --always --dirty 2>/dev/null || echo unknown)
    [ -f "$LEDGER" ] || printf '# start\ttarget\tcommit\twall_s\tcpu_s\texecutions\toutcome\n' >"$LEDGER"
    # the lanes of this campaign claim targets here (another campaign has its own)
    CLAIMS="build-fuzz/claims.$$" FINDINGS="build-fuzz/findings.$$"
    rm -rf "$CLAIMS" "$FINDINGS"
    # build-fuzz/STOP ends every running campaign: one left from an ended campaign is removed, one meant for a
    # campaign still running is not (this one then ends at once, saying so)
    others_running || rm -f build-fuzz/STOP
    [ ! -e build-fuzz/STOP ] || echo "fuzz: build-fuzz/STOP is there for a running campaign; this one ends too" >&2
    mkdir "$CLAIMS"
    echo "fuzz: campaign to $CPU_GOAL s of CPU per target since its last finding, $LANES at a time, ledger $LEDGER"
    # Ctrl-C reaches every fuzzer, which ends its chunk (outcome "interrupted", its CPU time counted); the lanes,
    # which ignore it, see the STOP file and end too
    trap 'touch build-fuzz/STOP' INT TERM
    i=0
    while [ $i -lt "$LANES" ]; do
        lane &
        i=$((i + 1))
    done
    wait || true
    wait || true
    rm -rf "$CLAIMS"
    others_running || rm -f build-fuzz/STOP
    summary "$LEDGER"
    if [ -s "$FINDINGS" ]; then
        echo "fuzz: findings in: $(tr '\n' ' ' <"$FINDINGS")" >&2
        rm -f "$FINDINGS"
        exit 1
    fi
    exit 0
fi

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
        -timeout="$TIMEOUT" -artifact_prefix=build-fuzz/artifacts/ "$work" "$corpus" $(grown "$t") >"build-fuzz/$t.log" 2>&1 || {
        tail -n 40 "build-fuzz/$t.log" >&2
        echo "fuzz: $t found a crash; input in build-fuzz/artifacts/ (copy it into $corpus)" >&2
        exit 1
    }
    grep -E "stat::number_of_executed_units" "build-fuzz/$t.log" || true
    children_cpu >build-fuzz/cpu1.txt
    echo "fuzz: $t used $(awk -v a="$cpu0" '{ printf "%.1f", $1 - a }' build-fuzz/cpu1.txt) s of CPU"
done
