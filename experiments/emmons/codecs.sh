#!/bin/sh
# codecs.sh: Emmons et al. (shared/seeds/002) Section 3, "Preliminary results": the gains of quantisation,
# transforms, entropy coding (and inter-frame coding) on the activations of MobileNetV2 (the network of their
# Figure 3) at candidate split layers, on 1280x720 video, against the raw fp32 activation and the cloud-only
# JPEG and H.264 frames of the same video. One `simrun codec-table` call: its rows (table codec_table,
# docs/codec-table.md) are the result, and the trade-off experiment (tradeoff.yaml) prices its splits from them.
#
#   sh experiments/emmons/codecs.sh [SIMRUN] [DB] [RESOLUTION] [FRAMES]
# defaults: build/simrun, results/emmons-codecs.db, 1280x720, 3. SPLITS and CODECS (comma lists) replace the
# layer and pipeline lists (the test suite runs three of each at 128x72, 2 frames).
set -eu
simrun=${1:-build/simrun}
db=${2:-results/emmons-codecs.db}
res=${3:-1280x720}
frames=${4:-3}
w=${res%x*}
h=${res#*x}
mkdir -p "$(dirname "$db")"
rm -f "$db"
# Split layers: the stem, each stage's last block output, and the final features (clean cuts only).
splits=${SPLITS:-features.0.2,features.1.conv.2,features.3.add,features.6.add,features.10.add,features.13.add,features.16.add,features.17.conv.3,features.18.2}
# quant8: uniform quantisation alone (8-bit symbols, bit-packed); mulaw4.pc: non-linear quantisation;
# +zrle+rans / +huffman: entropy coding; dct8 / klt16: transforms; inter(...): inter-frame coding.
codecs=${CODECS:-'quant8,mulaw4.pc,quant4+zrle+rans,lloyd4.pc+zrle+rans,dct8+quant6+huffman,klt16+quant6+zrle+rans,inter(quant4+zrle+rans,key=10)'}
exec "$simrun" codec-table --model mobilenetv2 --input "3x${h}x${w}" --resolution "$res" --frames "$frames" \
    --fps 30 --split "$splits" --codec "$codecs" --db "$db"
