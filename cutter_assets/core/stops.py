"""Every way cutter refuses to go on: one enum of STOP codes, their exit codes
and one-line meanings, and the single exception family that carries them.

A STOP is always a clear, deliberate outcome. Boundaries (CLI, asset wrapper,
sensors) turn a ``CutterStop`` into one line, a non-zero exit code, a STOP KB
doc and a ledger state; nothing else catches it.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cutter_assets.core.legal.model import Anomaly


class StopCode(enum.Enum):
    """code name -> (exit code, what it means)."""

    STOP_REFUSED_INPUT = (10, "input that must be discovered or is never accepted")
    STOP_DOCUMENT_UNKNOWN = (11, "no such document is registered")
    STOP_REPLAY_CONFLICT = (12, "a non-voided cut run already exists for this document version")
    STOP_DRIFT = (13, "live state differs from the pins taken earlier in this run")
    STOP_STRUCTURE = (14, "the document's structure is inconsistent")
    STOP_SCHEMA_DRIFT = (15, "the database schema differs from the versioned files")
    STOP_BAD_DOC_CODE = (16, "a document code does not match the strict pattern")
    STOP_NOT_UTF8 = (17, "the input is not valid UTF-8 text")
    STOP_EMPTY_INPUT = (18, "the input is empty")
    STOP_TOO_LARGE = (19, "the input exceeds the configured size limit")
    STOP_DATABASE_UNAVAILABLE = (20, "the database cannot be reached")
    STOP_FINGERPRINT_DRIFT = (21, "a governed function differs from its pinned fingerprint")
    STOP_KB_UPLOAD = (22, "a KB document could not be written")
    STOP_GRANT_DELTA = (23, "the privilege matrix differs from the expected one")
    STOP_INVARIANT_FAILED = (24, "an internal-gate invariant does not hold")
    STOP_BACKUP = (25, "the pre-write backup could not be made or verified")
    STOP_APPROVAL_INVALID = (26, "the approval document is not valid for this gate")
    STOP_EXECUTION_DISABLED = (27, "live execution is not enabled")
    STOP_BETWEEN_LEG_A_AND_LEG_B = (28, "leg A is written but leg B is not; resume to complete")
    STOP_RUN_UNKNOWN = (29, "no such cut run")
    STOP_STATE = (30, "the cut run is not in a state that allows this step")
    STOP_CONFIG = (31, "the configuration is incomplete or invalid")
    STOP_SCHEMA_FAILED = (32, "a schema file failed to apply or verify; nothing was applied")
    STOP_DRIFT_TEXT = (33, "the stored source text no longer hashes to its pinned digest")
    STOP_DRIFT_BACKUP = (34, "the pre-write backup file is not the one pinned")
    STOP_DRIFT_KB = (35, "an earlier KB doc differs from the sha256 the ledger recorded")
    STOP_DRIFT_TRIGGER = (36, "a guard trigger is disabled, dropped or added")
    STOP_HARD_CAP = (37, "the run outlived its hard cap and was ended")
    STOP_CODE_DRIFT = (38, "cutter's code on disk differs from the code this process loaded")

    @property
    def exit_code(self) -> int:
        return self.value[0]

    @property
    def meaning(self) -> str:
        return self.value[1]


class CutterStop(Exception):
    """The one exception family: a STOP code plus a detail safe to show anyone.

    The detail must never carry a secret (DSN, password, key material); callers
    build it from discovered names and counts only. ``recorded`` is set where a
    STOP is put in the ledger (the phase runner): True once the run says STOPPED.
    """

    recorded = False

    def __init__(self, code: StopCode, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(self.line())

    def line(self) -> str:
        """The one clear line shown to people: code, then detail or meaning."""
        return f"{self.code.name}: {self.detail or self.code.meaning}"

    @property
    def exit_code(self) -> int:
        return self.code.exit_code


class StructureStop(CutterStop):
    """STOP_STRUCTURE with every anomaly the extractor found in the document, by
    line. Its detail is the anomaly found first, so a caller that only knows
    ``CutterStop`` sees what a reader stopping at the first would say.

    ``acceptable`` says whether a person may accept these anomalies as found (a
    structure review, gate SG_0): the whole text was read, so an as-found cut
    exists, and none is of a kind no cut can take as found."""

    def __init__(self, detail: str, anomalies: tuple[Anomaly, ...], *, acceptable: bool = True):
        super().__init__(StopCode.STOP_STRUCTURE, detail)
        self.anomalies = anomalies
        self.acceptable = acceptable
