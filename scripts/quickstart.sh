#!/bin/sh
# quickstart.sh: bootstrap the Debian packages, build simrun, run experiments/quickstart.yaml.
# Prints the summary table and where the database and the figures are.
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
sh scripts/build.sh
rm -f results/quickstart.db results/quickstart.db-wal results/quickstart.db-shm
exec ./build/simrun run experiments/quickstart.yaml --jobs "$(nproc 2>/dev/null || echo 2)" "$@"
