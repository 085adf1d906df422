#!/bin/sh
# test_cli_help.sh SIMRUN GOLDEN_DB: help texts and exit codes of the commands a researcher uses to look at
# results: every --help prints a usage on stdout and exits 0; `list codecs` prints the pipeline grammar; trace and
# export exit 2 on bad input (no such run, not a database, a bad run id) and 0 on good input.
set -u
simrun=$1
golden=$2
tmp=$(mktemp -d /tmp/sr_cli_help_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect CODE DESCRIPTION COMMAND...
    want=$1
    what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"
        cat "$tmp/out" "$tmp/err"
        fail=1
    fi
}
for cmd in report show list trace export platform; do
    expect 0 "$cmd --help" "$simrun" $cmd --help
    grep -q '^usage: simrun '"$cmd" "$tmp/out" || { echo "FAIL: $cmd --help prints no usage"; fail=1; }
done
expect 0 "show model --help" "$simrun" show model --help
expect 0 "list codecs" "$simrun" list codecs
for s in 'quant<b>\[.pc\]\[.clip<P>\]' 'inter(<pipeline>,key=K)' 'huffman | rans | zstd\[<L>\]' 'klt | klt<K>'; do
    grep -q "$s" "$tmp/out" || { echo "FAIL: list codecs lacks $s"; fail=1; }
done
expect 2 "list nothing" "$simrun" list nothing
expect 2 "trace without --run" "$simrun" trace "$golden" -o "$tmp/t.json"
expect 2 "trace --run x" "$simrun" trace "$golden" --run x -o "$tmp/t.json"
expect 2 "trace of a missing run" "$simrun" trace "$golden" --run 100000 -o "$tmp/t.json"
[ -e "$tmp/t.json" ] && { echo "FAIL: trace of a missing run wrote a file"; fail=1; }
echo "not a database" >"$tmp/x.db"
expect 2 "trace of a text file" "$simrun" trace "$tmp/x.db" --run 1 -o "$tmp/t.json"
expect 2 "export of a text file" "$simrun" export "$tmp/x.db" --csv "$tmp/csv"
expect 2 "report of a text file" "$simrun" report "$tmp/x.db" --out "$tmp/r"
expect 2 "report --by unknown" "$simrun" report "$golden" --out "$tmp/r" --by nosuchparameter
expect 0 "trace" "$simrun" trace "$golden" --run 7 -o "$tmp/t.json"
expect 0 "export" "$simrun" export "$golden" --csv "$tmp/csv"
[ -s "$tmp/csv/wide.csv" ] || { echo "FAIL: export wrote no wide.csv"; fail=1; }
exit $fail
