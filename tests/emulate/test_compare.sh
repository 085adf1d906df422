#!/bin/sh
# test_compare.sh SIMRUN: `simrun run`, `simrun emulate` and `simrun compare` on one database: a two-device split
# (tests/emulate/data/small.yaml, 3 frames). compare pairs the emulated run with the simulated run of its point:
# three metric rows, bytes_per_frame equal (+0.0 %); each device's quota line gives the priced rule; --tasks
# gives the plan's three tasks; a database without emulated runs is refused (exit 2); emulate without root says
# why (exit 2); an experiment with a link shared by two device pairs (data/shared.yaml) is refused before a
# database is written. Skipped (77) without root.
set -u
SIMRUN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: emulation needs root"; exit 77; }
T=$(mktemp -d /tmp/simrun-compare-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}
"$SIMRUN" run "$SRC/tests/emulate/data/small.yaml" --db "$T/r.db" >"$T/run.log" 2>&1 || fail "simrun run: $(cat "$T/run.log")"
"$SIMRUN" compare "$T/r.db" >"$T/none.txt" 2>&1
[ $? -eq 2 ] || fail "compare without emulated runs should exit 2"
grep -q "no emulated run" "$T/none.txt" || fail "compare without emulated runs: $(cat "$T/none.txt")"
"$SIMRUN" emulate "$SRC/tests/emulate/data/small.yaml" --db "$T/r.db" >"$T/emu.log" 2>&1 || fail "simrun emulate: $(cat "$T/emu.log")"
# both devices are priced by the host profile, which is also the host's: the priced ratio, 1 core each (no
# quota where this host has a single core)
[ "$(grep -c "emulate: device .*1\(\.0000\)\? cores.*priced: its plans' compute" "$T/emu.log")" -eq 2 ] ||
    fail "two quota lines by the priced rule expected: $(cat "$T/emu.log")"
"$SIMRUN" compare "$T/r.db" --metrics latency_p50_s,latency_p95_s,bytes_per_frame >"$T/cmp.txt" 2>&1 || fail "compare: $(cat "$T/cmp.txt")"
cat "$T/cmp.txt"
[ "$(grep -c '^emu-small ' "$T/cmp.txt")" -eq 3 ] || fail "3 metric rows expected"
grep '^emu-small .*bytes_per_frame' "$T/cmp.txt" | grep -q '1536 *1536 *+0.0 %' || fail "bytes_per_frame should be 1536 in both"
"$SIMRUN" compare "$T/r.db" --tasks >"$T/tasks.txt" 2>&1 || fail "compare --tasks: $(cat "$T/tasks.txt")"
cat "$T/tasks.txt"
[ "$(grep -c '^emu-small ' "$T/tasks.txt")" -eq 3 ] || fail "3 task rows (head, activation, tail) expected"
n=$(sqlite3 "$T/r.db" "SELECT count(*) FROM runs WHERE net_model = 'emulated' AND json_extract(params, '\$.mode') = 'emulated'")
[ "$n" -eq 1 ] || fail "one emulated run expected, found $n"
n=$(sqlite3 "$T/r.db" "SELECT count(*) FROM runs")
[ "$n" -eq 2 ] || fail "the simulated run stays beside the emulated one (2 runs), found $n"
# a platform link on the routes of two device pairs: refused before anything is recorded (no database)
"$SIMRUN" emulate "$SRC/tests/emulate/data/shared.yaml" --db "$T/s.db" >"$T/shared.txt" 2>&1
[ $? -eq 2 ] || fail "emulate of a shared link should exit 2: $(cat "$T/shared.txt")"
grep -q "link 'uplink' carries the routes of two device pairs" "$T/shared.txt" || fail "shared link: $(cat "$T/shared.txt")"
[ ! -e "$T/s.db" ] || fail "a refused experiment left a database behind"
if command -v setpriv >/dev/null 2>&1; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$SIMRUN" emulate "$SRC/tests/emulate/data/small.yaml" \
        --db "$T/x.db" >"$T/nonroot.txt" 2>&1
    [ $? -eq 2 ] || fail "emulate as a user should exit 2"
    grep -q "needs root" "$T/nonroot.txt" || fail "emulate as a user: $(cat "$T/nonroot.txt")"
fi
echo ok
