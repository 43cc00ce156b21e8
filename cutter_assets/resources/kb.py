"""The knowledge base: a write-once folder tree of markdown evidence.

Docs are created exclusively and never rewritten; a failed write is retried
(3 tries, exponential backoff capped at 30 s) and then becomes
STOP_KB_UPLOAD. Every text is redacted before it touches the disk. Reading
opens only regular files inside the root, never through a symlink and never
more than a capped size (``cutter_assets.platform.files``).

The root comes from the settings only (``$CUTTER_KB_ROOT`` or the state
dir's config.yaml): the resource has no root in its Dagster config, so no
run config or launchpad edit can point a run at another folder.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster import ConfigurableResource

from cutter_assets.core.dsn import url_secrets
from cutter_assets.core.phases import Mode
from cutter_assets.core.secrets import redact
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.platform.files import FileRefused, FileTooLarge, read_regular_file
from cutter_assets.platform.settings import load_settings

LAWS_DIR = Path("knowledge/dev/laws")
RUNS_INDEX = LAWS_DIR / "_orchestrator-runs-index" / "v0.6-runs.md"
TRIES = 3
MAX_BACKOFF_SECONDS = 30.0
MAX_READ_BYTES = 16 * 1024 * 1024  # the largest KB doc cutter reads back (reports, requests)
PENDING = ".pending"  # a phase doc whose ledger record has not committed


@dataclass(frozen=True)
class WrittenDoc:
    path: str  # relative to the KB root
    sha256: str
    size: int


def run_folder_name(doc_code: str, version_sha: str, started: datetime, mode: str) -> Path:
    """``knowledge/dev/laws/<doc>/v<16 hex>-automation-cut-<YYYYMMDD>`` (dryruns marked)."""
    slug = "automation-dryrun" if mode == Mode.DRYRUN else "automation-cut"
    return LAWS_DIR / doc_code.lower() / f"v{version_sha[:16]}-{slug}-{started:%Y%m%d}"


def secrets_in_environment() -> list[str]:
    """Every form of the database URL's password (userinfo or query, as written,
    decoded, and the pieces an ambiguous URL splits it into); ``redact`` masks
    those of four characters or more wherever they appear."""
    url = os.environ.get("CUTTER_DATABASE_URL")
    return sorted(url_secrets(url), key=len, reverse=True) if url else []


class KnowledgeBase(ConfigurableResource):
    """Filesystem KB rooted at the settings' ``kb_root`` ($CUTTER_KB_ROOT or ./kb).

    ``retry_base_seconds`` is the only run-configurable value (the backoff is
    capped at MAX_BACKOFF_SECONDS whatever it says); where the KB lives is not.
    """

    retry_base_seconds: float = 1.0

    def root_path(self) -> Path:
        return load_settings().kb_root

    def claim_run_folder(
        self, doc_code: str, version_sha: str, started: datetime, mode: str
    ) -> str:
        """Create the run's folder; a second run on the same day gets -HHMM (then -HHMMSS)."""
        base = run_folder_name(doc_code, version_sha, started, mode)
        for suffix in ("", f"-{started:%H%M}", f"-{started:%H%M%S}", f"-{started:%H%M%S%f}"):
            candidate = base.with_name(base.name + suffix)
            try:
                self._retry(lambda c=candidate: self._mkdir_exclusive(c), str(candidate))
            except FileExistsError:
                continue
            return str(candidate)
        raise CutterStop(StopCode.STOP_KB_UPLOAD, f"no free KB folder name for {base}")

    def _mkdir_exclusive(self, relative: Path) -> None:
        target = self.root_path() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.mkdir()

    def write_once(self, relative: str, text: str) -> WrittenDoc:
        """Create ``relative`` with ``text`` (redacted); never overwrite."""
        data = redact(text, secrets_in_environment()).encode("utf-8")
        target = self.resolve(relative)

        def attempt() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())

        try:
            self._retry(attempt, relative)
        except FileExistsError:
            raise CutterStop(
                StopCode.STOP_KB_UPLOAD, f"{relative} already exists; KB docs are write-once"
            ) from None
        return WrittenDoc(relative, hashlib.sha256(data).hexdigest(), len(data))

    def write_pending(self, relative: str, text: str) -> WrittenDoc:
        """A phase's doc before its ledger record commits: written as
        ``<name>.pending`` and given its name by ``publish`` only once the
        ledger holds the phase, so a crash in between never leaves a PASS doc
        for something that does not exist. A pending doc left by a crashed
        attempt is kept aside as ``<name>.superseded-<time>``, never reused."""
        if self.resolve(relative).exists():
            raise CutterStop(
                StopCode.STOP_KB_UPLOAD, f"{relative} already exists; KB docs are write-once"
            )
        pending = self.resolve(relative + PENDING)
        if os.path.lexists(pending):
            stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
            os.rename(pending, self.resolve(f"{relative}.superseded-{stamp}"))
        written = self.write_once(relative + PENDING, text)
        return WrittenDoc(relative, written.sha256, written.size)

    def publish(self, doc: WrittenDoc) -> None:
        """The pending doc takes its name (a hard link: never over an existing doc)."""
        pending, final = self.resolve(doc.path + PENDING), self.resolve(doc.path)

        def attempt() -> None:
            os.link(pending, final)
            os.unlink(pending)

        try:
            self._retry(attempt, doc.path)
        except OSError as err:
            raise CutterStop(
                StopCode.STOP_KB_UPLOAD, f"{doc.path} could not be published: {err.strerror}"
            ) from None

    def recover_pending(self, relative: str, sha256: str) -> bool:
        """After a crash between the ledger's commit and ``publish``: publish the
        pending doc if it is exactly the one the ledger recorded."""
        try:
            data = self.read(relative + PENDING)
        except (CutterStop, OSError):
            return False
        if hashlib.sha256(data).hexdigest() != sha256:
            return False
        self.publish(WrittenDoc(relative, sha256, len(data)))
        return True

    def append_line(self, relative: str, line: str) -> None:
        """Append one line to an index document (lines are never rewritten)."""
        data = (redact(line, secrets_in_environment()).rstrip("\n") + "\n").encode("utf-8")
        target = self.resolve(relative)

        def attempt() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "ab") as handle:
                handle.write(data)

        self._retry(attempt, relative)

    def read(self, relative: str, cap: int = MAX_READ_BYTES) -> bytes:
        """The bytes of a regular file inside the KB of at most ``cap`` bytes;
        a symlink, FIFO, device or socket is STOP_REFUSED_INPUT at once (never
        a blocked read), a larger file STOP_TOO_LARGE."""
        root = self.root_path()
        inside = os.path.relpath(os.path.normpath(self.resolve(relative)), root)
        try:
            return read_regular_file(inside, cap, root=root)
        except FileTooLarge:
            raise CutterStop(
                StopCode.STOP_TOO_LARGE, f"{relative} is larger than {cap} bytes"
            ) from None
        except FileRefused as refused:
            raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"{relative}: {refused.why}") from None

    def resolve(self, relative: str) -> Path:
        """The absolute path of a KB-relative path, refusing anything outside the root."""
        root = self.root_path()
        target = (root / relative).absolute()
        if os.path.commonpath([root, os.path.normpath(target)]) != str(root):
            raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"{relative} lies outside the KB")
        return target

    def _retry(self, action, what: str) -> None:
        delay = self.retry_base_seconds
        for attempt in range(1, TRIES + 1):
            try:
                action()
                return
            except FileExistsError:
                raise
            except OSError as err:
                if attempt == TRIES:
                    raise CutterStop(
                        StopCode.STOP_KB_UPLOAD,
                        f"writing {what} failed {TRIES} times ({type(err).__name__}: "
                        f"{err.strerror or err})",
                    ) from None
                time.sleep(min(delay, MAX_BACKOFF_SECONDS))
                delay *= 2
