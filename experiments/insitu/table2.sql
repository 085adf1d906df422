-- Table II (normalised data movement per stage) and Fig. 25 (model update time, cloud training energy) from
-- a results DB of experiments/insitu/table2.yaml: sqlite3 -header -column DB < experiments/insitu/table2.sql
.print 'Table II: uploaded bytes per stage, normalised to system a'
WITH m AS (SELECT r.policy AS sys, me.name, me.value FROM metrics me JOIN runs r ON r.id = me.run_id
           WHERE r.status = 'ok'),
     a AS (SELECT name, value FROM m WHERE sys = 'a')
SELECT m.sys,
  round(max(CASE WHEN m.name = 'insitu_upload_bytes_stage0' THEN m.value / a.value END), 3) AS "5k",
  round(max(CASE WHEN m.name = 'insitu_upload_bytes_stage1' THEN m.value / a.value END), 3) AS "10k",
  round(max(CASE WHEN m.name = 'insitu_upload_bytes_stage2' THEN m.value / a.value END), 3) AS "20k",
  round(max(CASE WHEN m.name = 'insitu_upload_bytes_stage3' THEN m.value / a.value END), 3) AS "40k",
  round(max(CASE WHEN m.name = 'insitu_upload_bytes_stage4' THEN m.value / a.value END), 3) AS "60k",
  round(sum(CASE WHEN m.name LIKE 'insitu_upload_bytes_stage%' THEN m.value END) /
        (SELECT sum(value) FROM a WHERE name LIKE 'insitu_upload_bytes_stage%'), 3) AS total
FROM m JOIN a ON a.name = m.name GROUP BY m.sys ORDER BY m.sys;
.print ''
.print 'Fig. 25: cloud training seconds and model update time (stage end -> model on the node) per stage'
WITH m AS (SELECT r.policy AS sys, me.name, me.value FROM metrics me JOIN runs r ON r.id = me.run_id
           WHERE r.status = 'ok')
SELECT sys,
  round(sum(CASE WHEN name LIKE 'insitu_train_s_stage%' THEN value END), 1) AS train_s,
  round(250 * sum(CASE WHEN name LIKE 'insitu_train_s_stage%' THEN value END) / 1000, 1) AS train_kJ_at_250W,
  round(max(CASE WHEN name = 'insitu_update_time_s_stage0' THEN value END), 1) AS upd0_s,
  round(max(CASE WHEN name = 'insitu_update_time_s_stage1' THEN value END), 1) AS upd1_s,
  round(max(CASE WHEN name = 'insitu_update_time_s_stage2' THEN value END), 1) AS upd2_s,
  round(max(CASE WHEN name = 'insitu_update_time_s_stage3' THEN value END), 1) AS upd3_s,
  round(max(CASE WHEN name = 'insitu_update_time_s_stage4' THEN value END), 1) AS upd4_s
FROM m GROUP BY sys ORDER BY sys;
