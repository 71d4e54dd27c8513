"""Grade table answers cell by cell: `python -m qa.evaluate_table [--split tune|all]`.

The multi-report gold (`corpus/reports/gold/multi/*.jsonl`, README there) has `table` rows whose `cells`
give, per area and year, the target and the result as a report states them (value, unit, the document
quoting it). Each gold file is answered over its own documents together (the three national reports; the
28 provincial ones), by `Assistant.ask`, and a gold cell is right when the answer's row of that area and
year has the same target and the same result: the same value from the same document, or none where the
gold has none. A cell missing from the answer is wrong.

A cell counts under `--split tune` (the default) only when every document it reads is a tune document
(`split.tsv`): its figures' documents, and for an empty slot the report that would state it. Failures are
printed for those cells only, never for a held-out document's.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .eval_each import document_splits

COUNTRY = {"全国": "中国"}  # the gold's name of the national area -> the profile's


@dataclass(frozen=True)
class CellResult:
    question: str
    area: str
    year: int
    right: bool
    counted: bool  # every document the cell reads is a tune document (or --split all)
    why: str = ""


def gold_tables(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("type") == "table"]


def documents_of(path: Path) -> list[str]:
    """Every document a gold file cites: the corpus its questions are asked over."""
    docs: dict[str, None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        d = r.get("doc")
        docs.update(dict.fromkeys(d if isinstance(d, list) else [d] if d else []))
        for c in r.get("cells") or ():
            docs.update(dict.fromkeys(s["doc"] for s in (c.get("target"), c.get("result")) if s))
    return sorted(docs)


def corpus_of(stems: Sequence[str], reports: Path, work: Path, name: str) -> Path:
    """A corpus folder holding these reports only (under `work/corpora/<name>`), made once."""
    folder = work / "corpora" / name
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        if not (folder / f"{stem}.txt").exists():
            shutil.copyfile(reports / f"{stem}.txt", folder / f"{stem}.txt")
    return folder


def _slot_right(gold: dict | None, figure: Any) -> bool:
    if gold is None:
        return figure is None
    return figure is not None and abs(figure.value - float(gold["value"])) < 1e-6 and figure.doc == gold["doc"]


def grade(item: dict[str, Any], answer: Any, report_of: dict[tuple[str, int], str], splits: dict[str, str],
          which: str = "tune") -> list[CellResult]:
    """One gold table against one answer: a CellResult per gold cell. `report_of`: (area, year) ->
    the loaded report of that area and year (for an empty slot, the report that would state it)."""
    rows = {(r.area, r.year): r for r in answer.rows} if answer.status == "table" else {}
    out = []
    for cell in item["cells"]:
        area, year = COUNTRY.get(cell["area"], cell["area"]), int(cell["year"])
        reads = {s["doc"] for s in (cell.get("target"), cell.get("result")) if s}
        reads |= {d for d in (report_of.get((area, year)), report_of.get((area, year + 1))) if d}
        counted = which == "all" or all(splits.get(d, "tune") == "tune" for d in reads)
        row = rows.get((area, year))
        if row is None:
            out.append(CellResult(item["question"], area, year, False, counted,
                                  f"no row (status {answer.status})"))
            continue
        wrong = [name for name, gold, got in (("target", cell.get("target"), row.target),
                                              ("result", cell.get("result"), row.result))
                 if not _slot_right(gold, got)]
        why = "; ".join(f"{n}: gold {(cell.get(n) or {}).get('value')} got "
                        f"{getattr(getattr(row, n), 'text', None)} ({getattr(getattr(row, n), 'doc', '')})"
                        for n in wrong)
        out.append(CellResult(item["question"], area, year, not wrong, counted, why))
    return out


def evaluate(gold: Path, assistant: Any, splits: dict[str, str], which: str = "tune") -> list[CellResult]:
    source = assistant.table_source()
    report_of = {(p.area, p.year): d for d, p in sorted(source.profiles.items()) if p.area and p.year}
    out: list[CellResult] = []
    for item in gold_tables(gold):
        out.extend(grade(item, assistant.ask(item["question"], related=False), report_of, splits, which))
    return out


def score(cells: Iterable[CellResult]) -> tuple[int, int]:
    counted = [c for c in cells if c.counted]
    return sum(c.right for c in counted), len(counted)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.evaluate_table", description=__doc__.split("\n\n")[0])
    p.add_argument("--reports", type=Path, default=Path("corpus/reports"), help="the reports and their split.tsv")
    p.add_argument("--gold", type=Path, action="append",
                   help="gold files (default: every file of <reports>/gold/multi/)")
    p.add_argument("--work", type=Path, default=Path("artifacts/eval-table"), help="corpora and indexes, reused")
    p.add_argument("--split", choices=("tune", "all"), default="tune",
                   help="tune: only cells that read tune documents only (the default)")
    p.add_argument("--failures", action="store_true", help="print the counted cells that are wrong")
    args = p.parse_args(argv)
    from .answer import Assistant

    splits = document_splits(args.reports)
    golds = args.gold or sorted((args.reports / "gold" / "multi").glob("*.jsonl"))
    lines = ["| gold | cells | right | share |", "|---|---:|---:|---:|"]
    total = [0, 0]
    for gold in golds:
        folder = corpus_of(documents_of(gold), args.reports, args.work, gold.stem)
        assistant = Assistant.load(corpus_dir=folder, index_dir=args.work / "indexes" / gold.stem)
        cells = evaluate(gold, assistant, splits, args.split)
        right, n = score(cells)
        total[0] += right
        total[1] += n
        lines.append(f"| {gold.name} | {n} | {right} | {right / n:.3f} |" if n else f"| {gold.name} | 0 | 0 | - |")
        if args.failures:
            for c in cells:
                if c.counted and not c.right:
                    print(f"  ✗ {gold.stem} {c.question} {c.area} {c.year}: {c.why}", file=sys.stderr)
    if total[1]:
        lines.append(f"| all ({args.split}) | {total[1]} | {total[0]} | {total[0] / total[1]:.3f} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
