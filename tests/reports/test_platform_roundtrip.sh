#!/bin/sh
# test_platform_roundtrip.sh SIMRUN: an experiment's platform written as SimGrid XML (`simrun platform`) and read
# back (`simrun platform --from-simgrid`) simulates the same: the experiment run with the original platform section
# and with the converted one give the same metrics to the last digit. A file SimGrid cannot parse exits 2 and
# leaves no output.
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
for x in a b; do
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
grep -q 'latency_p50_s' "$tmp/a.txt" || { echo "FAIL: no latency"; exit 1; }
echo "same $n metrics with the original and the converted platform"

printf '<?xml version="1.0"?>\n<platform version="4.1"><zone id="z" routing="Full"><host id="a"\n' >"$tmp/bad.xml"
"$simrun" platform --from-simgrid "$tmp/bad.xml" -o "$tmp/bad.yaml" 2>"$tmp/bad.err"
rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: a bad XML file exits $rc, expected 2"; cat "$tmp/bad.err"; exit 1; }
[ -e "$tmp/bad.yaml" ] && { echo "FAIL: a bad XML file left an output"; exit 1; }
grep -q 'bad.xml' "$tmp/bad.err" || { echo "FAIL: the message does not name the file"; cat "$tmp/bad.err"; exit 1; }
exit 0
