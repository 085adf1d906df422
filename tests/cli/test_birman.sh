#!/bin/sh
# test_birman.sh SIMRUN SOURCE_DIR: a reduced run of experiments/birman/ (4 s, one grid point) asserting the orderings
# docs/papers/birman.md reports: per fetch size, zero-copy RDMA < RDMA staged through host memory < TCP with a
# socket copy; the µ-service loop below the function-per-event loop, whose updates on a CPU load the model every
# event; and the function-per-event loop's update utilisation above the µ-service's.
set -u
simrun=$1
src=$2
tmp=$(mktemp -d /tmp/sr_birman_XXXXXX)
trap '[ -n "${SR_KEEP:-}" ] || rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
for f in knowledge-loop fetch-path; do
    sed -e 's/^duration: .*/duration: 4s/' -e 's#^output: .*#output: { db: r.db, figures: r }#' \
        -e 's/^  grid: .*/  grid: { workload.sources.events.fps: [0.5], platform.devices.sensor.count: [16] }/' \
        "$src/experiments/birman/$f.yaml" >"$f.yaml"
    "$simrun" run "$f.yaml" --db "$f.db" --no-report --quiet >/dev/null 2>"$f.err" || { cat "$f.err"; echo "FAIL: $f"; exit 1; }
done
m() { # m DB POLICY METRIC
    sqlite3 "$1.db" "SELECT value FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.policy = '$2' AND m.name = '$3'"
}
lt() { # lt A B: A < B (floating point)
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}
for size in 1M 32M 256M; do
    zc=$(m fetch-path "rdma-zc-$size" loop_fetch_mean_s)
    st=$(m fetch-path "rdma-$size" loop_fetch_mean_s)
    tcp=$(m fetch-path "tcp-$size" loop_fetch_mean_s)
    lt "$zc" "$st" && lt "$st" "$tcp" || { echo "FAIL: fetch $size: zero-copy $zc, staged $st, tcp $tcp"; exit 1; }
done
lt "$(m fetch-path rdma-zc-1M loop_fetch_mean_s)" "$(m fetch-path rdma-zc-32M loop_fetch_mean_s)" ||
    { echo "FAIL: a 32 MiB fetch is not slower than a 1 MiB one"; exit 1; }
for p in us-rdma-zc us-rdma us-tcp fn; do
    [ "$(m knowledge-loop $p loops_completed)" = "$(m knowledge-loop us-tcp loops_completed)" ] ||
        { echo "FAIL: $p completed another number of loops"; exit 1; }
done
zc=$(m knowledge-loop us-rdma-zc loop_latency_mean_s)
st=$(m knowledge-loop us-rdma loop_latency_mean_s)
tcp=$(m knowledge-loop us-tcp loop_latency_mean_s)
fn=$(m knowledge-loop fn loop_latency_mean_s)
lt "$zc" "$st" && lt "$st" "$tcp" && lt "$tcp" "$fn" ||
    { echo "FAIL: loop latency zero-copy $zc, staged $st, tcp $tcp, function per event $fn"; exit 1; }
lt "$(m knowledge-loop us-tcp update_utilization)" "$(m knowledge-loop fn update_utilization)" ||
    { echo "FAIL: the µ-service's GPU is busier than the functions' CPUs"; exit 1; }
lt 0 "$(m knowledge-loop fn loop_model_load_mean_s)" || { echo "FAIL: function per event loaded no model"; exit 1; }
[ "$(m knowledge-loop us-tcp loop_model_load_mean_s)" = "0.0" ] || { echo "FAIL: the µ-service loaded the model"; exit 1; }
echo "ok"
