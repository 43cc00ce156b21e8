-- The structure review's gate, its phase in its place and the moves of its state.
SELECT 1 / (count(*) = 14)::int FROM cutter_governance.phase_rule;
SELECT 1 / (count(*) = 1)::int FROM cutter_governance.phase_rule
 WHERE phase = 'structure_review' AND seq = 2 AND state = 'SURVEYING';
SELECT 1 / (count(*) = 1)::int FROM cutter_governance.gate_rule g
 WHERE g.gate = 'SG_0_structure' AND cutter_governance.fn_mid_stage(g);
SELECT 1 / (count(*) = 0)::int FROM cutter_governance.gate_rule g
 WHERE g.gate <> 'SG_0_structure' AND cutter_governance.fn_mid_stage(g);
SELECT 1 / (count(*) = 10)::int FROM cutter_governance.run_transition
 WHERE 'AWAITING_STRUCTURE_REVIEW' IN (from_state, to_state);
-- No function of the owner is executable by PUBLIC.
SELECT 1 / (count(*) = 0)::int FROM pg_proc p
 WHERE p.proname IN ('fn_mid_stage', 'fn_require_phases_up_to')
   AND has_function_privilege('public', p.oid, 'EXECUTE');
