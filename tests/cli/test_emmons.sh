#!/bin/sh
# test_emmons.sh SIMRUN SOURCE_DIR: experiments/emmons (Emmons et al., shared/seeds/002) at the reduced size
# (EMMONS_SMALL: 128x72 video, a few layers, codecs and frames), run end to end by its own run.sh, with the
# key numbers asserted from the databases simrun wrote:
#   - ResNet-152's conv1 output against the raw frame: 64 x 36 x 64 x 4 bytes / (128 x 72 x 3) = 21.333...
#     exactly (the paper's 21x at 720p is the same ratio), and every layer's amplification_h264 and
#     amplification_jpeg are its bytes over the same video's mean H.264 and JPEG frame;
#   - H.264 codes the 8-bit frame at least 10x smaller, so an intermediate as large as conv1 (layer1.2.relu:
#     256 x 18 x 32 x 4 bytes, the same size) is above 10 x 21.333 times the H.264 frame;
#   - Figure 4's other curves: MobileNetV2's first block output at fp16 is 32 x 36 x 64 x 2 bytes over the raw
#     frame exactly, its logits 2000 bytes; AlexNet's relu1 coded at 2 bits per element (TSQ's size, at
#     224x224: AlexNet's adaptive pool needs that much) is 193 600 / 4 bytes plus a header;
#   - codec table: quant8 sends 8 of 32 bits (ratio to fp32 within 2 % of 1/4: stream headers), a 4-bit
#     quantiser with zero-run + rANS stays below 4.5 bits per element;
#   - trade-off: cloud-only sends the raw frame, camera-only sends nothing, and at least one split sends less
#     than the cloud-only JPEG frame while its layers compute less than camera-only (the paper's Figure 3
#     region; the layers' time is the profile's, the codec's encode time a wall-clock measurement, so the
#     test leaves the latter out).
set -eu
simrun=$1
src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
EMMONS_SMALL=1 sh "$src/experiments/emmons/run.sh" "$simrun" "$dir/out" > "$dir/run.log" 2>&1 || {
    cat "$dir/run.log" "$dir/out/codecs.log" 2>/dev/null
    exit 1
}
out=$dir/out
fail=0
check() { # description, SQL on DB that returns 1 when it holds
    got=$(sqlite3 "$2" "$3")
    if [ "$got" = 1 ]; then echo "ok: $1"; else echo "FAILED: $1 (got '$got')"; fail=1; fi
}
m() { echo "(SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.name = '$1' AND
             json_extract(r.params, '\$.\"policy.split.split_at\"') = '$2')"; }
a=$out/amplification.db
check "4 layers ran" "$a" "SELECT count(*) = 4 FROM runs WHERE status = 'ok'"
check "conv1 amplification = 64*36*64*4/(72*128*3)" "$a" \
    "SELECT abs($(m amplification conv1) - 64.0*36*64*4/(72*128*3)) < 1e-12"
check "amplification = bytes / raw frame, every layer" "$a" \
    "SELECT count(*) = 4 FROM runs r WHERE abs((SELECT value FROM metrics WHERE run_id = r.id AND name = 'amplification')
       * 72 * 128 * 3 / (SELECT value FROM metrics WHERE run_id = r.id AND name = 'bytes_per_frame') - 1) < 1e-12"
check "amplification_h264 = bytes / H.264 frame, every layer" "$a" \
    "SELECT count(*) = 4 FROM runs r WHERE abs((SELECT value FROM metrics WHERE run_id = r.id AND name = 'amplification_h264')
       * (SELECT value FROM metrics WHERE run_id = r.id AND name = 'frame_h264_bytes')
       / (SELECT value FROM metrics WHERE run_id = r.id AND name = 'bytes_per_frame') - 1) < 1e-12"
check "amplification_jpeg = bytes / JPEG frame, every layer" "$a" \
    "SELECT count(*) = 4 FROM runs r WHERE abs((SELECT value FROM metrics WHERE run_id = r.id AND name = 'amplification_jpeg')
       * (SELECT value FROM metrics WHERE run_id = r.id AND name = 'frame_jpeg_bytes')
       / (SELECT value FROM metrics WHERE run_id = r.id AND name = 'bytes_per_frame') - 1) < 1e-12"
check "H.264 frame < raw frame / 10" "$a" "SELECT $(m frame_h264_bytes conv1) < 72 * 128 * 3 / 10.0"
check "layer1.2.relu > 213x the H.264 frame" "$a" "SELECT $(m amplification_h264 layer1.2.relu) > 10 * 64.0*36*64*4/(72*128*3)"
mb=$out/amplification-mobilenetv2.db
check "MobileNetV2: 3 layers ran" "$mb" "SELECT count(*) = 3 FROM runs WHERE status = 'ok'"
check "MobileNetV2 features.0.2 at fp16 = 32*36*64*2/(72*128*3) x the raw frame" "$mb" \
    "SELECT abs($(m amplification features.0.2) - 32.0*36*64*2/(72*128*3)) < 1e-12"
check "MobileNetV2 logits at fp16: 1000 x 2 bytes" "$mb" "SELECT $(m bytes_per_frame classifier.1) = 2000"
ts=$out/amplification-tsq.db
check "TSQ (AlexNet, 2 bits): 3 layers ran" "$ts" "SELECT count(*) = 3 FROM runs WHERE status = 'ok'"
# AlexNet at 224x224: relu1 is 64 x 55 x 55 = 193 600 elements, 48 400 bytes at 2 bits, plus the codec's
# frame header and quantiser range
check "TSQ features.1: 2 bits per element (+ < 64 header bytes)" "$ts" \
    "SELECT $(m bytes_per_frame features.1) BETWEEN 48400 AND 48400 + 64"
check "TSQ amplification = bytes / raw 224x224 frame" "$ts" \
    "SELECT abs($(m amplification features.1) * 224 * 224 * 3 / $(m bytes_per_frame features.1) - 1) < 1e-12"
c=$out/codecs.db
check "codec table: 3 layers x 3 pipelines" "$c" "SELECT count(*) = 9 FROM codec_table"
check "quant8: 1/4 of fp32 within 2 %" "$c" \
    "SELECT count(*) = 3 FROM codec_table WHERE pipeline = 'quant8' AND ratio_raw_fp32 BETWEEN 0.25 AND 0.255"
check "quant4+zrle+rans: < 4.5 bits per element" "$c" \
    "SELECT count(*) = 3 FROM codec_table WHERE pipeline = 'quant4+zrle+rans' AND bits_per_element < 4.5"
t=$out/tradeoff.db
check "cloud-only sends the raw frame" "$t" \
    "SELECT value = 72 * 128 * 3 FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.policy = 'cloud_only' AND m.name = 'bytes_per_frame'"
check "camera-only sends nothing" "$t" \
    "SELECT value = 0 FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.policy = 'device_only' AND m.name = 'bytes_per_frame'"
# The region on the layers' compute (the profile's, deterministic); the figure adds the codec's encode time,
# which the codec table measured in wall-clock time.
check "a split sends less than cloud-only JPEG with less layer compute than camera-only" "$t" \
    "WITH head AS (SELECT t.run_id, sum(t.end_s - t.start_s) / count(DISTINCT t.frame) AS s FROM frame_tasks t
                   WHERE t.kind = 'compute' AND t.device = 'cam' AND t.label IN ('head', 'model') GROUP BY t.run_id)
     SELECT count(*) >= 1 FROM runs r JOIN head h ON h.run_id = r.id
     WHERE r.policy = 'split'
       AND h.s < (SELECT h2.s FROM head h2 JOIN runs r2 ON r2.id = h2.run_id WHERE r2.policy = 'device_only')
       AND (SELECT value FROM metrics WHERE run_id = r.id AND name = 'bytes_per_frame')
         < (SELECT value FROM metrics WHERE run_id = r.id AND name = 'frame_jpeg_bytes')"
for f in amplification.svg tradeoff.svg; do
    if command -v gnuplot >/dev/null 2>&1 && [ ! -s "$out/$f" ]; then echo "FAILED: $f missing"; fail=1; fi
done
exit $fail
