#!/bin/sh
# compare.sh GOLDEN.db NEW.db [EXCLUDE]: every row of the golden database's runs, metrics, frames, frame_tasks, links and
# hosts must be in the new one with the same values, bit for bit, and the tables must have the same number of
# rows per kind; rows are matched by (point parameters, replication, policy), never by ids. Wall-clock columns
# (runs.wall_s, finished_utc, metric exact_kernel_wall_s) are left out, and so are columns and metrics the
# golden file does not have (later schemas add some). EXCLUDE (a LIKE pattern on runs.params) leaves out the points
# it matches, in both files. Prints what differs; exit 1 when anything does.
set -eu
golden=$1
new=$2
exclude=${3:-}
fail=0
check() { # name, select over alias d (a database) -> rows
    what=$1
    sel=$2
    if [ -n "$exclude" ]; then # every select joins runs as r (the runs check itself selects from it as r)
        case "$sel" in
        *WHERE*) sel=$(echo "$sel" | sed "s/WHERE/WHERE r.params NOT LIKE '$exclude' AND/") ;;
        *) sel="$sel WHERE r.params NOT LIKE '$exclude'" ;;
        esac
    fi
    g=$(echo "$sel" | sed 's/@/g./g')
    n=$(echo "$sel" | sed 's/@/main./g')
    missing=$(sqlite3 "$new" "ATTACH '$golden' AS g; SELECT count(*) FROM ($g EXCEPT $n);")
    extra=$(sqlite3 "$new" "ATTACH '$golden' AS g; SELECT count(*) FROM ($n EXCEPT $g);")
    total=$(sqlite3 "$new" "ATTACH '$golden' AS g; SELECT count(*) FROM ($g);")
    if [ "$missing" != 0 ] || [ "$extra" != 0 ]; then
        echo "$what: $missing of $total golden rows differ or are missing, $extra new rows not in the golden file"
        sqlite3 "$new" "ATTACH '$golden' AS g; $g EXCEPT $n LIMIT 3;" | sed 's/^/  golden: /'
        sqlite3 "$new" "ATTACH '$golden' AS g; $n EXCEPT $g LIMIT 3;" | sed 's/^/  new:    /'
        fail=1
    else
        echo "$what: $total rows identical"
    fi
}
K="r.params, r.replication, r.policy"
check runs "SELECT r.params, r.policy, r.replication, r.seed, r.status, r.error, r.net_model FROM @runs r"
check metrics "SELECT $K, m.name, m.value, m.unit FROM @metrics m JOIN @runs r ON r.id = m.run_id
               WHERE m.name <> 'exact_kernel_wall_s' AND m.name IN (SELECT name FROM g.metrics)"
check frames "SELECT $K, f.source, f.frame, f.device, f.capture_s, f.queue_s, f.compute_s, f.transfer_s,
              f.complete_s, f.latency_s, f.dropped, f.bytes_sent FROM @frames f JOIN @runs r ON r.id = f.run_id"
check frame_tasks "SELECT $K, t.source, t.frame, t.task, t.kind, t.label, t.device, t.dst, t.ready_s, t.start_s,
                   t.end_s, t.bytes FROM @frame_tasks t JOIN @runs r ON r.id = t.run_id"
check links "SELECT $K, l.name, l.type, l.bw_bps, l.latency_s, l.bytes, l.transfers, l.energy_j
             FROM @links l JOIN @runs r ON r.id = l.run_id"
check hosts "SELECT $K, h.name, h.class, h.busy_s, h.tasks, h.energy_j FROM @hosts h JOIN @runs r ON r.id = h.run_id"
exit $fail
