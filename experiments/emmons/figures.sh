#!/bin/sh
# figures.sh OUTDIR: Emmons et al.'s figures and tables from the databases run.sh wrote in OUTDIR
# (amplification.db, codecs.db, tradeoff.db); reads SQLite only, writes OUTDIR/*.dat, *.txt and *.svg.
set -eu
out=$1
q() { sqlite3 -separator ' ' "$1" "$2"; }
metric() { echo "(SELECT value FROM metrics WHERE run_id = r.id AND name = '$1')"; }

# 1. Amplification per layer (runs in sweep order): index, layer, vs raw, vs JPEG, vs H.264.
q "$out/amplification.db" "SELECT r.id, json_extract(r.params, '\$.\"policy.split.split_at\"'),
     $(metric amplification), $(metric amplification_jpeg), $(metric amplification_h264)
   FROM runs r WHERE r.status = 'ok'" |
    awk '{ # network order: the stem, then layerS.B.relu by stage and block, then the head
           split($2, p, ".")
           if ($2 == "conv1") k = 0; else if ($2 == "bn1") k = 1; else if ($2 == "relu") k = 2
           else if ($2 == "maxpool") k = 3; else if ($2 == "avgpool") k = 1000; else if ($2 == "fc") k = 1001
           else k = 10 + 100 * substr(p[1], 6) + p[2]
           print k, $0 }' | sort -n | cut -d' ' -f2- > "$out/amplification.dat"
{
    printf '%-16s %14s %14s %14s\n' layer x_raw x_jpeg x_h264
    awk '{ printf "%-16s %14.3f %14.3f %14.1f\n", $2, $3, $4, $5 }' "$out/amplification.dat"
} > "$out/amplification.txt"

# 1b. Figure 4's other networks (run order is network order): MobileNetV2 at fp16, AlexNet at 2 bits (TSQ).
for net in mobilenetv2 tsq; do
    db=$out/amplification-$net.db
    [ -f "$db" ] || continue
    q "$db" "SELECT json_extract(r.params, '\$.\"policy.split.split_at\"'), $(metric bytes_per_frame),
         $(metric amplification), $(metric amplification_jpeg), $(metric amplification_h264)
       FROM runs r WHERE r.status = 'ok' ORDER BY r.point_index" > "$out/amplification-$net.dat"
    {
        printf '%-20s %12s %14s %14s %14s\n' layer bytes x_raw x_jpeg x_h264
        awk '{ printf "%-20s %12.0f %14.3f %14.3f %14.1f\n", $1, $2, $3, $4, $5 }' "$out/amplification-$net.dat"
    } > "$out/amplification-$net.txt"
done

# 2. Codec gains per layer: the best pipeline (smallest mean size) of each split layer, and every row.
q "$out/codecs.db" "SELECT split_layer, pipeline, 1.0 / ratio_raw_fp32, 1.0 / ratio_jpeg, 1.0 / ratio_h264, snr_db
   FROM codec_table ORDER BY id" > "$out/codecs.dat"
{
    printf '%-20s %-32s %10s %10s %10s %8s\n' split pipeline gain_fp32 size/jpeg size/h264 snr_db
    q "$out/codecs.db" "SELECT split_layer, pipeline, 1.0 / ratio_raw_fp32, ratio_jpeg, ratio_h264, snr_db
       FROM codec_table c WHERE ratio_raw_fp32 = (SELECT min(ratio_raw_fp32) FROM codec_table d
                                                   WHERE d.split_layer = c.split_layer) ORDER BY id" |
        awk '{ printf "%-20s %-32s %10.1f %10.3f %10.3f %8.2f\n", $1, $2, $3, $4, $5, $6 }'
} > "$out/codecs.txt.best"

# 3. Trade-off: camera seconds per completed frame and bytes sent per frame, per run.
q "$out/tradeoff.db" "WITH f AS (SELECT run_id, count(*) AS n FROM frames WHERE dropped = 0 GROUP BY run_id)
   SELECT r.policy, coalesce(json_extract(r.params, '\$.\"policy.split.split_at\"'), '-'),
          coalesce(json_extract(r.params, '\$.\"policy.split.codec\"'), '-'), h.busy_s / f.n,
          $(metric bytes_per_frame), $(metric frame_jpeg_bytes)
   FROM runs r JOIN hosts h ON h.run_id = r.id AND h.name = 'cam' JOIN f ON f.run_id = r.id
   WHERE r.status = 'ok' ORDER BY r.id" > "$out/tradeoff.dat"
cam_only=$(awk '$1 == "device_only" { print $4 }' "$out/tradeoff.dat")
jpeg=$(awk 'NR == 1 { print $6 }' "$out/tradeoff.dat")
awk -v c="$cam_only" -v j="$jpeg" '$1 == "split" && $4 < c && $5 < j' "$out/tradeoff.dat" > "$out/tradeoff-region.dat"
{
    echo "camera-only: $cam_only s per frame on the camera; cloud-only JPEG: $jpeg B per frame"
    echo "splits that send less than cloud-only JPEG and compute less than camera-only: $(wc -l < "$out/tradeoff-region.dat")"
    awk '{ printf "  %-20s %-32s %10.4f s %10.0f B\n", $2, $3, $4, $5 }' "$out/tradeoff-region.dat"
} > "$out/tradeoff.txt"

command -v gnuplot >/dev/null 2>&1 || exit 0
gnuplot <<GP
set terminal svg size 900,560 dynamic font "sans,11"
set output "$out/amplification.svg"
set title "ResNet-152 at 1280x720: activation size / frame size (Emmons et al., Fig. 4)"
set logscale y
set ylabel "amplification (x)"
set xlabel "split layer (clean cuts, in order)"
set key bottom left noenhanced
set grid ytics
plot "$out/amplification.dat" using 0:3 with linespoints title "vs raw RGB frame", \
     "" using 0:4 with linespoints title "vs JPEG q90 frame", \
     "" using 0:5 with linespoints title "vs H.264 CRF 23 frame", \
     1 with lines dt 2 lc "black" title "same size"
set output "$out/amplification-networks.svg"
set title "Activation size / H.264 frame at 1280x720, three networks (Emmons et al., Fig. 4)"
set xlabel "split layer (clean cuts, in network order)"
plot "$out/amplification.dat" using 0:5 with linespoints title "ResNet-152, fp32", \
     "$out/amplification-mobilenetv2.dat" using 0:5 with linespoints title "MobileNetV2, fp16", \
     "$out/amplification-tsq.dat" using 0:5 with linespoints title "AlexNet, 2 bits per element (TSQ's size)", \
     1 with lines dt 2 lc "black" title "same size"
set output "$out/tradeoff.svg"
set title "MobileNetV2 at 1280x720: camera compute vs data sent (Emmons et al., Fig. 3)"
set xlabel "camera compute per frame (s)"
set ylabel "data sent per frame (bytes)"
unset logscale
set logscale y
set key outside below noenhanced
set xrange [0:1.6 * $cam_only]
set object 1 rect from graph 0, graph 0 to first $cam_only, first $jpeg fc rgb "#d0f0d0" fs solid 0.5 behind
plot "$out/tradeoff.dat" using (strcol(1) eq "split" ? \$4 : 1/0):5 with points pt 7 ps 0.7 title "splits (layer x codec)", \
     "" using (strcol(1) eq "device_only" ? \$4 : 1/0):(\$6/10) with points pt 5 ps 1.5 title "camera-only (sends nothing; drawn at JPEG / 10)", \
     "" using (strcol(1) eq "cloud_only" ? \$4 : 1/0):5 with points pt 9 ps 1.5 title "cloud-only raw frame", \
     $jpeg with lines lc "red" title "cloud-only JPEG q90", \
     "$out/tradeoff-region.dat" using 4:5 with points pt 6 ps 1.2 lc "dark-green" title "in the region"
GP
