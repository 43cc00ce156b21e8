"""Reading files cutter did not write itself (KB docs, approvals) without
being fooled or stalled by what lies at the path.

One rule, one place: only a regular file is read, never through a symlink,
never a FIFO, device or socket, and never more than a stated number of
bytes. Opening never blocks (``O_NONBLOCK``), so a FIFO named like an
approval is refused at once instead of hanging a sensor or a write.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePath

from cutter_assets.core.intake import file_kind

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC
_ROOT_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC  # the root itself is configured, trusted
_DIRECTORY_FLAGS = _ROOT_FLAGS | os.O_NOFOLLOW


class FileRefused(OSError):
    """The path is not a regular file we may read (symlink, FIFO, device,
    socket, directory, a path leaving its root) or it is too large."""

    def __init__(self, path: str | os.PathLike, why: str):
        self.path = str(path)
        self.why = why
        super().__init__(f"{self.path}: {why}")


class FileTooLarge(FileRefused):
    """The regular file holds more than the cap allows."""

    def __init__(self, path: str | os.PathLike, cap: int):
        self.cap = cap
        super().__init__(path, f"larger than {cap} bytes")


def read_regular_file(
    path: str | os.PathLike, cap: int, *, root: str | os.PathLike | None = None
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``cap`` bytes;
    FileRefused (or FileTooLarge) otherwise, at once and without blocking.

    With ``root``, ``path`` is relative to it and no component below ``root``
    may be a symlink or ``..`` (each directory is opened with O_NOFOLLOW), so
    the file read is the one inside ``root`` the name says. A missing file is
    FileNotFoundError, as from ``open``.
    """
    descriptor = _open_no_follow(Path(path), root)
    try:
        info = os.fstat(descriptor)  # the file opened, not whatever the name points at now
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(path, _not_regular(info.st_mode))
        if info.st_size > cap:
            raise FileTooLarge(path, cap)
        data = _read_at_most(descriptor, cap + 1)  # one byte more tells "too large"
    finally:
        os.close(descriptor)
    if len(data) > cap:
        raise FileTooLarge(path, cap)
    return data


def _open_no_follow(path: Path, root: str | os.PathLike | None) -> int:
    if root is None:
        return _open_file(path, str(path), None)
    parts = PurePath(path).parts
    if not parts or PurePath(path).is_absolute() or ".." in parts:
        raise FileRefused(path, "not a plain path inside its root")
    directory = os.open(root, _ROOT_FLAGS)
    try:
        for part in parts[:-1]:
            inner = _open_at(path, part, _DIRECTORY_FLAGS, directory)
            os.close(directory)
            directory = inner
        return _open_file(path, parts[-1], directory)
    finally:
        os.close(directory)


def _open_file(path: Path, name: str, directory: int | None) -> int:
    """Look before opening (a device or socket is never even opened), then open
    without following a symlink; the caller's fstat settles a swap in between."""
    mode = os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode
    if not stat.S_ISREG(mode):
        raise FileRefused(path, _not_regular(mode))
    return _open_at(path, name, _OPEN_FLAGS, directory)


def _open_at(path: Path, name: str, flags: int, directory: int | None) -> int:
    try:
        return os.open(name, flags, dir_fd=directory)
    except OSError as err:
        if err.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink
            raise FileRefused(path, "a symlink") from None
        if err.errno == errno.ENOTDIR and flags & os.O_DIRECTORY:
            raise FileRefused(path, "a path component is not a directory") from None
        raise


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks, left = [], limit
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _not_regular(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symlink"
    kind = file_kind(mode)
    return f"not a regular file ({kind})"
