-- The ledger's records of what happened are append-only, like the lifecycle
-- log: no role may rewrite or remove a signature, an envelope, a verify
-- result, an affected row, an approval attempt, a phase record or a cut
-- plan row, not even the owner or a superuser without first disabling the
-- trigger (which the fingerprints of tg_append_only and the tests watch).
SET LOCAL ROLE cutter_owner;

DO $$
DECLARE
    ledger_table text;
BEGIN
    FOREACH ledger_table IN ARRAY ARRAY[
        'signature', 'manifest_envelope', 'verify_result', 'cut_change_set_affected_row',
        'approval_attempt', 'phase_record', 'cutplan_row']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON cutter_governance.%I '
            'FOR EACH ROW EXECUTE FUNCTION public.tg_append_only()', ledger_table);
        EXECUTE format(
            'CREATE TRIGGER no_truncate BEFORE TRUNCATE ON cutter_governance.%I '
            'FOR EACH STATEMENT EXECUTE FUNCTION public.tg_append_only()', ledger_table);
    END LOOP;
END
$$;
