"""The follow-up gold set and its runner (qa/evaluate_followup.py): the file's format, how a turn is graded,
and the score on the 东湖 report's conversations (real model), which must not fall."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.evaluate_followup import GOLD, Turn, document_path, load_conversations, run, summary, turn_right
from qa.types import Figure, Period

ROOT = Path(__file__).resolve().parent.parent


def test_the_gold_file_reads_and_every_report_is_there():
    convs = load_conversations()
    assert len(convs) >= 80 and [c.id for c in convs] == [f"fu-{i:03d}" for i in range(1, len(convs) + 1)]
    assert all(2 <= len(c.turns) <= 3 for c in convs)
    assert all(t.status in ("figure", "passage", "not_found") for c in convs for t in c.turns)
    assert all((t.value is not None) == (t.status == "figure") for c in convs for t in c.turns)
    for c in convs:
        text = document_path(c.doc).read_text(encoding="utf-8")
        assert text, c.doc
    assert GOLD.is_file()


@dataclass
class FakeAnswer:
    status: str
    figures: tuple = ()
    query: object = None


def fig(value: float, unit: str, period: Period | None) -> Figure:
    return Figure(f"{value}{unit}", value, unit, "growth", "", 0, 1, period=period)


def test_a_turn_is_right_on_status_value_unit_and_period():
    turn = Turn("那增速呢？", "figure", 4.7, "%", "2023年实绩")
    assert turn_right(turn, FakeAnswer("figure", (fig(4.7, "%", Period(2023, "results")),)))
    assert not turn_right(turn, FakeAnswer("figure", (fig(4.7, "%", Period(2024, "targets")),)))  # another period
    assert not turn_right(turn, FakeAnswer("figure", (fig(30, "%", Period(2023, "results")),)))  # another figure
    assert not turn_right(turn, FakeAnswer("passage"))
    assert turn_right(Turn("去年人均可支配收入是多少？", "not_found", None, None, None), FakeAnswer("not_found"))
    assert not turn_right(Turn("x", "passage", None, None, None), FakeAnswer("figure", (fig(1, "%", None),)))


class Scripted:
    """Answers in order, recording the context each question was asked with."""

    def __init__(self, answers):
        self.answers, self.contexts = list(answers), []

    def ask(self, question, top_k=5, context=None, related=True):
        self.contexts.append(context)
        return self.answers.pop(0)


def test_each_turn_is_asked_with_the_previous_answers_query():
    from qa.evaluate_followup import Conversation

    conv = Conversation("fu-x", "donghu-2024-work-report", (Turn("2023年GDP", "figure", 2715, "亿元", None),
                                                            Turn("那增速呢", "figure", 4.7, "%", None)))
    first = FakeAnswer("figure", (fig(2715, "亿元", None),), query="Q1")
    second = FakeAnswer("figure", (fig(4.7, "%", None),), query="Q2")
    scripted = Scripted([first, second])
    graded = run([conv], lambda doc: scripted)
    assert scripted.contexts == [None, "Q1"] and all(g.right for g in graded)
    s = summary(graded)
    assert s["follow_up_turns"] == 1 and s["follow_up_score"] == 1.0


@pytest.mark.slow
def test_the_donghu_conversations_score(real_assistant):
    """The 东湖 conversations on the real index (the report the page serves): measured 0.869 on the follow-up
    turns when written, 0.918 after the follow-up rules of issue 23's second pass; the rest of the set is over
    the development reports (python -m qa.evaluate_followup)."""
    convs = [c for c in load_conversations() if c.doc == "donghu-2024-work-report"]
    s = summary(run(convs, lambda doc: real_assistant))
    assert s["follow_up_score"] >= 0.90, s
    assert s["figure_of_other_turn_shown"] <= 1, s


def test_the_score_is_given_by_source_document_and_kind_of_follow_up():
    from qa.evaluate_followup import Conversation, follow_up_kind, source

    gdp = Turn("2023年GDP", "figure", 2715, "亿元", "2023年实绩", kind="amount")
    growth = Turn("那增速呢", "figure", 4.7, "%", "2023年实绩", kind="growth")
    target = Turn("今年的目标呢", "figure", 7, "%", "2024年目标", kind="growth")
    none = Turn("总量呢", "passage", None, None, None)
    assert follow_up_kind(growth, gdp) == "aspect" and follow_up_kind(target, growth) == "period"
    assert follow_up_kind(none, growth) == "no_figure" and follow_up_kind(growth, growth) == "same"
    assert source("donghu-2024-work-report") == "donghu" and source("jiangsu-2026-work-report") == "reports"
    conv = Conversation("fu-x", "jiangsu-2026-work-report", (gdp, growth))
    answers = [FakeAnswer("figure", (fig(2715, "亿元", Period(2023, "results")),), query="Q1"),
               FakeAnswer("passage", query="Q2")]
    s = summary(run([conv], lambda doc: Scripted(answers)))
    assert s["follow_up_by_source"] == {"reports": "0/1 (0.000)"}
    assert s["follow_up_by_kind"] == {"aspect": "0/1 (0.000)"}
    assert s["follow_up_by_doc"] == {"jiangsu-2026-work-report": "0/1 (0.000)"}
