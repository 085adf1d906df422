#!/bin/sh
# test_slurm.sh SIMRUN: starts a real single-node SLURM cluster (Debian's munged, slurmctld, slurmd, with a
# configuration written into a temporary folder), writes the job-array script of tests/cli/data/sweep.yaml
# with `simrun slurm --array 3`, submits it, waits for the array and the merge job, and checks that the merged
# database holds every point, equal to a single-process run (simrun check, exact mode).
# Exit 0 pass, 1 fail, 77 skipped (printed with the reason: not root, a daemon missing or not starting).
set -u
SIMRUN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)

skip() {
    echo "SKIP: $*"
    exit 77
}
[ "$(id -u)" -eq 0 ] || skip "the SLURM test starts slurmd, which must run as root"
for b in munged slurmctld slurmd sbatch squeue sinfo; do
    command -v "$b" >/dev/null 2>&1 || skip "$b is not installed (scripts/bootstrap.sh installs slurmctld slurmd slurm-client munge)"
done

T=$(mktemp -d /tmp/simrun-slurm-XXXXXX)
chmod 755 "$T"
cleanup() {
    for f in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munge/munged.pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
    done
    sleep 1
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for log in "$T/slurmctld.log" "$T/slurmd.log" "$T"/work/*-shards/*.out; do
        [ -f "$log" ] && { echo "--- $log"; tail -n 20 "$log"; }
    done
    exit 1
}

# munge: a fresh key and socket of our own
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/work"
chmod 711 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$T/munge/munge.key"
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" --pid-file="$T/munge/munged.pid" \
    --log-file="$T/munge/munged.log" --seed-file="$T/munge/seed" || skip "munged does not start"

host=$(hostname -s)
port=$((20000 + $$ % 20000))
cat >"$T/slurm.conf" <<CONF
ClusterName=simruntest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=simrun Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start (see $T/slurmctld.log)"
slurmd -f "$SLURM_CONF" || skip "slurmd does not start (see $T/slurmd.log)"
up=0
for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then up=1; break; fi
    sleep 0.5
done
[ "$up" = 1 ] || skip "the node never became idle: $(sinfo 2>&1 | tail -n 1)"

cd "$T/work" || exit 1
cp "$SRC/tests/cli/data/sweep.yaml" .
"$SIMRUN" run sweep.yaml --db single.db --no-report --quiet || fail "single-process run"
"$SIMRUN" slurm sweep.yaml --array 3 --partition simrun --time 10 --mem 500M --db merged.db --out sweep.sbatch \
    || fail "simrun slurm"
grep -q "^#SBATCH --partition=simrun" sweep.sbatch || fail "no partition line in the script"
grep -q "^#SBATCH --mem=500M" sweep.sbatch || fail "no memory line in the script"
sh sweep.sbatch >submit.txt 2>&1 || { cat submit.txt; fail "submitting"; }
cat submit.txt
done=0
for _ in $(seq 1 240); do
    if [ -z "$(squeue -h 2>/dev/null)" ]; then done=1; break; fi
    sleep 0.5
done
[ "$done" = 1 ] || fail "the jobs did not finish in 120 s: $(squeue 2>&1)"

# every shard ran as its own array task and wrote its own database
n=0
for i in 0 1 2; do
    [ -f "merged-shards/shard-$i-of-3.db" ] || fail "shard $i wrote no database"
    n=$((n + $(sqlite3 "merged-shards/shard-$i-of-3.db" "SELECT count(*) FROM runs WHERE status = 'ok'")))
done
[ "$n" = 18 ] || fail "the shards hold $n points, expected 18"
[ -f merged.db ] || fail "the merge job wrote no database"
[ "$(sqlite3 merged.db "SELECT count(*) FROM runs WHERE status = 'ok'")" = 18 ] || fail "merged.db lacks points"
grep -q "18 skipped (--resume)" merged-shards/slurm-merge-*.out || fail "the merge job had to run points itself"
"$SIMRUN" check sweep.yaml --against single.db --results merged.db --quiet || fail "merged.db differs from the single run"
echo "PASS: SLURM array of 3 shards + merge job gave the single-process database"
