#!/bin/sh
# validate-emulation.sh: regenerates the table of docs/validation.md: for every experiment that supports emulation
# (experiments/quickstart.yaml, experiments/split-brain.yaml, experiments/best-split.yaml, experiments/lte-trace.yaml,
# and Zhou et al.'s all-in-one at 500 millicores), the simulated and the
# emulated p50 / p95 latency of every point, with every device priced by a profile of this host measured now
# (simrun calibrate) and the emulated devices' CPU quotas taken from the same profile. Needs root (simrun
# emulate). The load average is sampled every 10 s during the run and stated beside the tables.
#
#   sudo sh scripts/validate-emulation.sh [OUT_DIR]       (default results/validation; build dir: $SR_BUILD_DIR or build)
#
# quickstart runs at 1 replication and 8 s (about 24 frames per point, the first 2 s a warm-up), split-brain and
# lte-trace as shipped (10 s, 20 frames; 20 s, 100 frames). The simulated and the emulated run of a point see
# the same frames at the same capture times (same seed, same arrival stream), and in split-brain the same
# rendered video and weights.
set -eu
cd "$(dirname "$0")/.."
BUILD=${SR_BUILD_DIR:-build}
OUT=${1:-results/validation}
SIMRUN="$BUILD/simrun"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DB="$OUT/validation.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
(while :; do cut -d' ' -f1 /proc/loadavg; sleep 10; done) >"$OUT/load.txt" &
SAMPLER=$!
trap 'kill $SAMPLER 2>/dev/null' EXIT
# the full calibration (~40 s): --quick's fit prices MobileNetV2 at 6.2 ms on this host, the full one 7.4 ms,
# for 7.2 ms (fastest) / 7.9 ms (mean) of a real back-to-back forward on one core
echo "== calibrating this host (simrun calibrate)" >&2
"$SIMRUN" calibrate --out "$OUT/host.yaml" >&2
variant() { # experiment file, extra sed expressions
    exp=$1
    shift
    name=$(basename "$exp" .yaml)
    sed -e "s|profile: [A-Za-z0-9_.-]*|profile: $OUT/host.yaml|g" \
        -e "s|db: [^,}]*|db: $DB|" -e "s|figures: [^,}]*|figures: $OUT/$name|" "$@" "$exp" >"$OUT/$name.yaml"
    echo "$OUT/$name.yaml"
}
QS=$(variant experiments/quickstart.yaml -e 's|^duration: .*|duration: 8s|' -e 's|replications: [0-9]*|replications: 1|')
SB=$(variant experiments/split-brain.yaml)
# best_split (Neurosurgeon's choice of cut, by latency and by energy) beside the fixed policies, at 8 s as quickstart
BS=$(variant experiments/best-split.yaml -e 's|^duration: .*|duration: 8s|')
# the uplink's bandwidth follows a mahimahi trace (its path made absolute: the variant lives in OUT_DIR)
LT=$(variant experiments/lte-trace.yaml -e "s|traces/|$(pwd)/experiments/traces/|")
for y in "$QS" "$SB" "$BS" "$LT"; do
    echo "== simulating $y" >&2
    "$SIMRUN" run "$y" --jobs 1 >&2
    echo "== emulating $y" >&2
    "$SIMRUN" emulate "$y" --host-profile "$OUT/host.yaml" >&2
done
# the camera as shipped (profile camera-soc: a CPU quota of a fraction of a core), device_only alone (the cloud's
# v100 is faster than this host, which cannot emulate it)
DEV="$OUT/devices.db"
rm -f "$DEV" "$DEV-wal" "$DEV-shm"
sed -e 's|^name: quickstart|name: quickstart-camera-soc|' -e 's|^duration: .*|duration: 8s|' \
    -e 's|replications: [0-9]*|replications: 1|' -e '/type: cloud_only/d' -e '/type: split/d' \
    -e "s|db: [^,}]*|db: $DEV|" -e "s|figures: [^,}]*|figures: $OUT/devices|" experiments/quickstart.yaml >"$OUT/devices.yaml"
echo "== simulating and emulating $OUT/devices.yaml" >&2
"$SIMRUN" run "$OUT/devices.yaml" --jobs 1 >&2
"$SIMRUN" emulate "$OUT/devices.yaml" --host-profile "$OUT/host.yaml" >&2
{
    "$SIMRUN" compare "$DEV" --metrics latency_p50_s,latency_p95_s --markdown
    echo
    "$SIMRUN" compare "$DEV" --tasks --markdown
} >"$OUT/devices.md"
# Zhou et al.'s own testbed (experiments/zhou/zhou-500m.yaml): the hub as a Xeon E5-2620 core at 500 millicores
# running VGG16 alone (all-in-one), a frame every 4 s for 20 s instead of every 120 s for 3.3 h. Its other policies
# are not emulated yet: the pipeline's routes share links, parallel and (at most bandwidths) the partition search
# tile layers. The profile as shipped: the hub's quota is this host's price of VGG16 over the Xeon's at 500m.
ZDB="$OUT/zhou.db"
rm -f "$ZDB" "$ZDB-wal" "$ZDB-shm"
sed -e 's|^duration: .*|duration: 20s|' -e 's|fps: 0.008333333333333333|fps: 0.25|' \
    -e 's|bandwidth: \[500Kbps, 5Mbps, 200Mbps\]|bandwidth: [200Mbps]|g' \
    -e '/type: pipeline/d' -e '/name: parallel, type: parallel/,/schemes:/d' -e '/type: partition_search/d' \
    -e "s|db: [^,}]*|db: $ZDB|" -e "s|figures: [^,}]*|figures: $OUT/zhou|" experiments/zhou/zhou-500m.yaml >"$OUT/zhou.yaml"
echo "== simulating and emulating $OUT/zhou.yaml" >&2
"$SIMRUN" run "$OUT/zhou.yaml" --jobs 1 >&2
"$SIMRUN" emulate "$OUT/zhou.yaml" --host-profile "$OUT/host.yaml" >&2
{
    "$SIMRUN" compare "$ZDB" --metrics latency_p50_s,latency_p95_s --markdown
    echo
    "$SIMRUN" compare "$ZDB" --tasks --markdown
} >"$OUT/zhou.md"
"$SIMRUN" compare "$DB" --metrics latency_p50_s,latency_p95_s,bytes_per_frame --markdown >"$OUT/table.md"
"$SIMRUN" compare "$DB" --tasks --markdown >"$OUT/tasks.md"
cat "$OUT/table.md" "$OUT/tasks.md" "$OUT/devices.md" "$OUT/zhou.md"
# the tables go between the markers <!-- table:begin --> / <!-- table:end --> (and tasks:, devices:, zhou:) of
# docs/validation.md
DOC=docs/validation.md
if [ -f "$DOC" ]; then
    LOAD=$(sort -n "$OUT/load.txt" | awk '{ v[NR] = $1; s += $1 } END { if (NR) printf "1-minute load average sampled every 10 s: median %s, range %s-%s, mean %.1f, %d samples", v[int((NR + 1) / 2)], v[1], v[NR], s / NR, NR }')
    awk -v dir="$OUT" -v when="$(date -u +%Y-%m-%dT%H:%MZ)" -v load="$LOAD" '
        /<!-- (table|tasks|devices|zhou):begin -->/ {
            print; name = $0; sub(/.*<!-- /, "", name); sub(/:begin.*/, "", name)
            print ""; print "Generated " when " by `sh scripts/validate-emulation.sh` (" load ")."; print ""
            f = dir "/" name ".md"; while ((getline line < f) > 0) print line; close(f); print ""; skip = 1; next }
        /<!-- (table|tasks|devices|zhou):end -->/ { skip = 0 }
        !skip { print }' "$DOC" >"$OUT/validation.md.new"
    mv "$OUT/validation.md.new" "$DOC"
    echo "updated $DOC" >&2
fi
