#!/bin/sh
# run.sh: Emmons et al. (shared/seeds/002) replayed by simrun, end to end (docs/papers/emmons.md):
#   1. amplification.yaml  every clean cut of ResNet-152 at 720p against the raw, JPEG and H.264 frame
#   2. codecs.sh           codec gains per layer of MobileNetV2 (codec table: quantisation, transforms,
#                          entropy coding, inter-frame) against raw fp32, JPEG and H.264
#   3. tradeoff.yaml       camera compute vs data sent for every cut and codec, camera-only and cloud-only
#   4. Figure 4's other curves: amplification-mobilenetv2.yaml (MobileNetV2, fp16 activations) and
#      amplification-tsq.yaml (AlexNet, activations coded at 2 bits per element: TSQ's size), the latter
#      priced from a codec table of AlexNet with quant2 (tsq-codecs.db)
#   5. figures and tables from the SQLite databases (gnuplot SVG, text tables)
#
#   sh experiments/emmons/run.sh [SIMRUN] [OUTDIR]       (defaults: build/simrun, results/emmons)
# EMMONS_SMALL=1: the reduced size the test suite runs (128x72 video, a few layers, codecs and frames).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
simrun=${1:-build/simrun}
out=${2:-results/emmons}
mkdir -p "$out"
out=$(cd "$out" && pwd)
case $simrun in /*) ;; *) simrun=$(pwd)/$simrun ;; esac

if [ "${EMMONS_SMALL:-0}" = 1 ]; then
    small() { sed -e 's#1280x720#128x72#g' -e 's#3x720x1280#3x72x128#' "$@"; }
    small -e 's#baseline_frames: 30#baseline_frames: 3#' \
        -e 's#split_at: \[.*\]#split_at: [conv1, layer1.2.relu, layer3.35.relu, fc]#' \
        "$here/amplification.yaml" > "$out/amplification.yaml"
    export SPLITS=features.1.conv.2,features.3.add,features.13.add
    export CODECS='quant8,quant4+zrle+rans,inter(quant4+zrle+rans,key=10)'
    sh "$here/codecs.sh" "$simrun" "$out/codecs.db" 128x72 2 > "$out/codecs.txt" 2> "$out/codecs.log"
    small -e 's#baseline_frames: 30#baseline_frames: 3#' \
        -e 's#split_at: \[.*\]#split_at: [features.0.2, features.6.add, classifier.1]#' \
        "$here/amplification-mobilenetv2.yaml" > "$out/amplification-mobilenetv2.yaml"
    # AlexNet's 6x6 adaptive pool needs at least ~224 pixels: the TSQ curve runs at 224x224 here
    tsq_res=224x224 tsq_in=3x224x224 tsq_frames=2 tsq_splits=features.1,features.12,classifier.6
    sed -e 's#1280x720#224x224#g' -e 's#3x720x1280#3x224x224#' -e 's#baseline_frames: 30#baseline_frames: 3#' \
        -e 's#split_at: \[.*\]#split_at: [features.1, features.12, classifier.6]#' \
        -e "s#codec_table: .*db#codec_table: $out/tsq-codecs.db#" \
        "$here/amplification-tsq.yaml" > "$out/amplification-tsq.yaml"
    small -e 's#baseline_frames: 10#baseline_frames: 2#' -e "s#codec_table: .*db#codec_table: $out/codecs.db#" \
        "$here/tradeoff.yaml" |
        sed -e '/policy.split.split_at:/,/policy.split.codec:/c\    policy.split.split_at: [features.1.conv.2, features.3.add, features.13.add]\n    policy.split.codec: [quant8, quant4+zrle+rans, "inter(quant4+zrle+rans,key=10)"]' \
            -e '/^                         klt16/d' > "$out/tradeoff.yaml"
else
    cp "$here/amplification.yaml" "$here/amplification-mobilenetv2.yaml" "$out/"
    tsq_res=1280x720 tsq_in=3x720x1280 tsq_frames=3
    tsq_splits=features.1,features.2,features.4,features.5,features.7,features.9,features.11,features.12,avgpool,classifier.2,classifier.5,classifier.6
    sed "s#codec_table: .*db#codec_table: $out/tsq-codecs.db#" "$here/amplification-tsq.yaml" > "$out/amplification-tsq.yaml"
    sh "$here/codecs.sh" "$simrun" "$out/codecs.db" > "$out/codecs.txt" 2> "$out/codecs.log"
    sed "s#codec_table: .*db#codec_table: $out/codecs.db#" "$here/tradeoff.yaml" > "$out/tradeoff.yaml"
fi
rm -f "$out/amplification.db" "$out/tradeoff.db" "$out/amplification-mobilenetv2.db" "$out/amplification-tsq.db" \
    "$out/tsq-codecs.db"
"$simrun" codec-table --model alexnet --input "$tsq_in" --resolution "$tsq_res" --frames "$tsq_frames" --fps 30 \
    --split "$tsq_splits" --codec quant2 --db "$out/tsq-codecs.db" > "$out/tsq-codecs.txt" 2> "$out/tsq-codecs.log"
(cd "$out" && "$simrun" run amplification.yaml --db amplification.db --quiet --no-report)
(cd "$out" && "$simrun" run amplification-mobilenetv2.yaml --db amplification-mobilenetv2.db --quiet --no-report)
(cd "$out" && "$simrun" run amplification-tsq.yaml --db amplification-tsq.db --quiet --no-report)
(cd "$out" && "$simrun" run tradeoff.yaml --db tradeoff.db --quiet --no-report)
sh "$here/figures.sh" "$out"
