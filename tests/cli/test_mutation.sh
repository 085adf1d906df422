#!/bin/sh
# test_mutation.sh SIMRUN SOURCE_DIR: the hostile-user run of issue 17 at a bounded size. Seeded mutants of
# the shipped experiments go through `simrun validate` (and the small ones that still validate through
# `simrun run`); mutants of model files (darknet .cfg, ONNX) go through `simrun show model` and `simrun exec`.
# Every command must end with exit 0, 1 or 2 and a message, within its time limit: a signal, a sanitizer
# report or a timeout counts as a crash or a hang. Prints the counts; fails unless both are 0. Same seeds,
# same mutants: a failure names the mutant, which stays in the work folder.
set -u
SIMRUN=$1
SRC=$2
WORK=$(mktemp -d /tmp/simrun-mutation-XXXXXX)
N_YAML=${SR_MUTANTS_YAML:-12}  # mutants per shipped experiment
N_MODEL=${SR_MUTANTS_MODEL:-16} # mutants per model file
crashes=0
hangs=0
commands=0
failed=""

# check NAME LIMIT_S CMD...: runs CMD with a time limit and classifies how it ended
check() {
    name=$1 limit=$2
    shift 2
    commands=$((commands + 1))
    timeout -k 5 "$limit" "$@" >"$WORK/out.txt" 2>&1
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        hangs=$((hangs + 1))
        failed="$failed $name(hang)"
    elif [ $rc -gt 2 ] || grep -q -E "ERROR: AddressSanitizer|runtime error:|Segmentation fault|Aborted" "$WORK/out.txt"; then
        crashes=$((crashes + 1))
        failed="$failed $name(rc=$rc)"
        sed -n 1,20p "$WORK/out.txt" >&2
    elif [ $rc -ne 0 ] && ! [ -s "$WORK/out.txt" ]; then
        crashes=$((crashes + 1))
        failed="$failed $name(silent-rc=$rc)"
    fi
    return $rc
}

# mutate_text IN OUT SEED: one seeded edit of a text file (drop, duplicate or swap a line, a hostile value
# after a colon or in a list, an unclosed bracket, a cut at a random byte)
mutate_text() {
    awk -v seed="$3" '
        { line[NR] = $0 }
        END {
            srand(seed); n = NR; k = int(rand() * n) + 1; op = int(rand() * 7)
            split("0|-1|1e308|-1e308|nan|99999999999999|\"\"|[]|{}|[[[[|0x|1e-320|-0|~", bad, "|")
            v = bad[int(rand() * 14) + 1]
            cut = int(rand() * 400)
            for (i = 1; i <= n; i++) {
                s = line[i]
                if (i == k) {
                    if (op == 0) continue
                    if (op == 1) print s
                    if (op == 2 && i < n) { t = line[i + 1]; line[i + 1] = s; s = t }
                    if (op == 3) sub(/: *[^,}]+/, ": " v, s)
                    if (op == 4) sub(/[0-9][0-9.]*/, v, s)
                    if (op == 5) s = s " ["
                    if (op == 6) { s = substr(s, 1, cut % (length(s) + 1)); print s; exit }
                }
                print s
            }
        }' "$1" >"$2"
}

# mutate_bytes IN OUT SEED: a copy of a binary file with a few seeded bytes changed, or cut short
mutate_bytes() {
    cp "$1" "$2"
    size=$(wc -c <"$1")
    awk -v seed="$3" -v size="$size" 'BEGIN {
        srand(seed); n = int(rand() * 4) + 1
        for (i = 0; i < n; i++) printf "%d %d\n", int(rand() * size), int(rand() * 256)
        if (rand() < 0.25) printf "cut %d\n", int(rand() * size) }' | while read -r off val; do
        if [ "$off" = cut ]; then
            head -c "$val" "$1" >"$2"
        else
            printf "\\$(printf %03o "$val")" | dd of="$2" bs=1 seek="$off" conv=notrunc 2>/dev/null
        fi
    done
}

cp "$SRC"/experiments/*.yaml "$WORK/"
[ -d "$SRC/experiments/traces" ] && cp -r "$SRC/experiments/traces" "$WORK/"
[ -d "$SRC/experiments/models" ] && cp -r "$SRC/experiments/models" "$WORK/"
cp "$SRC/tests/cli/data/tiny.yaml" "$WORK/tiny-shipped.yaml"
cd "$WORK" || exit 1
for exp in *.yaml; do
    case $exp in mut-*) continue ;; esac
    s=1
    while [ $s -le "$N_YAML" ]; do
        m="mut-$s-$exp"
        mutate_text "$exp" "$m" "$s"
        if check "validate:$m" 20 "$SIMRUN" validate "$m"; then
            # the small experiment runs too: validate-passes must not crash or hang the run
            if [ "$exp" = tiny-shipped.yaml ]; then
                check "run:$m" 60 "$SIMRUN" run "$m" --db "$m.db" --no-report --quiet
            fi
        fi
        rm -f "$m.db" "$m.db-wal" "$m.db-shm"
        s=$((s + 1))
    done
done
for model in models/yolov2-tiny.cfg "$SRC"/tests/fuzz/corpus/onnx/*.onnx; do
    [ -f "$model" ] || continue
    base=$(basename "$model")
    s=1
    while [ $s -le "$N_MODEL" ]; do
        m="mut-$s-$base"
        case $base in
        *.cfg) mutate_text "$model" "$m" "$s" ;;
        *) mutate_bytes "$model" "$m" "$s" ;;
        esac
        if check "show:$m" 20 "$SIMRUN" show model "$m"; then
            case $base in
            *.onnx) check "exec:$m" 30 "$SIMRUN" exec "$m" ;;
            esac
        fi
        s=$((s + 1))
    done
done
echo "mutation run: $commands commands, $crashes crashes, $hangs hangs"
if [ $crashes -ne 0 ] || [ $hangs -ne 0 ]; then
    echo "failed:$failed (mutants kept in $WORK)" >&2
    exit 1
fi
cd / && rm -rf "$WORK"
