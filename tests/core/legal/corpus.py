"""Where the real Vietnamese laws are: ``corpus/vn`` in the
repository, or ``$CUTTER_CORPUS_DIR``. A missing corpus fails the tests that
need it (it never skips them)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CORPUS_FILES = (
    "bo-luat-to-tung-hinh-su.txt",
    "hien-phap.txt",
    "luat-ban-hanh-van-ban-quy-pham-phap-luat.txt",
    "luat-bao-ve-moi-truong.txt",
    "luat-cong-nghe-thong-tin.txt",
    "luat-hon-nhan-va-gia-dinh.txt",
    "luat-quy-dinh-quyen-tu-do-hoi-hop.txt",
    "luat-so-huu-tri-tue.txt",
)


def corpus_dir() -> Path:
    configured = os.environ.get("CUTTER_CORPUS_DIR")
    folder = Path(configured) if configured else REPO / "corpus" / "vn"
    missing = [name for name in CORPUS_FILES if not (folder / name).is_file()]
    assert not missing, f"corpus incomplete in {folder}: missing {missing} (set CUTTER_CORPUS_DIR)"
    return folder


def corpus_path(name: str) -> Path:
    return corpus_dir() / name


def corpus_text(name: str) -> str:
    return corpus_path(name).read_bytes().decode("utf-8")
