"""Grade the assistant against gold Q&A: passage hits, figure answers, abstention, latency.

A passage counts as right when its span overlaps an evidence span of the gold answer. Rank metrics
come from trec_eval (pytrec_eval), so they mean what IR papers mean by them. Every mode runs on the
same index in one go, beside two textbook baselines, so each gain is visible.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .config import Settings
from .errors import QuestionError

TREC_MEASURES = {"recip_rank", "ndcg_cut.10", "success.1,3,5"}
ANSWERABLE = ("figure", "fact", "paraphrase", "year", "multi")
UNANSWERED = ("none", "nofigure")  # the report gives no figure for these


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    type: str
    lang: str
    evidence: tuple[str, ...]
    answer: str
    value: float | None
    unit: str | None
    split: str
    doc: str
    figure_kind: str | None = None
    period: str | None = None
    status: str = ""  # what a trustworthy answer is: figure | passage | not_found
    group: str = ""
    set: str = "main"  # the gold file: main, or the part of its name after the document (trust, colloquial)


@dataclass(frozen=True)
class Result:
    """What one system returned for one gold question."""

    id: str
    ranked: tuple[str, ...]  # chunk ids, best first
    found: bool
    figure: tuple[float, str] | None  # (value, unit) of the first figure
    confidence: float
    latency_ms: float
    top_text: str = ""
    status: str = ""  # the answer's status
    figure_doc: str = ""  # the document the first figure is from


def load_gold(paths: Iterable[Path]) -> list[GoldItem]:
    """Gold files are corpus/gold/<document>.jsonl (the main set) or <document>.<set>.jsonl."""
    items = []
    for path in paths:
        doc, _, set_name = path.name[: -len(".jsonl")].partition(".")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                items.append(GoldItem(
                    d["id"], d["question"], d["type"], d["lang"], tuple(d["evidence"]), d.get("answer", ""),
                    d.get("value"), d.get("unit"), d.get("split", "tune"), d.get("doc", doc),
                    d.get("figure_kind"), d.get("period"), d.get("status") or gold_status(d), d.get("group", ""),
                    set_name or "main",
                ))
    return items


def gold_status(d: dict[str, Any]) -> str:
    """The status a gold row without one implies: none questions are not found, questions with a
    figure answer are figure questions, the rest are answered by a passage."""
    if d["type"] == "none":
        return "not_found"
    return "figure" if d.get("value") is not None and d["type"] in ("figure", "year") else "passage"


def evidence_spans(text: str, evidence: Sequence[str]) -> list[tuple[int, int]]:
    spans = []
    for e in evidence:
        start = text.find(e)
        while start != -1:
            spans.append((start, start + len(e)))
            start = text.find(e, start + 1)
    return spans


def relevant_chunks(chunks: Sequence[Any], doc_text: str, item: GoldItem) -> set[str]:
    """Chunks of the item's document whose span overlaps an evidence span."""
    spans = evidence_spans(doc_text, item.evidence)
    return {c.id for c in chunks if c.doc == item.doc and any(c.start < b and a < c.end for a, b in spans)}


def rank_metrics(qrels: dict[str, dict[str, int]], runs: dict[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """hit@1/3/5, MRR@10 and nDCG@10 per question (trec_eval's success, recip_rank, ndcg_cut)."""
    import pytrec_eval

    qrels = {q: r for q, r in qrels.items() if r}
    run = {q: {cid: float(len(ids) - i) for i, cid in enumerate(ids[:10])} or {"-": 0.0} for q, ids in runs.items() if q in qrels}
    per_q = pytrec_eval.RelevanceEvaluator(qrels, TREC_MEASURES).evaluate(run) if run else {}
    out = {}
    for q in qrels:
        m = per_q.get(q, {})
        out[q] = {
            "hit@1": m.get("success_1", 0.0), "hit@3": m.get("success_3", 0.0), "hit@5": m.get("success_5", 0.0),
            "mrr@10": m.get("recip_rank", 0.0), "ndcg@10": m.get("ndcg_cut_10", 0.0),
        }
    return out


def figure_correct(item: GoldItem, figure: tuple[float, str] | None, doc: str = "") -> bool:
    """The gold's value and unit, and (over several reports) from the gold's report: 安徽's 5%左右 is
    not 甘肃's."""
    if item.value is None or figure is None or (doc and item.doc and doc != item.doc):
        return False
    value, unit = figure
    same_value = math.isclose(value, float(item.value), rel_tol=1e-6, abs_tol=1e-9)
    gold_unit = unicodedata.normalize("NFKC", (item.unit or "").strip())  # ％ is %
    unit = unicodedata.normalize("NFKC", unit)
    return same_value and (not gold_unit or gold_unit == unit or gold_unit in unit or unit in gold_unit)


def summarize(items: Sequence[GoldItem], results: dict[str, Result], per_q: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Averages over a group of questions."""
    answerable = [i for i in items if i.type in ANSWERABLE]
    ranked = [i for i in answerable if i.id in per_q]
    figs = [i for i in items if i.value is not None and i.type in ("figure", "year")]
    nones = [i for i in items if i.type == "none"]
    out: dict[str, Any] = {"n": len(items)}
    for m in ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10"):
        out[m] = statistics.fmean(per_q[i.id][m] for i in ranked) if ranked else None
    out["figure@1"] = statistics.fmean(figure_correct(i, results[i.id].figure, results[i.id].figure_doc) for i in figs) if figs else None
    # a stated figure is right: of the figures shown for figure questions, the share that is the gold's
    shown = [i for i in items if i.value is not None and results[i.id].figure is not None]
    out["figure_precision"] = (statistics.fmean(figure_correct(i, results[i.id].figure, results[i.id].figure_doc) for i in shown)
                               if shown else None)
    out["none_refused"] = statistics.fmean(not results[i.id].found for i in nones) if nones else None
    out["wrongly_refused"] = statistics.fmean(not results[i.id].found for i in answerable) if answerable else None
    # trust: a figure shown where the report gives none, and statuses as a whole
    no_figure = [i for i in items if i.status in ("passage", "not_found") and i.type in UNANSWERED]
    out["figure_shown_unanswerable"] = (statistics.fmean(results[i.id].status == "figure" for i in no_figure)
                                        if no_figure else None)
    graded = [i for i in items if i.status and results[i.id].status]
    out["status_accuracy"] = statistics.fmean(results[i.id].status == i.status for i in graded) if graded else None
    lat = [results[i.id].latency_ms for i in items]
    out["p50_ms"] = float(np.percentile(lat, 50)) if lat else None
    out["p95_ms"] = float(np.percentile(lat, 95)) if lat else None
    return out


def calibrate_threshold(items: Sequence[GoldItem], results: dict[str, Result], max_wrong: float = 0.03) -> float:
    """The abstention threshold refusing most `none` questions while wrongly refusing at most
    `max_wrong` of the answerable ones (computed on the tuning split only)."""
    answerable = sorted(results[i.id].confidence for i in items if i.type in ANSWERABLE)
    if not answerable:
        return 0.0
    allowed = int(math.floor(max_wrong * len(answerable)))
    # refusing everything strictly below the (allowed)-th smallest confidence refuses at most `allowed`
    return float(answerable[allowed]) if allowed < len(answerable) else float(answerable[-1])


# --- the systems under test ----------------------------------------------------------------------


def assistant_system(assistant: Any, mode: str) -> Callable[[GoldItem], Result]:
    def run(item: GoldItem) -> Result:
        t0 = time.perf_counter()
        try:
            a = assistant.ask(item.question, top_k=10, mode=mode)
        except QuestionError:
            return Result(item.id, (), False, None, 0.0, (time.perf_counter() - t0) * 1000)
        figure = (a.figures[0].value, a.figures[0].unit) if a.figures else None
        return Result(item.id, tuple(p.chunk_id for p in a.passages), a.found, figure, a.confidence, a.elapsed_ms,
                      a.passages[0].text[:80] if a.passages else "", a.status, a.figures[0].doc if a.figures else "")
    return run


def baseline_bm25(assistant: Any) -> Callable[[GoldItem], Result]:
    """The textbook lexical baseline: jieba words + rank-bm25 over the same chunk texts, nothing else."""
    import jieba
    from rank_bm25 import BM25Okapi

    chunks = assistant.index.chunks
    bm25 = BM25Okapi([[w for w in jieba.lcut(c.text) if w.strip()] for c in chunks])

    def run(item: GoldItem) -> Result:
        t0 = time.perf_counter()
        scores = bm25.get_scores([w for w in jieba.lcut(item.question) if w.strip()])
        order = np.argsort(-scores)[:10]
        return Result(item.id, tuple(chunks[i].id for i in order), True, None, 1.0, (time.perf_counter() - t0) * 1000)
    return run


def baseline_dense(assistant: Any) -> Callable[[GoldItem], Result]:
    """The textbook dense baseline: cosine of the question and the bare chunk text, nothing else."""
    chunks = assistant.index.chunks
    emb = assistant.model.encode_documents([c.text for c in chunks])

    def run(item: GoldItem) -> Result:
        t0 = time.perf_counter()
        q = assistant.model.encode_queries([item.question])[0]
        order = np.argsort(-(emb @ q))[:10]
        return Result(item.id, tuple(chunks[i].id for i in order), True, None, 1.0, (time.perf_counter() - t0) * 1000)
    return run


def baseline_rrf(assistant: Any) -> Callable[[GoldItem], Result]:
    """The textbook hybrid: the two baselines above fused by plain RRF (k=60)."""
    lex, den = baseline_bm25(assistant), baseline_dense(assistant)

    def run(item: GoldItem) -> Result:
        t0 = time.perf_counter()
        a, b = lex(item).ranked, den(item).ranked
        score: dict[str, float] = {}
        for ranked in (a, b):
            for r, cid in enumerate(ranked):
                score[cid] = score.get(cid, 0.0) + 1 / (61 + r)
        ranked = tuple(sorted(score, key=lambda c: -score[c])[:10])
        return Result(item.id, ranked, True, None, 1.0, (time.perf_counter() - t0) * 1000)
    return run


@dataclass
class Evaluation:
    systems: dict[str, dict[str, Result]] = field(default_factory=dict)
    per_q: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


def run_systems(assistant: Any, items: Sequence[GoldItem], systems: dict[str, Callable[[GoldItem], Result]],
                progress: bool = True) -> Evaluation:
    from tqdm import tqdm

    ev = Evaluation()
    index = assistant.index
    qrels = {}
    for item in items:
        doc = index.documents.get(item.doc)
        rel = relevant_chunks(index.chunks, doc.text, item) if doc and item.type in ANSWERABLE else set()
        qrels[item.id] = {cid: 1 for cid in rel}
    for name, system in systems.items():
        results = {}
        for item in tqdm(items, desc=f"eval {name}", disable=not progress, leave=False):
            results[item.id] = system(item)
        ev.systems[name] = results
        ev.per_q[name] = rank_metrics(qrels, {i: r.ranked for i, r in results.items()})
    return ev


def groups(items: Sequence[GoldItem]) -> dict[str, list[GoldItem]]:
    out: dict[str, list[GoldItem]] = {"all": list(items)}
    for split in ("tune", "heldout", "blind"):
        out[f"split={split}"] = [i for i in items if i.split == split]
    for name in sorted({i.set for i in items}):
        out[f"set={name}"] = [i for i in items if i.set == name]
    for status in ("figure", "passage", "not_found"):
        out[f"status={status}"] = [i for i in items if i.status == status]
    for g in sorted({i.group for i in items if i.group}):
        out[f"group={g}"] = [i for i in items if i.group == g]
    for t in sorted({i.type for i in items}):
        out[f"type={t}"] = [i for i in items if i.type == t]
    for lang in sorted({i.lang for i in items}):
        out[f"lang={lang}"] = [i for i in items if i.lang == lang]
    return {k: v for k, v in out.items() if v}


def report_tables(items: Sequence[GoldItem], ev: Evaluation) -> dict[str, dict[str, dict[str, Any]]]:
    return {name: {g: summarize(members, ev.systems[name], ev.per_q[name]) for g, members in groups(items).items()}
            for name in ev.systems}


COLUMNS = ("n", "hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "figure@1", "figure_precision", "none_refused",
           "wrongly_refused", "figure_shown_unanswerable", "status_accuracy", "p50_ms", "p95_ms")


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.1f}" if v > 1.5 else f"{v:.3f}"
    return str(v)


def markdown_table(tables: dict[str, dict[str, dict[str, Any]]], group: str) -> str:
    lines = ["| system | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, by_group in tables.items():
        if group in by_group:
            lines.append(f"| {name} | " + " | ".join(_fmt(by_group[group].get(c)) for c in COLUMNS) + " |")
    return "\n".join(lines)


def failures(items: Sequence[GoldItem], ev: Evaluation, system: str, index: Any) -> list[dict[str, Any]]:
    by_id = {c.id: c for c in index.chunks}
    out = []
    for item in items:
        if item.split == "blind":  # a blind set's failures are never shown: nothing may be tuned on them
            continue
        r = ev.systems[system][item.id]
        m = ev.per_q[system].get(item.id)
        wrong_rank = m is not None and m["hit@1"] < 1
        wrong_fig = item.value is not None and item.type in ("figure", "year") and not figure_correct(item, r.figure, r.figure_doc)
        wrong_abstain = (item.type == "none") == r.found
        wrong_status = bool(item.status) and bool(r.status) and r.status != item.status
        if wrong_rank or wrong_fig or wrong_abstain or wrong_status:
            out.append({
                "id": item.id, "split": item.split, "type": item.type, "question": item.question,
                "expected": item.answer, "evidence": list(item.evidence),
                "got_first_passage": by_id[r.ranked[0]].text if r.ranked else None,
                "got_section": by_id[r.ranked[0]].section if r.ranked else None,
                "got_figure": r.figure, "found": r.found, "rank_of_first_right": _first_right(m),
                "status": item.status, "got_status": r.status,
                "why": [w for w, bad in (("rank", wrong_rank), ("figure", wrong_fig), ("abstain", wrong_abstain),
                                         ("status", wrong_status)) if bad],
            })
    return out


def _first_right(m: dict[str, float] | None) -> int | None:
    if not m or m["mrr@10"] == 0:
        return None
    return round(1 / m["mrr@10"])


def plot(tables: dict[str, dict[str, dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(tables)
    metrics = ("hit@1", "hit@5", "mrr@10", "figure@1")
    type_groups = [g for g in next(iter(tables.values())) if g.startswith("type=")]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    width = 0.8 / max(len(names), 1)
    first = next(iter(tables.values()))
    group = "split=heldout" if "split=heldout" in first else "all"
    for i, name in enumerate(names):
        vals = [tables[name][group].get(m) or 0 for m in metrics]
        axes[0].bar(np.arange(len(metrics)) + i * width, vals, width, label=name)
        tv = [tables[name][g].get("hit@5") or 0 for g in type_groups]
        axes[1].bar(np.arange(len(type_groups)) + i * width, tv, width, label=name)
    axes[0].set_xticks(np.arange(len(metrics)) + 0.4 - width / 2, metrics)
    axes[0].set_title(f"{group}: metrics per system")
    axes[1].set_xticks(np.arange(len(type_groups)) + 0.4 - width / 2, [g[5:] for g in type_groups])
    axes[1].set_title("hit@5 per question type (all questions)")
    for ax in axes:
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def headline_groups(items: Sequence[GoldItem]) -> list[tuple[str, str]]:
    """The groups every report shows first, each labelled with what it may be used for."""
    out = [("split=heldout", "main set, held out"), ("split=tune", "tune splits: tuned on")]
    for name in sorted({i.set for i in items if i.set and i.set != "main"}):
        blind = any(i.split == "blind" for i in items if i.set == name)
        out.append((f"set={name}", "blind: never tuned on" if blind else "development set: tuned on"))
    return out


def write_report(out: Path, items: Sequence[GoldItem], ev: Evaluation, tables: dict, index: Any, main_system: str,
                 extra: dict[str, Any]) -> str:
    out.mkdir(parents=True, exist_ok=True)
    md = ["# Evaluation", "", f"{len(items)} gold questions; passage metrics over answerable questions; "
          "figure@1 over figure/year questions with a value.", ""]
    for group, label in (*headline_groups(items), ("all", "every question")):
        if any(group in t for t in tables.values()):
            md += [f"## {group} ({label})", "", markdown_table(tables, group), ""]
    md += [f"## {main_system} by type and language", ""]
    rows = ["| group | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for g, s in tables[main_system].items():
        rows.append(f"| {g} | " + " | ".join(_fmt(s.get(c)) for c in COLUMNS) + " |")
    md += rows + [""]
    for k, v in extra.items():
        md.append(f"- {k}: {v}")
    fails = failures(items, ev, main_system, index)
    md += ["", f"## Failures of {main_system} ({len(fails)})", ""]
    for f in fails:
        md.append(f"- **{f['id']}** ({f['split']}, {f['type']}, {','.join(f['why'])}) {f['question']} — expected "
                  f"{f['expected']!r}; got figure {f['got_figure']}, first right at {f['rank_of_first_right']}, "
                  f"found={f['found']}; top: {(f['got_first_passage'] or '')[:60]}")
    text = "\n".join(md) + "\n"
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "report.json").write_text(json.dumps({"tables": tables, "extra": extra}, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "failures.jsonl").write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in fails), encoding="utf-8")
    plot(tables, out / "report.png")
    return text


def evaluate(assistant: Any, items: Sequence[GoldItem], modes: Sequence[str], baselines: bool = True,
             progress: bool = True) -> tuple[Evaluation, dict]:
    systems: dict[str, Callable[[GoldItem], Result]] = {m: assistant_system(assistant, m) for m in modes}
    if baselines:
        systems["baseline-bm25"] = baseline_bm25(assistant)
        systems["baseline-dense"] = baseline_dense(assistant)
        systems["baseline-rrf"] = baseline_rrf(assistant)
    ev = run_systems(assistant, items, systems, progress)
    return ev, report_tables(items, ev)


def main(args: argparse.Namespace, settings: Settings) -> int:
    from .answer import Assistant

    overrides = dict(kv.split("=", 1) for kv in (getattr(args, "set", None) or []))
    if overrides:
        from .config import _coerce

        settings = settings.with_(**{k: _coerce(k, v, getattr(Settings, k)) for k, v in overrides.items()})
    gold = [args.gold] if args.gold else sorted((settings.corpus_dir / "gold").glob("*.jsonl"))
    items = load_gold(gold)
    if args.split != "all":
        items = [i for i in items if i.split == args.split]
    if args.limit:
        items = items[: args.limit]
    assistant = Assistant.load(settings=settings, progress=True)
    if getattr(args, "tune", False):
        tune_items = [i for i in items if i.split == "tune"]
        ranked = tune(assistant, tune_items, GRIDS[args.tune])
        print("best settings on the tune split (objective = hit@1 + 0.5*hit@5 + figure@1 + status accuracy"
              f" - {WRONG_FIGURE_COST:g} x figure shown unanswerable - answerable refused):")
        for score, combo, summary in ranked[:10]:
            print(f"  {score:.3f}  {combo}  hit@1={summary['hit@1']:.3f} hit@5={summary['hit@5']:.3f} "
                  f"figure@1={summary['figure@1'] if summary['figure@1'] is not None else '-'}")
        (args.out).mkdir(parents=True, exist_ok=True)
        (args.out / "tuning.json").write_text(json.dumps([{"objective": s, "settings": c, "tune_split": m}
                                                          for s, c, m in ranked], ensure_ascii=False, indent=1))
        settings = settings.with_(**ranked[0][1])
        assistant.settings = settings
    modes = ("hybrid", "dense", "bm25") if args.mode == "all" else tuple(args.mode.split(","))
    ev, tables = evaluate(assistant, items, modes, baselines=args.mode == "all")
    main_system = modes[0]
    tune_split = [i for i in items if i.split == "tune"]
    threshold = calibrate_threshold(tune_split, ev.systems[main_system]) if tune_split else None
    extra = {"settings": {k: str(v) for k, v in asdict(settings).items() if not k.endswith("_dir")},
             "calibrated_abstain_threshold(tune)": threshold}
    text = write_report(args.out, items, ev, tables, assistant.index, main_system, extra)
    for group, label in headline_groups(items):
        if any(group in t for t in tables.values()):
            print(f"{group}  ({label})")
            print(markdown_table(tables, group))
            print()
    print(f"\ncalibrated abstain threshold on tune split: {threshold}")
    print(f"report: {args.out / 'report.md'} ({len(text)} chars), chart: {args.out / 'report.png'}")
    return 0


# --- tuning on the tune split ------------------------------------------------------------------

GRIDS: dict[str, dict[str, tuple]] = {
    "fusion": {
        "dense_weight": (0.1, 0.2, 0.3),
        "dense_adapt": (0.0, 0.3, 0.6),
        "ngram_share": (0.0, 0.2, 0.4),
        "figure_boost": (0.3, 0.5),
    },
    "abstention": {
        "unseen_weight": (1.0, 0.5),
        "agreement_bonus": (0.0, 0.15, 0.3),
        "coverage_depth": (3, 5),
        "abstain_threshold": (0.15, 0.2, 0.25, 0.3, 0.355),
    },
    "verify": {
        "figure_min_fit": (0.4, 0.5, 0.6),
        "subject_min": (0.15, 0.25),
        "support_min": (0.0, 0.4, 0.5, 0.6, 0.7, 0.8),
        "support_unseen": (0.25, 0.5),
    },
}
GRID = GRIDS["fusion"]


WRONG_FIGURE_COST = 3.0  # a confident wrong number is the worst answer: it costs three refusals


def objective(summary: dict[str, Any]) -> float:
    """What tuning maximises: first-place hits, figure answers and right answer states, then top-5 hits;
    less a figure shown for an unanswerable question (weighed WRONG_FIGURE_COST) and an answerable
    question refused."""
    return ((summary["hit@1"] or 0) + 0.5 * (summary["hit@5"] or 0) + (summary["figure@1"] or 0)
            + (summary.get("status_accuracy") or 0)
            - WRONG_FIGURE_COST * (summary.get("figure_shown_unanswerable") or 0)
            - (summary.get("wrongly_refused") or 0))


def tune(assistant: Any, items: Sequence[GoldItem], grid: dict[str, tuple] = GRID, mode: str = "hybrid",
         progress: bool = True) -> list[tuple[float, dict[str, Any], dict[str, Any]]]:
    """Score every combination of `grid` on `items` (the tune split); best first. Query embeddings
    are cached by the assistant, so each combination costs only the ranking."""
    import itertools

    from tqdm import tqdm

    base = assistant.settings
    keys = list(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]
    if "fusion" in grid and "rrf_k" in grid:  # rrf_k means nothing to a weighted sum
        combos = [c for c in combos if not (c.get("fusion") == "weighted" and c.get("rrf_k") != grid["rrf_k"][0])]
    scored = []
    try:
        for combo in tqdm(combos, desc="tune", disable=not progress):
            assistant.settings = base.with_(**combo)
            ev = run_systems(assistant, items, {mode: assistant_system(assistant, mode)}, progress=False)
            summary = summarize(items, ev.systems[mode], ev.per_q[mode])
            scored.append((objective(summary), combo, summary))
    finally:
        assistant.settings = base
    scored.sort(key=lambda x: -x[0])
    return scored
