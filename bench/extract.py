"""Throughput of the legal-text extractor over the whole corpus, both languages.

    python bench/extract.py [corpus_dir ...] [--repeat N]

Reads every non-empty ``*.txt`` of ``corpus/vn`` (``$CUTTER_CORPUS_DIR`` if set,
as for the tests) and ``corpus/en``, or of the folders given, each text's
language found by ``detect_language`` (as ``extract_units`` finds it). Prints,
per language and over all: MB/s and units/s of ``extract_units`` (cap raised);
the extractor's time against the floor prototype's (``floor``: the least work
the output needs); the peak memory (tracemalloc) of cutting the largest file;
MB/s per file. As information only, the ratio to a bare regex scan (one
compiled heading regex, ``finditer``). Timings are the best of ``--repeat``
rounds, compared timings run in alternating rounds (this measures the code, not
a noisy machine).

Target: >= 10 MB/s over the whole corpus on one core; printed met or MISSED.

The floor reads the Vietnamese hierarchy, one fixed ladder (Phần/Chương/Mục >
Điều > khoản > điểm) that a single regex finds, so its ratio is over the
Vietnamese texts only. English has no such floor: which lines open units, and
at what level, depend on the drafting convention the extractor reads from the
document (``§ 1.``, ``SEC. 2.``, ``1 Title``, ``Article 1`` + title line, ``1.
Short title.—(1)``, ``Article. I.`` > ``Section. 1.``, each with its ladder of
markers). A prototype that found them would be the convention reader again,
not a least-work bound below it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import tracemalloc
import unicodedata
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cutter_assets.core.legal import extract_units  # noqa: E402
from cutter_assets.core.legal.detect import detect_language  # noqa: E402
from cutter_assets.core.legal.vocab import VI_POINT_LETTERS  # noqa: E402

DEFAULT_CORPORA = (
    Path(os.environ.get("CUTTER_CORPUS_DIR") or REPO / "corpus" / "vn"),
    REPO / "corpus" / "en",
)
TARGET_MB_S = 10.0
HEADINGS = r"(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC|Điều|ĐIỀU|Article|Chapter|Part|Section)\b"
BASELINE = re.compile(rf"^[ \t]*{HEADINGS}[^\n]*", re.MULTILINE)
# The floor prototype: every line a Vietnamese unit can start on, clean forms only
# (group 1 a heading numeral, 2 an article, 3 a clause, 4 a point).
UNIT_START = re.compile(
    r"^[ \t]*(?:(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC) ([IVXLCDM]+|\d+)"
    r"|Điều (\d+)\.|(\d{1,3})\.|([a-zđ])\))[^\n]*",
    re.MULTILINE,
)
POINT_ORDINAL = {letter: i for i, letter in enumerate(VI_POINT_LETTERS, 1)}
CAP = 1_000_000


@dataclass(frozen=True)
class Text:
    name: str
    language: str
    text: str
    size: int  # bytes of UTF-8


def load(folders: list[Path]) -> list[Text]:
    """Every non-empty ``*.txt`` of the folders, with its detected language."""
    texts = []
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            data = path.read_bytes()
            if data.strip():
                text = data.decode("utf-8")
                texts.append(Text(path.name, detect_language(text), text, len(data)))
    return texts


def cut_all(texts: list[Text]) -> None:
    for t in texts:
        extract_units(t.text, doc_code="BENCH", max_units=CAP)


def bare_scan(texts: list[Text]) -> None:
    for t in texts:
        for _ in BASELINE.finditer(t.text):
            pass


def floor(texts: list[Text], decomposed: list[list[int]]) -> list[tuple[str, str, str]]:
    """The least any extractor of Vietnamese must do, clean documents only:
    compose the decomposed lines (``decomposed``: their indexes, found before
    the clock starts), find every unit's line, check its number against the one
    before, build its address, sha256 the line; a tuple per unit. No bodies,
    titles, tolerances, quotes, closing block or unit objects."""
    records = []
    for t, fix in zip(texts, decomposed, strict=True):
        text = t.text
        if fix:
            lines = text.split("\n")
            for i in fix:
                lines[i] = unicodedata.normalize("NFC", lines[i])
            text = "\n".join(lines)
        article = clause = point = wrong = 0
        top = in_article = in_clause = "BENCH"
        for m in UNIT_START.finditer(text):
            numeral, a, c, p = m.groups()
            if a is not None:
                number = int(a)
                wrong += number != article + 1
                article, clause = number, 0
                address = in_article = f"{top}/d_{number}"
            elif c is not None:
                number = int(c)
                wrong += number != clause + 1
                clause, point = number, 0
                address = in_clause = f"{in_article}/k_{number}"
            elif p is not None:
                number = POINT_ORDINAL.get(p, 0)
                wrong += number != point + 1
                point = number
                address = f"{in_clause}/p_{p}"
            else:
                address = top = f"BENCH/c_{numeral}"
            line = m.group()
            records.append((address, line, sha256(line.encode()).hexdigest()))
    return records


def best_of(repeat: int, *fns) -> list[float]:
    """The best time of each function, run in alternating rounds, so a machine
    that speeds up or slows down affects them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def throughput(label: str, texts: list[Text], seconds: float) -> str:
    size = sum(t.size for t in texts)
    units = sum(len(extract_units(t.text, doc_code="BENCH", max_units=CAP).units) for t in texts)
    return (
        f"{label:11s}: {seconds * 1000:8.1f} ms {size / seconds / 1e6:6.1f} MB/s "
        f"{units / seconds:9.0f} units/s  ({len(texts)} texts, {size / 1e6:.2f} MB, {units} units)"
    )


def peak_memory(text: Text) -> float:
    """Bytes at the peak of cutting ``text`` (tracemalloc)."""
    tracemalloc.start()
    cut_all([text])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def decomposed_lines(texts: list[Text]) -> list[list[int]]:
    """The indexes of each text's lines that are not NFC (finding them costs
    more than composing them: the floor is given them)."""
    return [
        [
            i
            for i, line in enumerate(t.text.split("\n"))
            if not unicodedata.is_normalized("NFC", line)
        ]
        for t in texts
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="*", type=Path, default=list(DEFAULT_CORPORA))
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    texts = load(args.corpus)
    if not texts:
        print(f"no non-empty *.txt in {', '.join(map(str, args.corpus))}", file=sys.stderr)
        return 2
    vi = [t for t in texts if t.language == "vi"]
    en = [t for t in texts if t.language == "en"]
    decomposed = decomposed_lines(vi)

    all_s, bare_s = best_of(args.repeat, lambda: cut_all(texts), lambda: bare_scan(texts))
    vi_s, floor_s = best_of(args.repeat, lambda: cut_all(vi), lambda: floor(vi, decomposed))
    (en_s,) = best_of(args.repeat, lambda: cut_all(en))
    largest = max(texts, key=lambda t: t.size)
    overall = sum(t.size for t in texts) / all_s / 1e6
    verdict = "met" if overall >= TARGET_MB_S else "MISSED"

    print(f"corpus     : {', '.join(str(folder.resolve()) for folder in args.corpus)}")
    for label, group, seconds in (("vi", vi, vi_s), ("en", en, en_s), ("overall", texts, all_s)):
        if group:
            print(throughput(label, group, seconds))
    if vi:
        print(
            f"floor (vi) : {floor_s * 1000:8.1f} ms; the extractor takes {vi_s / floor_s:.1f} x "
            "its time: compose, find every unit line, check its number, address and sha256 it "
            "(clean forms). Vietnamese only: English has no floor (see the docstring)"
        )
    print(
        f"bare scan  : {bare_s * 1000:8.1f} ms; the extractor takes {all_s / bare_s:.1f} x its "
        "time (information only: one heading regex, finditer)"
    )
    print(
        f"peak mem   : {peak_memory(largest) / 1e6:8.1f} MB (tracemalloc) cutting the largest "
        f"file, {largest.name} ({largest.size / 1e3:.1f} kB)"
    )
    target = f">= {TARGET_MB_S:.0f} MB/s over the whole corpus"
    print(f"target     : {target}: {overall:.1f} MB/s -> {verdict}")
    for t in texts:
        (seconds,) = best_of(max(3, args.repeat // 3), lambda t=t: cut_all([t]))
        print(
            f"  {t.language} {t.name:56s} {t.size / 1e3:8.1f} kB {t.size / seconds / 1e6:6.1f} MB/s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
