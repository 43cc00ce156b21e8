"""The kill switch (execution_switch): off at rest, armed by the sovereign
for one live run (or the next one that writes), disarmed by the database
when that run closes. Armed and disarmed here, as the administrator: no lane
role may write the switch."""

from __future__ import annotations

from datetime import datetime

from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import queries


def arm(conn, run_id: str | None) -> None:
    """Arm for ``run_id`` (None: the next live run that writes); at most one
    switch is ever armed (STOP_STATE otherwise)."""
    with conn.cursor() as cur:
        cur.execute(queries.ARMED_SWITCH)
        if cur.fetchone() is not None:
            raise CutterStop(StopCode.STOP_STATE, "execution is already armed")
        cur.execute(queries.ARM_SWITCH, {"run_id": run_id})


def disarm(conn, reason: str) -> int:
    with conn.cursor() as cur:
        cur.execute(queries.DISARM_SWITCH, {"reason": reason})
        return cur.rowcount


def armed(conn) -> tuple[str, datetime] | None:
    """(run id or '' for the next live run, armed at) of the armed switch, if any."""
    with conn.cursor() as cur:
        cur.execute(queries.ARMED_SWITCH_SINCE)
        return cur.fetchone()
