#!/bin/sh
# test_profile_run.sh SIMRUN: an experiment whose device names a profile file (written like `simrun calibrate
# --out`) is priced by that file's fitted model: a copy of the shipped host profile gives the same latency as
# `profile: host`, to the last bit; the same copy with twice the peak speed gives a shorter one.
set -u
simrun=$1
tmp=$(mktemp -d /tmp/sr_profile_run_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$simrun" show profile host >/dev/null || { echo "FAIL: simrun show profile host"; exit 1; }
host=$(dirname "$0")/../../calibration/profiles/host.yaml
sed 's/^name: "host"/name: "mine"/' "$host" >"$tmp/mine.yaml"
awk '/^  speed_flops:/ { printf "  speed_flops: %.17g\n", $2 * 2; next } { print }' "$tmp/mine.yaml" >"$tmp/fast.yaml"
grep -q 'speed_flops' "$tmp/fast.yaml" || { echo "FAIL: no speed_flops in $host"; exit 1; }
p50() { # p50 PROFILE: median latency of device_only on a device with that profile
    cat >"$tmp/e.yaml" <<YAML
name: profile-test
duration: 4s
platform:
  devices:
    - { name: cam, profile: $1 }
models:
  - { name: net, source: mobilenetv2 }
workload:
  sources:
    - { name: v, devices: cam, model: net, fps: 2, resolution: 224x224 }
policy:
  - { type: device_only }
metrics: { frames: false }
YAML
    rm -f "$tmp/r.db"
    "$simrun" run "$tmp/e.yaml" --db "$tmp/r.db" --no-report --quiet >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; echo "run failed" >&2; return 1; }
    sqlite3 "$tmp/r.db" "SELECT printf('%.17g', value) FROM metrics WHERE name = 'latency_p50_s'"
}
a=$(p50 host) || exit 1
b=$(p50 mine.yaml) || exit 1
c=$(p50 fast.yaml) || exit 1
echo "p50: host $a, mine.yaml $b, fast.yaml $c"
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: the file's profile does not price like host"; exit 1; }
awk -v b="$b" -v c="$c" 'BEGIN { exit !(c < b) }' || { echo "FAIL: twice the speed is not faster"; exit 1; }
exit 0
