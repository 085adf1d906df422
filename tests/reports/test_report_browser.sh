#!/bin/sh
# test_report_browser.sh SIMRUN DB...: draws the report of each results database and opens its index.html
# in headless Chromium at 1400 x 1000 px (check_page.js says what is checked). Fails when a figure does not
# load, a figure is narrow, the page overflows horizontally or the table does not sort. Then breaks the
# page on purpose (a missing figure, a 2000 px wide element) and expects the check to fail, so the test is
# known to catch both. Exit 77 (ctest: skipped) when Chromium is not installed (scripts/bootstrap.sh
# installs it).
set -u
simrun=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
browser=""
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
    echo "SKIPPED: chromium is not installed (scripts/bootstrap.sh installs it)"
    exit 77
fi
tmp=$(mktemp -d /tmp/sr_browser_test_XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# check DIR PAGE: prints the data-check line of DIR/PAGE after loading it with check_page.js appended.
check() {
    sed 's#</body>#<script src="check_page.js"></script></body>#' "$1/index.html" >"$1/$2"
    cp "$here/check_page.js" "$1/check_page.js"
    HOME=$tmp "$browser" --headless --no-sandbox --disable-gpu --no-first-run --allow-file-access-from-files \
        --user-data-dir="$tmp/profile" --window-size=1400,1000 --hide-scrollbars --virtual-time-budget=10000 \
        --dump-dom "file://$1/$2" 2>/dev/null | sed -n 's/.*data-check="\([^"]*\)".*/\1/p' | head -1
}

fail=0
i=0
for db in "$@"; do
    i=$((i + 1))
    out=$tmp/report$i
    if ! "$simrun" report "$db" --out "$out" >"$tmp/report$i.log" 2>&1; then
        echo "FAIL: simrun report $db"; cat "$tmp/report$i.log"; fail=1; continue
    fi
    r=$(check "$out" check.html)
    echo "$db: $r"
    case "$r" in OK*) ;; *) fail=1 ;; esac
    case "$r" in *images=0*) echo "FAIL: no figure on the page"; fail=1 ;; esac
done

# The check itself must catch a figure that does not load and a page that overflows.
out=$tmp/report1
svg=$(ls "$out"/*.svg | head -1)
mv "$svg" "$svg.hidden"
r=$(check "$out" broken1.html)
mv "$svg.hidden" "$svg"
echo "missing figure: $r"
case "$r" in "FAIL figure not loaded"*) ;; *) echo "FAIL: a missing figure was not detected"; fail=1 ;; esac
sed -i 's#<h1>#<div style="width:2000px">wide</div><h1>#' "$out/index.html"
r=$(check "$out" broken2.html)
echo "wide element: $r"
case "$r" in *"page overflows horizontally"*) ;; *) echo "FAIL: an overflow was not detected"; fail=1 ;; esac
exit $fail
