"""Synthetic report corpora for cluster tests and benchmarks: the real report with every figure
renumbered and the place renamed, so each document parses, chunks and embeds like a real one
(about 107 chunks each) while no two documents share a chunk text."""
from __future__ import annotations

import random
import re
from pathlib import Path

PLACES = ("江夏", "洪山", "汉阳", "武昌", "青山", "蔡甸", "黄陂", "新洲", "硚口", "江岸", "江汉", "东西湖")


def renumber(text: str, rng: random.Random) -> str:
    """The same text with every number changed; years stay, so periods still read right."""

    def repl(m: re.Match) -> str:
        s = m.group(0)
        if re.fullmatch(r"(19|20)\d\d", s):
            return s
        if "." in s:
            a, b = s.split(".", 1)
            return f"{rng.randint(1, 10 ** len(a) - 1)}.{rng.randint(0, 10 ** len(b) - 1):0{len(b)}d}"
        return str(rng.randint(1, max(9, 10 ** len(s) - 1)))

    return re.sub(r"\d+(?:\.\d+)?", repl, text)


def write_corpus(folder: str | Path, base: str | Path, n_docs: int, seed: int = 7) -> list[Path]:
    """Write `n_docs` variants of the document `base` into `folder` as synthetic-NNNN.txt."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = Path(base).read_text(encoding="utf-8")
    rng = random.Random(seed)
    paths = []
    for k in range(n_docs):
        place = PLACES[k % len(PLACES)] + (f"{k // len(PLACES) + 1}" if k >= len(PLACES) else "")
        variant = renumber(text.replace("东湖高新区", f"{place}区").replace("光谷", place), rng)
        p = folder / f"synthetic-{k:04d}.txt"
        p.write_text(variant, encoding="utf-8")
        paths.append(p)
    return paths
