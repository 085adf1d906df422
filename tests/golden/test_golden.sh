#!/bin/sh
# test_golden.sh SIMRUN SOURCE_DIR: the policy-runtime port changed no result. The golden databases were made by
# the engine before the port (commit b5542ae: one flow per transfer); the experiments are rerun here with that
# transfer model (max_in_flight: 0 on every device: no connections) and every row must be identical
# (compare.sh). The default since the port (one connection per destination, FIFO) is checked by the closed-form
# engine tests instead. The split-brain points whose codec ends in an entropy coder (rans, huffman) are left out:
# those coders changed their format (interleaved states, four Huffman streams: format 2, commit 5a7f650), so their
# coded bytes differ from the pre-port run by a few bytes per frame; the regression golden (tests/golden/*.db,
# `simrun check`) covers them.
set -eu
simrun=$1
src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
for exp in quickstart split-brain; do
    # the pre-port engine had every flow in SimGrid: flow aggregation off (it equals SimGrid to ~1e-15, not to the
    # last bit; tests/engine/test_flow_pool compares the two)
    { echo "flow_aggregation: off"; sed -E 's/\{ name: (cam|cloud),/{ name: \1, max_in_flight: 0,/' "$src/experiments/$exp.yaml"; } > "$dir/$exp.yaml"
    grep -q 'max_in_flight: 0' "$dir/$exp.yaml" || { echo "$exp: could not set max_in_flight"; exit 1; }
    (cd "$dir" && "$simrun" run "$exp.yaml" --jobs 2 --no-report > "$exp.log" 2>&1) || {
        cat "$dir/$exp.log"
        exit 1
    }
    echo "== $exp"
    ex=""
    [ "$exp" = split-brain ] && ex='%codec": "%+%' # quant8+zrle+rans, quant4+rans, quant2+huffman
    sh "$src/tests/golden/compare.sh" "$src/tests/golden/pre-port/$exp.db" "$dir/results/$exp.db" "$ex" || fail=1
done
exit $fail
