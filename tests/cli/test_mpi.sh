#!/bin/sh
# test_mpi.sh SIMRUN MPIEXEC SOURCE_DIR: the sweep of tests/cli/data/sweep.yaml run over 2 MPI ranks
# (mpirun -n 2) gives the same database as the single-process run, row for row (simrun check, exact mode),
# and both ranks ran points.
set -eu
SIMRUN=$1
MPIEXEC=$2
SRC=$3
dir=$(mktemp -d /tmp/simrun-mpi-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$SRC/tests/cli/data/sweep.yaml" "$dir/"
cd "$dir"
extra="--oversubscribe"
if [ "$(id -u)" -eq 0 ]; then extra="$extra --allow-run-as-root"; fi

"$SIMRUN" run sweep.yaml --db single.db --no-report --quiet
# shellcheck disable=SC2086
"$MPIEXEC" $extra -n 2 "$SIMRUN" run sweep.yaml --db mpi.db --no-report --quiet >mpi.txt 2>&1 || {
    cat mpi.txt
    echo "FAIL: mpirun exited with $?"
    exit 1
}
cat mpi.txt
runs=$(sqlite3 mpi.db "SELECT count(*) FROM runs WHERE status = 'ok'")
[ "$runs" = 18 ] || { echo "FAIL: $runs ok runs in the MPI database, expected 18"; exit 1; }
# every rank did some of the work: "points per rank: A B" with A, B > 0 and A + B = 18
line=$(grep "points per rank:" mpi.txt)
set -- $(echo "$line" | sed 's/.*points per rank://')
[ "$#" = 2 ] && [ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ $(($1 + $2)) = 18 ] || {
    echo "FAIL: expected two ranks sharing 18 points, got: $line"
    exit 1
}
"$SIMRUN" check sweep.yaml --against single.db --results mpi.db --quiet
echo "PASS: 2 ranks ($1 + $2 points) gave the single-process database"
