-- table.sql: the knowledge loop's latency by stage, one row per run point (milliseconds).
--   sqlite3 -header -column results/knowledge-loop.db < experiments/birman/table.sql
SELECT r.policy AS policy,
 json_extract(r.params, '$."platform.devices.sensor.count"') AS sensors,
 json_extract(r.params, '$."workload.sources.events.fps"') AS hz,
 (SELECT printf('%.0f', value) FROM metrics WHERE run_id = r.id AND name = 'loops_completed') AS loops,
 (SELECT printf('%.1f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_latency_mean_s') AS mean,
 (SELECT printf('%.1f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_latency_p95_s') AS p95,
 (SELECT printf('%.1f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_upload_mean_s') AS upload,
 (SELECT printf('%.2f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_cold_start_mean_s') AS cold,
 (SELECT printf('%.1f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_model_load_mean_s') AS load,
 (SELECT printf('%.2f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_handoff_mean_s') AS handoff,
 (SELECT printf('%.3f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_fetch_mean_s') AS fetch,
 (SELECT printf('%.2f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_update_mean_s') AS "update",
 (SELECT printf('%.1f', 1e3 * value) FROM metrics WHERE run_id = r.id AND name = 'loop_push_mean_s') AS push,
 (SELECT printf('%.2f', value) FROM metrics WHERE run_id = r.id AND name = 'update_utilization') AS util
FROM runs r WHERE r.status = 'ok' ORDER BY r.id;
