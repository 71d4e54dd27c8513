"""The follow-up gold set (corpus/gold/followup/conversations.jsonl): conversations of 2–3 turns, each turn
asked with the system's own previous answer as its context, as the page asks it.

Why a runner of its own: `qa eval` grades questions one by one; a follow-up is right only against the turn
before it (那增速呢？ after 2023年GDP), so the turns of a conversation are asked in order, each with the
previous answer's `Query`. Every conversation stays inside one report, and is asked of an Assistant over
that report alone (its own 今年 / 去年, its own area), built once into a cache folder.

A turn is right when its status is the gold status and, for a figure, the first figure shown is the gold
value in the gold unit (`evaluate.figure_correct`) of the gold period. The score is the share of
follow-up turns (every turn after the first) that are right.

    python -m qa.evaluate_followup [--gold FILE] [--out artifacts/followup] [--doc STEM]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .errors import QuestionError
from .evaluate import GoldItem, figure_correct

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpus" / "gold" / "followup" / "conversations.jsonl"


@dataclass(frozen=True)
class Turn:
    question: str
    status: str
    value: float | None
    unit: str | None
    period: str | None
    answer: str = ""
    kind: str | None = None  # figure_kind: amount, growth, share, count, rank, rate


@dataclass(frozen=True)
class Conversation:
    id: str
    doc: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Graded:
    conversation: str
    turn: int  # 0 for the first question
    question: str
    want: str  # gold status, and the figure for a figure turn
    got: str  # the answer's status, and its first figure
    right: bool
    doc: str = ""
    kind: str = ""  # what the follow-up changes (`follow_up_kind`); "" for the first question


def load_conversations(path: Path = GOLD) -> list[Conversation]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        turns = tuple(Turn(t["question"], t["status"], t.get("value"), t.get("unit"), t.get("period"), t.get("answer", ""),
                           t.get("figure_kind"))
                      for t in d["turns"])
        out.append(Conversation(d["id"], d["doc"], turns))
    return out


def turn_right(turn: Turn, answer: Any) -> bool:
    """The status is the gold one; a figure turn's first figure is the gold value, unit and period."""
    if answer is None or answer.status != turn.status:
        return False
    if turn.status != "figure":
        return True
    f = answer.figures[0] if answer.figures else None
    item = GoldItem("", turn.question, "figure", "zh", (), turn.answer, turn.value, turn.unit, "", "")
    if f is None or not figure_correct(item, (f.value, f.unit)):
        return False
    return turn.period is None or f.period is None or f.period.label == turn.period


def _shown(answer: Any) -> str:
    if answer is None:
        return "error"
    f = answer.figures[0] if answer.status == "figure" and answer.figures else None
    return f"{answer.status} {f.text} {f.period.label if f.period else ''}".strip() if f else answer.status


def follow_up_kind(turn: Turn, before: Turn) -> str:
    """What a follow-up asks against the gold turn before it, from the gold alone: `no_figure` (the report
    gives no number for it), `period` (another period: 今年的目标呢, 去年实际是多少), `aspect` (the same
    period, another kind of number: 那增速呢, 总量呢, 排第几), else `same` (the same kind and period of
    another thing: 其中企业呢, 公园呢)."""
    if turn.status != "figure":
        return "no_figure"
    if before.period and turn.period and before.period != turn.period:
        return "period"
    if before.status == "figure" and before.kind and turn.kind and before.kind != turn.kind:
        return "aspect"
    return "same"


def source(doc: str) -> str:
    """东湖 (the report the page serves) or the development reports (corpus/reports/)."""
    return "donghu" if doc.startswith("donghu") else "reports"


def run(conversations: Iterable[Conversation], assistant_for: Callable[[str], Any]) -> list[Graded]:
    """Ask every conversation, turn by turn, each turn with the previous answer's Query as its context."""
    graded = []
    for conv in conversations:
        assistant = assistant_for(conv.doc)
        context = None
        for i, turn in enumerate(conv.turns):
            try:
                answer = assistant.ask(turn.question, top_k=5, context=context, related=False)
                context = answer.query
            except QuestionError:
                answer = None
            want = turn.status + (f" {turn.answer} {turn.period}" if turn.status == "figure" else "")
            kind = follow_up_kind(turn, conv.turns[i - 1]) if i else ""
            graded.append(Graded(conv.id, i, turn.question, want, _shown(answer), turn_right(turn, answer),
                                 conv.doc, kind))
    return graded


def summary(graded: Sequence[Graded]) -> dict[str, Any]:
    follow = [g for g in graded if g.turn > 0]
    by_conv: dict[str, list[Graded]] = {}
    for g in graded:
        by_conv.setdefault(g.conversation, []).append(g)
    return {
        "conversations": len(by_conv),
        "turns": len(graded),
        "follow_up_turns": len(follow),
        "follow_up_score": statistics.fmean(g.right for g in follow) if follow else None,
        "first_turn_score": statistics.fmean(g.right for g in graded if g.turn == 0) if graded else None,
        "all_turns_score": statistics.fmean(g.right for g in graded) if graded else None,
        "conversations_all_right": statistics.fmean(all(g.right for g in gs) for gs in by_conv.values())
        if by_conv else None,
        "figure_of_other_turn_shown": sum(1 for g in follow if not g.right and g.got.startswith("figure")
                                          and not g.want.startswith("figure")),
        "follow_up_by_source": _shares(follow, lambda g: source(g.doc)),
        "follow_up_by_doc": _shares(follow, lambda g: g.doc),
        "follow_up_by_kind": _shares(follow, lambda g: g.kind),
    }


def _shares(graded: Sequence[Graded], key: Callable[[Graded], str]) -> dict[str, str]:
    """right/n (share) per group"""
    groups: dict[str, list[bool]] = {}
    for g in graded:
        groups.setdefault(key(g), []).append(g.right)
    return {k: f"{sum(v)}/{len(v)} ({sum(v) / len(v):.3f})" for k, v in sorted(groups.items())}


def document_path(doc: str, root: Path = ROOT) -> Path:
    """corpus/<doc>.txt for the main corpus's documents, else corpus/reports/<doc>.txt."""
    main = root / "corpus" / f"{doc}.txt"
    return main if main.is_file() else root / "corpus" / "reports" / f"{doc}.txt"


def assistants(cache: Path, model: Any = None) -> Callable[[str], Any]:
    """An Assistant per document, over that document alone, its index built once under `cache`."""
    from .answer import Assistant

    made: dict[str, Any] = {}
    shared: list[Any] = [model]

    def assistant_for(doc: str) -> Any:
        if doc not in made:
            corpus = cache / "corpus" / doc
            corpus.mkdir(parents=True, exist_ok=True)
            source = document_path(doc)
            target = corpus / source.name
            if not target.is_file() or target.read_bytes() != source.read_bytes():
                shutil.copyfile(source, target)
            a = Assistant.load(corpus_dir=corpus, index_dir=cache / "index" / doc, model=shared[0])
            shared[0] = a.model  # one model for every document
            made[doc] = a
        return made[doc]

    return assistant_for


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.evaluate_followup", description=__doc__.splitlines()[0])
    p.add_argument("--gold", type=Path, default=GOLD)
    p.add_argument("--out", type=Path, default=ROOT / "artifacts" / "followup")
    p.add_argument("--doc", help="only the conversations over this document")
    args = p.parse_args(argv)
    conversations = [c for c in load_conversations(args.gold) if not args.doc or c.doc == args.doc]
    graded = run(conversations, assistants(args.out / "cache"))
    s = summary(graded)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "followup.json").write_text(json.dumps({"summary": s, "turns": [g.__dict__ for g in graded]},
                                                       ensure_ascii=False, indent=1), encoding="utf-8")
    for g in graded:
        if not g.right:
            print(f"✗ {g.conversation}#{g.turn} {g.question}  want: {g.want}  got: {g.got}")
    print(json.dumps(s, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
