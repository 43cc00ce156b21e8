-- The privilege matrix. PUBLIC gets nothing; each role gets exactly its lane.
SET LOCAL ROLE cutter_owner;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA cutter_governance FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA cutter_governance FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public, cutter_governance FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public, cutter_governance FROM PUBLIC;

GRANT USAGE ON SCHEMA cutter_governance TO cutter_exec, cutter_enact, cutter_verify, cutter_probe;

-- Everyone in a lane may read the documents, the units and the ledger.
GRANT SELECT ON public.source_document, public.source_version, public.unit_kind_vocab,
                public.section_type_vocab, public.information_unit, public.unit_version,
                public.iu_lifecycle_log
   TO cutter_exec, cutter_enact, cutter_verify, cutter_probe;
GRANT SELECT ON ALL TABLES IN SCHEMA cutter_governance TO cutter_exec, cutter_enact, cutter_verify;

-- cutter_exec: the ledger, the plan, leg A (through fn_iu_create), leg B, approvals.
GRANT INSERT, UPDATE ON cutter_governance.orchestrator_run TO cutter_exec;
GRANT UPDATE ON cutter_governance.orchestrator_run TO cutter_enact;
-- phase records are written once and never changed
GRANT INSERT ON cutter_governance.phase_record TO cutter_exec, cutter_enact;
GRANT INSERT ON cutter_governance.cutplan_row, cutter_governance.cut_change_set,
                cutter_governance.manifest_envelope, cutter_governance.review_decision,
                cutter_governance.approval_attempt
   TO cutter_exec;
GRANT INSERT ON cutter_governance.signature TO cutter_exec, cutter_verify;
GRANT UPDATE (consumed_at, consumed_by) ON cutter_governance.review_decision
   TO cutter_exec, cutter_enact;
GRANT USAGE ON SEQUENCE cutter_governance.approval_attempt_id_seq TO cutter_exec;
GRANT EXECUTE ON FUNCTION
    public.fn_iu_create(uuid, text, text, text, text, text, text, text, text, text, int, text),
    public.fn_iu_void(uuid)
   TO cutter_exec;

-- cutter_enact: draft -> enacted through fn_iu_enact, nothing else.
GRANT EXECUTE ON FUNCTION public.fn_iu_enact(uuid, uuid) TO cutter_enact;

-- cutter_verify: its own verification records (verify_result + its signature).
GRANT INSERT ON cutter_governance.verify_result TO cutter_verify;
