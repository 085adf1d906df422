#!/bin/sh
# test_tutorials.sh SIMRUN SOURCE_DIR: runs every command of docs/tutorials/*.md as written. Each page's fenced
# `sh` blocks are extracted in order into one script, run with `sh -e` in a fresh folder where `build/` is the
# folder holding SIMRUN and `experiments/` the source tree's, so `build/simrun run experiments/X.yaml` works
# as on a checkout. A page fails when a command fails, when it does not start from an experiment file that exists,
# lacks its status, figures or query section, or when the index.html it points to was not drawn.
set -u
simrun=$1
src=$2
bin=$(cd "$(dirname "$simrun")" && pwd)
tmp=$(mktemp -d /tmp/sr_tutorials_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
pages=0
for page in "$src"/docs/tutorials/*.md; do
    name=$(basename "$page" .md)
    [ "$name" = README ] && continue
    pages=$((pages + 1))
    dir=$tmp/$name
    mkdir -p "$dir"
    ln -s "$bin" "$dir/build"
    ln -s "$src/experiments" "$dir/experiments"
    awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' "$page" >"$dir/commands.sh"
    n=$(grep -c . "$dir/commands.sh")
    bad=""
    grep -q '^Status: \*\*' "$page" || bad="$bad; no 'Status: **...**' line"
    grep -q '^## Figures' "$page" || bad="$bad; no '## Figures' section"
    grep -q '^## One query' "$page" || bad="$bad; no '## One query' section"
    exp=$(grep -o 'experiments/[a-z0-9_/-]*\.yaml' "$page" | head -1)
    if [ -z "$exp" ] || [ ! -f "$src/$exp" ]; then bad="$bad; does not start from an experiment file that exists"; fi
    grep -q "build/simrun run $exp" "$dir/commands.sh" || bad="$bad; never runs $exp"
    if ! (cd "$dir" && sh -e ./commands.sh >"$dir/out.txt" 2>&1); then
        bad="$bad; a command failed:"
        tail -n 20 "$dir/out.txt"
    fi
    for fig in $(grep -o 'results/[a-z0-9_-]*/index\.html' "$page" | sort -u); do
        [ -s "$dir/$fig" ] || bad="$bad; $fig was not drawn"
    done
    if [ -n "$bad" ]; then
        echo "FAIL docs/tutorials/$name.md$bad"
        fail=1
    else
        echo "ok   docs/tutorials/$name.md ($n command lines)"
    fi
done
[ "$pages" -ge 7 ] || { echo "FAIL: $pages tutorial pages, expected 7"; fail=1; }
exit $fail
