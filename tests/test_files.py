"""Reading files cutter did not write: only regular files, never through a
symlink, never a FIFO, device or socket, never more than the cap, and never
blocking on the way to a refusal."""

from __future__ import annotations

import os
import socket

import pytest

from cutter_assets.platform.files import FileRefused, FileTooLarge, read_regular_file
from tests.guards import within


def test_a_regular_file_is_read_up_to_its_cap(tmp_path):
    (tmp_path / "doc.md").write_bytes(b"x" * 10)
    assert read_regular_file(tmp_path / "doc.md", 10) == b"x" * 10
    with pytest.raises(FileTooLarge):
        read_regular_file(tmp_path / "doc.md", 9)
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing.md", 10)


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "SG1-cut-authz-approval-20261121.md"
    os.mkfifo(fifo)
    with within(5), pytest.raises(FileRefused) as refused:
        read_regular_file(fifo, 1024)
    assert "FIFO" in refused.value.why
    with within(5), pytest.raises(FileRefused):
        read_regular_file(fifo.name, 1024, root=tmp_path)


def test_a_symlink_is_refused_even_to_a_regular_file(tmp_path):
    (tmp_path / "real.md").write_text("approved")
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    with pytest.raises(FileRefused) as refused:
        read_regular_file(tmp_path / "link.md", 1024)
    assert refused.value.why == "a symlink"


def test_under_a_root_no_directory_may_be_a_symlink(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "doc.md").write_text("approved")
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "run").symlink_to(tmp_path / "elsewhere")
    assert read_regular_file("elsewhere/doc.md", 1024, root=tmp_path) == b"approved"
    with pytest.raises(FileRefused):
        read_regular_file("run/doc.md", 1024, root=tmp_path / "kb")
    for escaping in ("../elsewhere/doc.md", str(tmp_path / "elsewhere" / "doc.md")):
        with pytest.raises(FileRefused):
            read_regular_file(escaping, 1024, root=tmp_path / "kb")


def test_devices_sockets_and_directories_are_refused(tmp_path):
    with within(5), pytest.raises(FileRefused) as refused:
        read_regular_file("/dev/zero", 1024)
    assert "character device" in refused.value.why
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(str(tmp_path / "s.md"))
        with within(5), pytest.raises(FileRefused) as refused:
            read_regular_file(tmp_path / "s.md", 1024)
        assert "socket" in refused.value.why
    finally:
        listener.close()
    with pytest.raises(FileRefused) as refused:
        read_regular_file(tmp_path, 1024)
    assert "directory" in refused.value.why
