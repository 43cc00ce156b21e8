"""The anomalies a unit was cut as found with, held by PostgreSQL (migrations 018
and 019): leg A's writer stores each plan row's list and the run's SG_0
decision, only when every entry is one that decision's request showed (all five
fields), none is listed twice and the list is the one the run's persisted plan
holds at that address; a unit no anomaly affects holds [] and no decision;
once written, neither ever changes, whoever asks; the persisted plan keeps each
row's list."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from psycopg2 import errors
from psycopg2.extras import Json

from cutter_assets.db import ledger
from cutter_assets.db.units import create_units
from tests.db.builders import (
    add_document,
    add_review_decision,
    advance,
    as_role,
    authorize,
    open_change_set,
    open_run,
    plan_row,
)

LANES = ("cutter_exec", "cutter_enact", "cutter_verify", "cutter_probe", "cutter_gatekeeper")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _anomaly(line: int, kind: str = "gap", expected: str = "c", found: str = "d") -> dict:
    return {
        "kind": kind,
        "line": line,
        "sha256": _sha(f"line {line}"),
        "expected": expected,
        "found": found,
    }


GAP, DUPLICATE = _anomaly(7), _anomaly(9, "duplicate", "2", "1")


def _shown(anomaly: dict) -> dict:
    """An anomaly as the structure review's request shows it: the unit's entry
    with the line's text and what a cut as found does."""
    return dict(anomaly, text=f"line {anomaly['line']}", accept_as_found="kept as found")


def _reviewed(conn, run_id: str, anomalies: list[dict], *, consumed: bool = True) -> str:
    """The structure review's request over ``anomalies`` and its SG_0 decision,
    recorded as the survey records them; the decision's id."""
    payload = {
        "gate": "SG_0_structure",
        "run_id": run_id,
        "anomalies": [_shown(a) for a in anomalies],
    }
    payload_sha = _sha(repr(payload))
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO cutter_governance.phase_record (run_id, phase, outcome, pins) "
            "VALUES (%s, 'structure_review', 'passed', %s)",
            (run_id, Json({"payload_sha": payload_sha, "payload": payload})),
        )
        cur.execute(
            """INSERT INTO cutter_governance.review_decision
                   (gate, run_id, payload_sha, approval_doc_path, approval_doc_sha256,
                    signature_sha256, provider, approver, signed_utc, consumed_at)
               VALUES ('SG_0_structure', %s, %s, 'kb/sg0.md', %s, %s, 'gpg', 'sovereign',
                       now(), CASE WHEN %s THEN now() END)
               RETURNING id::text""",
            (run_id, payload_sha, "d" * 64, uuid.uuid4().hex, consumed),
        )
        return cur.fetchone()[0]


@pytest.fixture
def planned(conn):
    """Opens a live run whose survey saved the plan ``_rows(code, on_article)``
    (fn_cutplan_save, as cutter_exec), now writing with its change set open;
    returns (code, run_id, change set)."""

    def open_writing(on_article: list[dict]) -> tuple[str, str, str]:
        code = "UA-" + uuid.uuid4().hex[:8].upper()
        doc_id, version_id = add_document(conn, code)
        run_id = open_run(conn, doc_id, version_id, code, state="SURVEYING")
        with as_role(conn, "cutter_exec"):
            ledger.save_cutplan(conn, run_id, _rows(code, on_article))
        advance(conn, run_id, "WRITING")
        authorize(conn, run_id)
        return code, run_id, open_change_set(conn, run_id)

    return open_writing


def _rows(code: str, on_article: list[dict], on_chapter: list[dict] | None = None) -> list[dict]:
    """A chapter and its article, the article cut as found with ``on_article``
    (the chapter with ``on_chapter``, none unless told)."""
    chapter = plan_row(f"{code}/chp_1", "Chương I", key=f"{code}-1", unit_kind="chapter")
    article = plan_row(
        f"{code}/chp_1/art_1",
        "Nội dung.",
        key=f"{code}-2",
        sort_order=2,
        parent=chapter["canonical_address"],
    )
    return [
        dict(chapter, accepted_anomalies=on_chapter or []),
        dict(article, accepted_anomalies=on_article),
    ]


def _stored(conn, change_set_id: str) -> dict[str, tuple]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT canonical_address, accepted_anomalies, structure_decision_id::text "
            "FROM public.information_unit WHERE change_set_id = %s",
            (change_set_id,),
        )
        return {row[0]: row[1:] for row in cur.fetchall()}


def _write(conn, change_set_id: str, rows: list[dict]) -> dict[str, int]:
    with as_role(conn, "cutter_exec") as cur:
        return dict(create_units(cur, change_set_id, rows))


def _nothing_written(conn, change_set_id: str) -> bool:
    """No unit, unit version or affected row of the change set."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT (SELECT count(*) FROM public.information_unit
                        WHERE change_set_id = %(cs)s),
                      (SELECT count(*) FROM public.unit_version v
                         JOIN public.information_unit iu ON iu.id = v.information_unit_id
                        WHERE iu.change_set_id = %(cs)s),
                      (SELECT count(*) FROM cutter_governance.cut_change_set_affected_row
                        WHERE change_set_id = %(cs)s)""",
            {"cs": change_set_id},
        )
        return cur.fetchone() == (0, 0, 0)


# ---- the writer -----------------------------------------------------------------------
def test_each_unit_stores_its_anomalies_under_the_sg0_decision(conn, planned):
    code, run_id, cs = planned([GAP, DUPLICATE])
    decision = _reviewed(conn, run_id, [GAP, DUPLICATE])
    assert _write(conn, cs, _rows(code, [GAP, DUPLICATE])) == {"created": 2}
    assert _stored(conn, cs) == {
        f"{code}/chp_1": ([], None),
        f"{code}/chp_1/art_1": ([GAP, DUPLICATE], decision),
    }
    # the same page again (a resumed write): nothing new, nothing refused
    assert _write(conn, cs, _rows(code, [GAP, DUPLICATE])) == {"replayed": 2}


def test_a_clean_plan_stores_no_anomaly_and_needs_no_review(conn, planned):
    code, _, cs = planned([])
    rows = [{k: v for k, v in r.items() if k != "accepted_anomalies"} for r in _rows(code, [])]
    _write(conn, cs, rows)  # rows built by hand, without the field: none
    assert list(_stored(conn, cs).values()) == [([], None), ([], None)]


def test_anomalies_without_a_consumed_structure_review_are_refused(conn, planned):
    code, run_id, cs = planned([GAP])
    with pytest.raises(errors.RaiseException, match="passed no structure review"):
        _write(conn, cs, _rows(code, [GAP]))
    _reviewed(conn, run_id, [GAP], consumed=False)  # recorded, never consumed: still none
    with pytest.raises(errors.RaiseException, match="passed no structure review"):
        _write(conn, cs, _rows(code, [GAP]))
    assert _nothing_written(conn, cs)


def test_an_sg0_decision_of_another_run_does_not_count(conn, planned):
    code, _, cs = planned([GAP])
    other_doc, other_version = add_document(conn, code + "-X")
    other = open_run(conn, other_doc, other_version, code + "-X")
    _reviewed(conn, other, [GAP])
    with pytest.raises(errors.RaiseException, match="passed no structure review"):
        _write(conn, cs, _rows(code, [GAP]))


# The plan holds what is written here (a lane role saves the plan, too), so only
# the request the sovereign acknowledged refuses it.
@pytest.mark.parametrize(
    ("stored", "refusal"),
    [
        ([_anomaly(8)], "does not list"),  # another line
        ([dict(GAP, sha256=_sha("another line text"))], "does not list"),  # line text changed
        ([dict(GAP, kind="duplicate")], "does not list"),  # another kind
        ([GAP, DUPLICATE], "does not list"),  # one the review did not list
        ([dict(GAP, expected="e")], "other expected or found text"),
        ([dict(GAP, found="g")], "other expected or found text"),
        ([dict(GAP, expected="", found="")], "other expected or found text"),
        ([dict(GAP, expected="d", found="c")], "other expected or found text"),  # swapped
    ],
    ids=[
        "other line",
        "other line sha",
        "other kind",
        "one more",
        "forged expected",
        "forged found",
        "emptied text",
        "swapped text",
    ],
)
def test_an_anomaly_the_request_did_not_show_is_refused(conn, planned, stored, refusal):
    code, run_id, cs = planned(stored)
    _reviewed(conn, run_id, [GAP])
    with pytest.raises(errors.RaiseException, match=refusal):
        _write(conn, cs, _rows(code, stored))
    assert _nothing_written(conn, cs)


def test_an_anomaly_listed_twice_on_a_unit_is_refused(conn, planned):
    code, run_id, cs = planned([GAP, GAP])  # the plan's check is of shape only
    _reviewed(conn, run_id, [GAP])
    with pytest.raises(errors.RaiseException, match="art_1 lists the same accepted anomaly twice"):
        _write(conn, cs, _rows(code, [GAP, GAP]))
    assert _nothing_written(conn, cs)


# Acknowledged anomalies, each as the request showed it, but not as the plan
# SG_1 approved placed them: (the plan's list on the article, what is written on
# the article, on the chapter).
@pytest.mark.parametrize(
    ("on_plan", "on_article", "on_chapter", "refused"),
    [
        ([GAP], [], [GAP], "chp_1"),  # moved to the chapter
        ([GAP], [GAP], [GAP], "chp_1"),  # also on the chapter
        ([GAP, DUPLICATE], [GAP], [], "chp_1/art_1"),  # one left out
        ([GAP], [], [], "chp_1/art_1"),  # all left out
        ([GAP], [GAP, DUPLICATE], [], "chp_1/art_1"),  # one more than planned
        ([GAP, DUPLICATE], [DUPLICATE, GAP], [], "chp_1/art_1"),  # not in the plan's order
        ([], [GAP], [], "chp_1/art_1"),  # a clean plan
    ],
    ids=[
        "other unit",
        "one more unit",
        "one left out",
        "all left out",
        "one more",
        "other order",
        "clean plan",
    ],
)
def test_a_list_other_than_the_plan_rows_is_refused(
    conn, planned, on_plan, on_article, on_chapter, refused
):
    code, run_id, cs = planned(on_plan)
    _reviewed(conn, run_id, [GAP, DUPLICATE])
    rows = _rows(code, on_article, on_chapter)
    with pytest.raises(
        errors.RaiseException,
        match=f"accepted anomalies of {code}/{refused} are not those of its row in the cut plan",
    ):
        _write(conn, cs, rows)
    assert _nothing_written(conn, cs)


def test_a_unit_the_plan_does_not_hold_carries_no_anomaly(conn, planned):
    code, run_id, cs = planned([GAP])
    _reviewed(conn, run_id, [GAP])
    extra = plan_row(f"{code}/chp_1/art_2", "Khác.", key=f"{code}-3", sort_order=3)
    extra["parent_address"] = f"{code}/chp_1"
    with pytest.raises(errors.RaiseException, match="art_2 are not those of its row in the cut"):
        _write(conn, cs, [*_rows(code, [GAP]), dict(extra, accepted_anomalies=[GAP])])
    assert _nothing_written(conn, cs)


def test_a_plan_of_another_run_does_not_count(conn, planned):
    """Another run's plan gives these very addresses the anomaly; this run's
    plan gives them none."""
    code, run_id, cs = planned([])
    _reviewed(conn, run_id, [GAP])
    other_doc, other_version = add_document(conn, code + "-X")
    other = open_run(conn, other_doc, other_version, code + "-X", state="SURVEYING")
    with as_role(conn, "cutter_exec"):
        ledger.save_cutplan(conn, other, _rows(code, [GAP]))
    with pytest.raises(errors.RaiseException, match="not those of its row in the cut plan"):
        _write(conn, cs, _rows(code, [GAP]))
    assert _nothing_written(conn, cs)


@pytest.mark.parametrize(
    "malformed",
    [
        {"not": "a list"},
        [dict(GAP, units=["x"])],  # a record of the mark pins, not a unit's entry
        [{k: v for k, v in GAP.items() if k != "found"}],
        [dict(GAP, line=0)],
        [dict(GAP, line="7")],
        [dict(GAP, sha256="x" * 64)],
        [dict(GAP, expected=None)],
    ],
    ids=["object", "extra key", "missing key", "line 0", "line text", "bad sha", "null"],
)
def test_malformed_anomalies_are_refused(conn, planned, malformed):
    code, run_id, cs = planned([])
    _reviewed(conn, run_id, [GAP])
    with pytest.raises(errors.RaiseException, match="are not a list of"):
        _write(conn, cs, _rows(code, malformed))
    assert _nothing_written(conn, cs)


# ---- the guard: written once, never changed ---------------------------------------------
@pytest.fixture
def written(conn, planned):
    code, run_id, cs = planned([GAP])
    decision = _reviewed(conn, run_id, [GAP])
    _write(conn, cs, _rows(code, [GAP]))
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id::text, canonical_address FROM public.information_unit "
            "WHERE change_set_id = %s ORDER BY sort_order",
            (cs,),
        )
        (clean, _), (accepted, _) = cur.fetchall()
    return run_id, cs, clean, accepted, decision


CHANGES = {
    "drop the anomaly": "accepted_anomalies = '[]', structure_decision_id = NULL",
    "add one": "accepted_anomalies = accepted_anomalies || %(extra)s",
    "edit one": "accepted_anomalies = jsonb_set(accepted_anomalies, '{0,line}', '8')",
    "other decision": "structure_decision_id = %(other)s",
}


def _change(conn, role: str | None, unit_id: str, change: str, other: str) -> None:
    statement = f"UPDATE public.information_unit SET {CHANGES[change]} WHERE id = %(id)s"
    params = {"id": unit_id, "extra": Json([DUPLICATE]), "other": other}
    if role is None:  # the administrator: the guard stops even the superuser
        with conn.cursor() as cur:
            cur.execute("SAVEPOINT change")
            try:
                cur.execute(statement, params)
            finally:
                cur.execute("ROLLBACK TO SAVEPOINT change")
        return
    with as_role(conn, role) as cur:
        cur.execute(statement, params)


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("role", LANES)
def test_no_lane_role_changes_a_units_anomalies(conn, written, role, change):
    run_id, _, _, accepted, _ = written
    other = add_review_decision(conn, run_id, gate="SG_0_structure", consumed=False)
    with pytest.raises(errors.InsufficientPrivilege):
        _change(conn, role, accepted, change, other)


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("role", ["cutter_owner", None])
def test_neither_the_owner_nor_the_administrator_changes_them(conn, written, role, change):
    run_id, cs, clean, accepted, decision = written
    other = add_review_decision(conn, run_id, gate="SG_0_structure", consumed=False)
    gains_some = change in ("add one", "other decision")  # on a unit that holds none, too
    for unit_id in (accepted, clean) if gains_some else (accepted,):
        with pytest.raises(errors.RaiseException, match="only its lifecycle may change"):
            _change(conn, role, unit_id, change, other)
    stored = _stored(conn, cs)
    assert sorted(stored.values(), key=str) == sorted([([], None), ([GAP], decision)], key=str)


def test_enacting_keeps_them_and_an_enacted_unit_is_immutable(conn, written):
    run_id, cs, _, accepted, decision = written
    sg2 = add_review_decision(conn, run_id)
    advance(conn, run_id, "ENACTING")
    with as_role(conn, "cutter_enact") as cur:
        cur.execute("SELECT public.fn_iu_enact(%s, %s)", (accepted, sg2))
    assert ([GAP], decision) in _stored(conn, cs).values()
    with pytest.raises(errors.RaiseException, match="enacted and immutable"):
        _change(conn, None, accepted, "drop the anomaly", decision)


@pytest.mark.parametrize(
    ("anomalies", "with_decision", "constraint"),
    [
        ([GAP], False, "accepted_under_a_decision"),
        ([], True, "accepted_under_a_decision"),
        ([dict(GAP, units=["x"])], True, "accepted_anomalies_valid"),
    ],
    ids=["anomalies, no decision", "decision, no anomaly", "malformed"],
)
def test_the_table_itself_refuses_what_the_writer_would(
    conn, written, anomalies, with_decision, constraint
):
    """Past the writer (the administrator inserting a row by hand): anomalies
    need their decision, a decision needs anomalies, and entries their shape."""
    _, _, _, accepted, decision = written
    with conn.cursor() as cur, pytest.raises(errors.CheckViolation, match=constraint):
        cur.execute(
            """INSERT INTO public.information_unit
                   (source_document_id, source_version_id, change_set_id, idempotency_key,
                    canonical_address, unit_kind, section_type, sort_order, content_hash,
                    accepted_anomalies, structure_decision_id)
               SELECT source_document_id, source_version_id, change_set_id, 'by-hand',
                      canonical_address || '_x', unit_kind, section_type, 99, content_hash,
                      %s, %s
                 FROM public.information_unit WHERE id = %s""",
            (Json(anomalies), decision if with_decision else None, accepted),
        )


# ---- the plan -------------------------------------------------------------------------
def test_the_persisted_plan_keeps_each_rows_anomalies(conn):
    code = "UA-PLAN-" + uuid.uuid4().hex[:6].upper()
    doc_id, version_id = add_document(conn, code)
    run_id = open_run(conn, doc_id, version_id, code, state="SURVEYING")
    rows = _rows(code, [GAP, DUPLICATE])
    with as_role(conn, "cutter_exec"):
        ledger.save_cutplan(conn, run_id, rows)
        loaded = ledger.load_cutplan(conn, run_id)
    assert [(r["canonical_address"], r["accepted_anomalies"]) for r in loaded] == [
        (f"{code}/chp_1", []),
        (f"{code}/chp_1/art_1", [GAP, DUPLICATE]),
    ]
    assert loaded == [{k: r[k] for k in ledger.CUTPLAN_COLUMNS} for r in rows]
