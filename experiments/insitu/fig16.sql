-- Fig. 16 from a results DB of experiments/insitu/fig16.yaml: inference task time (start -> end) on the node,
-- single-running (concurrency 1) against co-running (2). sqlite3 -header -column DB < experiments/insitu/fig16.sql
SELECT json_extract(r.params, '$."platform.devices.node.concurrency"') AS concurrency,
       count(*) AS inferences,
       round(1e3 * min(t.end_s - t.start_s), 2) AS min_ms,
       round(1e3 * avg(t.end_s - t.start_s), 2) AS mean_ms,
       round(1e3 * max(t.end_s - t.start_s), 2) AS max_ms
FROM frame_tasks t JOIN runs r ON r.id = t.run_id
WHERE t.label = 'inference' AND r.status = 'ok'
GROUP BY concurrency ORDER BY concurrency;
