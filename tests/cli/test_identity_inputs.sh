#!/bin/sh
# test_identity_inputs.sh SIMRUN SOURCE_DIR: the files an experiment reads are part of its identity. A run, then a
# --resume after the arrival trace changed (same YAML text): the experiment's hash changes, simrun says the points
# start afresh, and the new rows follow the new trace; with the trace unchanged, --resume computes nothing.
set -u
simrun=$1
src=$2
tmp=$(mktemp -d /tmp/sr_identity_XXXXXX)
trap '[ -n "${SR_KEEP:-}" ] || rm -rf "$tmp"' EXIT
mkdir "$tmp/traces"
cp "$src/experiments/traces/motion-events.csv" "$tmp/traces/"
sed -e 's/^duration: .*/duration: 4s/' -e 's/count: 12/count: 2/' \
    -e 's#^output: .*#output: { db: r.db, figures: r }#' "$src/experiments/sensor-events.yaml" >"$tmp/exp.yaml"
cd "$tmp" || exit 1
"$simrun" run exp.yaml --no-report --quiet >/dev/null 2>run1.err || { cat run1.err; echo "FAIL: first run"; exit 1; }
h1=$(sqlite3 r.db "SELECT hash FROM experiments")
n1=$(sqlite3 r.db "SELECT count(*) FROM frames")
"$simrun" run exp.yaml --resume --no-report --quiet >/dev/null 2>run2.err || { cat run2.err; echo "FAIL: resume"; exit 1; }
[ "$(sqlite3 r.db "SELECT count(*) FROM runs")" -eq 2 ] || { echo "FAIL: an unchanged resume ran points again"; exit 1; }
# the same text, another trace: half the events (every other line of data)
awk 'NR == 1 || /^#/ || NR % 2 == 0' traces/motion-events.csv >t.csv && mv t.csv traces/motion-events.csv
"$simrun" validate exp.yaml >/dev/null || { echo "FAIL: validate after the trace changed"; exit 1; }
"$simrun" run exp.yaml --resume --no-report --quiet >/dev/null 2>run3.err || { cat run3.err; echo "FAIL: rerun"; exit 1; }
h2=$(sqlite3 r.db "SELECT hash FROM experiments ORDER BY id DESC LIMIT 1")
[ "$h1" != "$h2" ] || { echo "FAIL: a changed trace kept the hash $h1"; exit 1; }
grep -q "changed since the runs in r.db.*start afresh" run3.err || { cat run3.err; echo "FAIL: no note"; exit 1; }
n2=$(sqlite3 r.db "SELECT count(*) FROM frames f JOIN runs r ON r.id = f.run_id JOIN experiments e
                   ON e.id = r.experiment_id WHERE e.hash = '$h2'")
[ "$(sqlite3 r.db "SELECT count(*) FROM runs")" -eq 4 ] || { echo "FAIL: the new experiment's points did not run"; exit 1; }
[ "$n2" -gt 0 ] && [ "$n2" -lt "$n1" ] || { echo "FAIL: frames $n1 before, $n2 with half the trace"; exit 1; }
echo "hash $h1 -> $h2, frames $n1 -> $n2"
exit 0
