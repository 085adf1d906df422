-- In-situ AI on the VX690T (experiments/insitu/fpga.yaml): inference and diagnosis task times (start -> end) on
-- the node per design, once the first model is there. sqlite3 -header -column DB < experiments/insitu/fpga.sql
SELECT json_extract(r.params, '$."platform.devices.node.profile"') AS profile,
       t.label AS task,
       count(*) AS tasks,
       round(1e3 * min(t.end_s - t.start_s), 3) AS min_ms,
       round(1e3 * avg(t.end_s - t.start_s), 3) AS mean_ms,
       round(1e3 * max(t.end_s - t.start_s), 3) AS max_ms
FROM frame_tasks t JOIN runs r ON r.id = t.run_id
WHERE t.label IN ('inference', 'diagnosis') AND r.status = 'ok'
GROUP BY profile, task ORDER BY profile, task;
