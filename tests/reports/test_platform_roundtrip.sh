#!/bin/sh
# test_platform_roundtrip.sh SIMRUN: an experiment's platform written as SimGrid XML (`simrun platform`) and read
# back (`simrun platform --from-simgrid`, and `platform: { simgrid: FILE }` in the experiment) simulates the same:
# the experiment run with the original platform section, with the converted one and with the XML file named in it
# give the same metrics to the last digit. A file SimGrid cannot parse exits 2 and leaves no output; in an
# experiment, validate and run refuse it at the `simgrid:` line with SimGrid's message.
set -u
simrun=$1
tmp=$(mktemp -d /tmp/sr_platform_rt_XXXXXX)
trap '[ -n "${SR_KEEP:-}" ] || rm -rf "$tmp"' EXIT
cat >"$tmp/head.yaml" <<'YAML'
name: roundtrip
seed: 5
duration: 6s
YAML
cat >"$tmp/platform.yaml" <<'YAML'
platform:
  devices: # in name order, as SimGrid lists hosts: the energy sum then adds in the same order
    - { name: cam, class: edge, speed: 4Gf, power_idle: 1W, power_busy: 3W }
    - { name: cloud, class: edge, speed: 2Tf, power_idle: 50W, power_busy: 250W }
    - { name: edge, class: edge, speed: 50Gf, power_idle: 10W, power_busy: 40W }
  links:
    - { name: lan, type: ethernet, bandwidth: 40Mbps, latency: 2ms }
    - { name: wan, type: wan, bandwidth: 8Mbps, latency: 25ms }
  routes:
    - { src: cam, dst: edge, links: [lan] }
    - { src: cam, dst: cloud, links: [lan, wan] }
    - { src: edge, dst: cloud, links: [wan] }
YAML
cat >"$tmp/tail.yaml" <<'YAML'
models:
  - { name: net, source: mobilenetv2 }
workload:
  sources:
    - { name: video, devices: cam, model: net, fps: 4, arrival: poisson, resolution: 224x224 }
policy:
  - { type: cloud_only, target: cloud, frame_size: 20KiB }
  - { type: cloud_only, name: to_edge, target: edge, frame_size: 20KiB }
  - { type: device_only }
metrics: { frames: true, links: true, hosts: true }
YAML
cat "$tmp/head.yaml" "$tmp/platform.yaml" "$tmp/tail.yaml" >"$tmp/a.yaml"
"$simrun" platform "$tmp/a.yaml" -o "$tmp/a.xml" 2>/dev/null || { echo "FAIL: simrun platform"; exit 1; }
"$simrun" platform --from-simgrid "$tmp/a.xml" -o "$tmp/converted.yaml" || { echo "FAIL: --from-simgrid"; exit 1; }
cat "$tmp/converted.yaml"
cat "$tmp/head.yaml" "$tmp/converted.yaml" "$tmp/tail.yaml" >"$tmp/b.yaml"
{ cat "$tmp/head.yaml"; echo "platform: { simgrid: a.xml }"; cat "$tmp/tail.yaml"; } >"$tmp/c.yaml"
"$simrun" validate "$tmp/c.yaml" >/dev/null || { echo "FAIL: validate with platform.simgrid"; exit 1; }
for x in a b c; do
    "$simrun" run "$tmp/$x.yaml" --db "$tmp/$x.db" --no-report --quiet >/dev/null 2>"$tmp/$x.err" ||
        { cat "$tmp/$x.err"; echo "FAIL: run $x"; exit 1; }
done
q="SELECT r.policy, m.name, printf('%.17g', m.value) FROM runs r JOIN metrics m ON m.run_id = r.id
   WHERE m.name NOT LIKE 'exact%' ORDER BY r.policy, m.name"
sqlite3 "$tmp/a.db" "$q" >"$tmp/a.txt"
sqlite3 "$tmp/b.db" "$q" >"$tmp/b.txt"
n=$(wc -l <"$tmp/a.txt")
[ "$n" -ge 30 ] || { echo "FAIL: only $n metrics"; exit 1; }
diff "$tmp/a.txt" "$tmp/b.txt" || { echo "FAIL: the converted platform simulates differently"; exit 1; }
sqlite3 "$tmp/c.db" "$q" >"$tmp/c.txt"
diff "$tmp/a.txt" "$tmp/c.txt" || { echo "FAIL: platform.simgrid simulates differently"; exit 1; }
grep -q 'latency_p50_s' "$tmp/a.txt" || { echo "FAIL: no latency"; exit 1; }
echo "same $n metrics with the original and the converted platform"

printf '<?xml version="1.0"?>\n<platform version="4.1"><zone id="z" routing="Full"><host id="a"\n' >"$tmp/bad.xml"
"$simrun" platform --from-simgrid "$tmp/bad.xml" -o "$tmp/bad.yaml" 2>"$tmp/bad.err"
rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: a bad XML file exits $rc, expected 2"; cat "$tmp/bad.err"; exit 1; }
[ -e "$tmp/bad.yaml" ] && { echo "FAIL: a bad XML file left an output"; exit 1; }
grep -q 'bad.xml' "$tmp/bad.err" || { echo "FAIL: the message does not name the file"; cat "$tmp/bad.err"; exit 1; }

# the same bad file named in an experiment: exit 2, the message at the simgrid: line with SimGrid's own words
{ cat "$tmp/head.yaml"; echo "platform: { simgrid: bad.xml }"; cat "$tmp/tail.yaml"; } >"$tmp/d.yaml"
for cmd in validate "run --db $tmp/d.db"; do
    "$simrun" $cmd "$tmp/d.yaml" >/dev/null 2>"$tmp/d.err"
    rc=$?
    [ "$rc" -eq 2 ] || { echo "FAIL: $cmd with a bad simgrid file exits $rc"; cat "$tmp/d.err"; exit 1; }
    grep -q 'd.yaml:4:[0-9]*: error: platform.simgrid: SimGrid cannot read .*bad.xml: Parse error' "$tmp/d.err" ||
        { echo "FAIL: $cmd message"; cat "$tmp/d.err"; exit 1; }
    grep -q 'devices' "$tmp/d.err" && { echo "FAIL: $cmd adds errors about missing devices"; cat "$tmp/d.err"; exit 1; }
done
[ -e "$tmp/d.db" ] && { echo "FAIL: a refused experiment created its database"; exit 1; }
# simgrid: with devices: is refused; a missing file is named
{ cat "$tmp/head.yaml"; printf 'platform:\n  simgrid: a.xml\n  devices: []\n'; cat "$tmp/tail.yaml"; } >"$tmp/e.yaml"
"$simrun" validate "$tmp/e.yaml" >/dev/null 2>"$tmp/e.err" && { echo "FAIL: simgrid with devices accepted"; exit 1; }
grep -q 'e.yaml:6:3: error: platform.devices cannot be given with platform.simgrid' "$tmp/e.err" ||
    { echo "FAIL: mixed message"; cat "$tmp/e.err"; exit 1; }
{ cat "$tmp/head.yaml"; echo "platform: { simgrid: nowhere.xml }"; cat "$tmp/tail.yaml"; } >"$tmp/f.yaml"
"$simrun" validate "$tmp/f.yaml" >/dev/null 2>"$tmp/f.err" && { echo "FAIL: a missing file accepted"; exit 1; }
grep -q 'nowhere.xml: No such file' "$tmp/f.err" || { echo "FAIL: missing-file message"; cat "$tmp/f.err"; exit 1; }
exit 0
