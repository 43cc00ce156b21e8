-- Units and plan rows hold their accepted anomalies, [] by default, well formed.
SELECT 1 / (count(*) = 2)::int FROM information_schema.columns
 WHERE column_name = 'accepted_anomalies' AND data_type = 'jsonb' AND is_nullable = 'NO'
   AND column_default LIKE '''[]''::jsonb'
   AND (table_schema, table_name) IN (('public', 'information_unit'),
                                      ('cutter_governance', 'cutplan_row'));
SELECT 1 / (count(*) = 1)::int FROM information_schema.columns
 WHERE (table_schema, table_name, column_name) = ('public', 'information_unit',
                                                  'structure_decision_id')
   AND data_type = 'uuid';
SELECT 1 / (count(*) = 3)::int FROM pg_constraint
 WHERE conname IN ('information_unit_accepted_anomalies_valid',
                   'information_unit_accepted_under_a_decision',
                   'cutplan_row_accepted_anomalies_valid');
SELECT 1 / (public.fn_accepted_anomalies_valid('[]')
            AND public.fn_accepted_anomalies_valid(format(
                '[{"kind": "gap", "line": 7, "expected": "c", "found": "d", "sha256": "%s"}]',
                repeat('0', 64))::jsonb)
            AND NOT public.fn_accepted_anomalies_valid('{}')
            AND NOT public.fn_accepted_anomalies_valid('[1]')
            AND NOT public.fn_accepted_anomalies_valid(format(
                '[{"kind": "gap", "line": 0, "expected": "", "found": "", "sha256": "%s"}]',
                repeat('0', 64))::jsonb)
            AND NOT public.fn_accepted_anomalies_valid(format(
                '[{"kind": "gap", "line": 7, "expected": "", "found": "", "sha256": "%s", '
                '"units": []}]', repeat('0', 64))::jsonb))::int;
SELECT 1 / (count(*) = 0)::int FROM pg_proc p
 WHERE p.oid = 'public.fn_accepted_anomalies_valid(jsonb)'::regprocedure
   AND has_function_privilege('public', p.oid, 'EXECUTE');
-- The plan row type carries them; both writers of plan rows write them.
SELECT 1 / (count(*) = 1)::int FROM pg_attribute
 WHERE attrelid = 'public.iu_plan_row'::regclass AND attname = 'accepted_anomalies';
SELECT 1 / (count(*) = 2)::int FROM pg_proc
 WHERE oid IN ('public.fn_iu_create_many(uuid, jsonb)'::regprocedure,
               'cutter_governance.fn_cutplan_save(uuid, jsonb)'::regprocedure)
   AND prosecdef AND prosrc LIKE '%accepted_anomalies%' AND prosrc LIKE '%iu_plan_row%';
-- Leg A keeps 010's write guard and needs the SG_0 acknowledgment for anomalies.
SELECT 1 / (position('fn_require_writable' IN prosrc) > 0
            AND position('SG_0_structure' IN prosrc) > 0)::int
  FROM pg_proc WHERE oid = 'public.fn_iu_create_many(uuid, jsonb)'::regprocedure;
-- The guard keeps both columns as written.
SELECT 1 / (position('NEW.accepted_anomalies' IN prosrc) > 0
            AND position('NEW.structure_decision_id' IN prosrc) > 0)::int
  FROM pg_proc WHERE oid = 'public.tg_iu_guard()'::regprocedure;
SELECT 1 / (count(*) = 1)::int FROM pg_trigger
 WHERE tgname = 'iu_guard' AND tgrelid = 'public.information_unit'::regclass
   AND tgenabled = 'O';
