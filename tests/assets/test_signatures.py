"""The executor's and the verifier's gpg signatures are checked by the phases
after them: a signature changed in the ledger stops the run before anything
more is written or enacted."""

from __future__ import annotations

import psycopg2

from cutter_assets.app.sovereign import arm
from cutter_assets.assets.write import change_set, manifest_envelope, verify_result
from cutter_assets.signing.documents import gpg_sign
from tests.assets.flow import approve, count, live_to_sg1, rehearse, write
from tests.assets.harness import phase_records, register, run_row
from tests.conftest import CORPUS

SMALL_LAW = CORPUS / "luat-quy-dinh-quyen-tu-do-hoi-hop.txt"


def test_an_envelope_signed_by_another_key_stops_the_verifier(governed_env, db_url):
    register(db_url, "SIG-LAW", SMALL_LAW)
    rehearse("SIG-LAW")
    run_id = live_to_sg1("SIG-LAW")
    arm(run_id)
    approve(run_id, "SG_1", governed_env["sovereign"])
    assert write("SIG-LAW", run_id, assets=[change_set, manifest_envelope]).success
    envelope = phase_records(run_id)["manifest_envelope"].pins
    forged = gpg_sign(
        f"cutter executor signs payload_sha {envelope['payload_sha']}",
        governed_env["sovereign"],
    )  # a good signature of the right words, by a key that is not the executor's
    with psycopg2.connect(db_url) as conn, conn.cursor() as cur:
        # the ledger is append-only: only a superuser who switches its triggers off can do this
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(
            "UPDATE cutter_governance.signature SET signature = %s WHERE id = %s",
            (forged, envelope["executor_signature_id"]),
        )

    result = write("SIG-LAW", run_id, assets=[verify_result])

    assert not result.success
    run = run_row(run_id)
    assert (run.state, run.stop_code) == ("STOPPED", "STOP_INVARIANT_FAILED")
    assert "executor signature" in run.stop_detail
    assert count(db_url, "SELECT count(*) FROM cutter_governance.verify_result") == 0
