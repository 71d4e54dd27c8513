"""相关问题: the questions offered after an answer, each one the assistant answers.

Why: a chip that leads to 报告中没有找到 (地区生产总值排名是多少？, offered because the indicator *could* have
a rank) or that reads oddly (园区是多少？, from a figure's free subject) breaks trust in the page. So a
question is offered only when (1) the corpus states a figure of that indicator, aspect and period for its
own area, (2) it is worded as a resident asks it, naming its indicator (as the report names it) and its
period (qa/data/related.tsv), so it reads the same after any question, and (3) asked before it is offered,
it is answered by that figure. It never repeats the question just asked (nor gives the figure just shown).

A table (status "table") is followed by the next tables a reader asks for (qa/related_table.py: the other
kind, the same over areas, another key indicator over the same years or areas), never by a question for one
of its cells.

Checks are cached per assistant: the offered questions come from a small set (indicator × aspect ×
period), so after the first few answers a suggestion costs no search.
"""
from __future__ import annotations

import logging
import re
import threading
import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .indicators import indicator_named
from .related_table import (Outcome, TableWordings, answers, area_name, following, outcome_of, parse_table_wordings,
                            phrase)
from .table_query import asked_of
from .types import Answer, Figure, Period

log = logging.getLogger("qa")
RELATED_PATH = Path(__file__).resolve().parent / "data" / "related.tsv"
MAX_OFFERED = 3  # chips under an answer
MAX_CHECKED = 8  # questions asked per answer at most (each costs one search when not cached)
_TERMINAL = re.compile(r"[\s?？。.!！]+$")


@dataclass(frozen=True)
class Wording:
    aspect: str
    kind: str  # results | targets
    lang: str  # zh | en
    text: str  # with {name} and {when}


def parse_wordings(text: str, path: str = "related.tsv") -> dict[tuple[str, str, str], str]:
    """(aspect, kind, lang) -> wording, from the lines of related.tsv; a malformed line is an error."""
    out: dict[tuple[str, str, str], str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#") or raw.startswith("table\t"):
            continue  # a table's next questions: parse_table_wordings
        parts = raw.split("\t")
        if (len(parts) != 4 or parts[1] not in ("results", "targets") or parts[2] not in ("zh", "en")
                or "{name}" not in parts[3] or "{when}" not in parts[3]):
            raise ValueError(f"{path} line {n}: expected aspect, results|targets, zh|en, a wording with "
                             f"{{name}} and {{when}}; got {raw!r}")
        out[(parts[0], parts[1], parts[2])] = parts[3]
    return out


@lru_cache(maxsize=1)
def wordings() -> dict[tuple[str, str, str], str]:
    return parse_wordings(RELATED_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def table_wordings() -> TableWordings:
    return parse_table_wordings(RELATED_PATH.read_text(encoding="utf-8"))


def report_name(indicator: str, sentence: str) -> str:
    """The indicator as the report names it in `sentence`: the longest of its Chinese names that the
    sentence writes (数字经济增加值 for 数字经济核心产业增加值), else its canonical name."""
    ind = indicator_named(indicator)
    if ind is None:
        return indicator
    # not a form that says an aspect itself (经济增速): the wording says the aspect
    said = [f for f in (ind.name, *ind.aliases) if re.search(r"[\u4e00-\u9fff]", f) and f in sentence
            and ind.aspect_of_form(f) is None]
    return max(said, key=len) if said else ind.name


def english_name(indicator: str) -> str | None:
    """The indicator's first English name, an acronym in capitals (gdp -> GDP)."""
    ind = indicator_named(indicator)
    if ind is None or not ind.en:
        return None
    name = ind.en[0]
    return name.upper() if len(name) <= 4 and " " not in name else name


def _when(period: Period, lang: str, as_of: int | None) -> str:
    if lang == "en":
        return "this year" if period.year == as_of and period.kind == "targets" else f"in {period.year}"
    return "今年" if period.year == as_of and period.kind == "targets" else f"{period.year}年"


def word(figure: Figure, lang: str, as_of: int | None, sentence: str = "") -> str | None:
    """The question a resident would ask for `figure` (its indicator, aspect and period), or None when
    the figure has none of these or no wording fits."""
    if not figure.indicator or not figure.aspect or figure.period is None:
        return None
    template = wordings().get((figure.aspect, figure.period.kind, lang))
    name = english_name(figure.indicator) if lang == "en" else report_name(figure.indicator, sentence)
    if template is None or not name:
        return None
    return fill(template, name, _when(figure.period, lang, as_of), figure.aspect)


def fill(template: str, name: str, when: str, aspect: str) -> str:
    """The wording with its name and year; a name that already says the aspect (城镇新增就业, new
    urban jobs) is not given it twice (2018年新增城镇新增就业, How many new new urban jobs)."""
    if aspect in name:
        template = template.replace(aspect, "", 1)
    before, first = template.split("{name}", 1)[0].split(), name.split()[:1]
    if before and first and before[-1].lower() == first[0].lower():
        template = template.replace(f"{before[-1]} {{name}}", "{name}", 1)
    return template.format(name=name, when=when)


def _same_question(a: str, b: str) -> bool:
    return _TERMINAL.sub("", a.strip().lower()) == _TERMINAL.sub("", b.strip().lower())


def _same_figure(a: Figure, b: Figure) -> bool:
    return a.doc == b.doc and a.start == b.start


class Suggester:
    """The related questions of one assistant: candidates from the corpus's figures, each checked by
    asking it (once: the verdict is cached)."""

    def __init__(self, assistant: Any) -> None:
        self._assistant = weakref.proxy(assistant)
        self._checked: dict[str, Figure | None] = {}
        self._tables: dict[str, Outcome] = {}  # a table's next question -> what answers it
        self._lock = threading.Lock()
        self._cells: dict[str, list[Figure]] | None = None

    def cells(self) -> dict[str, list[Figure]]:
        """indicator -> one figure per (aspect, period) the corpus states for its own area, as in the
        key indicators table (the whole year's figure, not a quarter's)."""
        if self._cells is None:
            out: dict[str, list[Figure]] = {}
            for row in self._assistant.indicator_table():
                out.setdefault(row.indicator, []).append(row.figure)
            self._cells = out
        return self._cells

    def answered_by(self, question: str) -> Figure | None:
        """The figure that answers `question` (asked with no context), or None; cached."""
        if question in self._checked:
            return self._checked[question]
        try:
            answer = self._assistant.ask(question, top_k=3, related=False)
            figure = answer.figures[0] if answer.status == "figure" and answer.figures else None
        except Exception:  # noqa: BLE001 - a suggestion is offered only when checked; it never costs the answer
            log.debug("checking the related question %r failed", question, exc_info=True)
            figure = None
        with self._lock:
            if len(self._checked) > 4096:
                self._checked.clear()
            self._checked[question] = figure
        return figure

    def outcome(self, question: str) -> Outcome:
        """What answers `question` (asked with no context): a table, a figure or neither; cached."""
        if question in self._tables:
            return self._tables[question]
        try:
            got = outcome_of(self._assistant.ask(question, top_k=3, related=False))
        except Exception:  # noqa: BLE001 - as answered_by: a suggestion never costs the answer
            log.debug("checking the related question %r failed", question, exc_info=True)
            got = Outcome("error")
        with self._lock:
            if len(self._tables) > 4096:
                self._tables.clear()
            self._tables[question] = got
        return got

    def after_table(self, answer: Answer, lang: str) -> list[str]:
        """The next tables' questions after the table `answer` (qa/related_table.py), each answered by the
        table it was worded for; at most MAX_CHECKED asked that were not asked before."""
        a = self._assistant
        profiles = a.table_source().profiles
        request = asked_of(answer.query, profiles.values(), len(a.areas) > 1) if answer.query is not None else None
        if request is None or not answer.rows:
            return []
        shown, figures = outcome_of(answer), {(f.doc, f.start) for f in answer.figures}
        areas = {p.area: area_name(p.area, p.forms, lang) for p in profiles.values() if p.area}
        out: list[str] = []
        checked = 0
        for nxt in following(request, answer.rows[0].aspect, a.table_source(), list(self.cells())):
            if len(out) >= MAX_OFFERED or checked >= MAX_CHECKED:
                break
            name = english_name(nxt.indicator) if lang == "en" else nxt.indicator
            question = phrase(nxt, lang, name, areas, table_wordings())
            if question is None or _same_question(question, answer.question) or question in out:
                continue
            checked += question not in self._tables
            if answers(nxt, self.outcome(question), shown, figures):
                out.append(question)
        return out

    def candidates(self, answer: Answer) -> Iterable[Figure]:
        """Figures worth asking about next, best first: the same indicator's other aspects and periods,
        then the indicators of the other figures in the passage that answered, then the key indicators."""
        cells = self.cells()
        shown = answer.figures[0] if answer.figures else None
        query = answer.query
        names = list(getattr(query, "indicators", ()) or ())
        if shown is not None and shown.indicator and shown.indicator not in names:
            names.insert(0, shown.indicator)
        for name in names[:1]:
            yield from cells.get(name, ())
        for p in answer.passages[:1]:
            for f in p.figures:
                if f.indicator and f.indicator not in names:
                    yield from cells.get(f.indicator, ())[:2]
        for figures in cells.values():
            yield from figures[:1]

    def suggest(self, answer: Answer, lang: str | None = None) -> tuple[str, ...]:
        """Up to MAX_OFFERED questions, in `lang` (default: the question's language), each answered by
        the figure it was worded for; none that repeats the question or the figure just shown."""
        query = answer.query
        lang = lang or ("en" if getattr(query, "is_english", False) else "zh")
        as_of = getattr(query, "as_of", None)
        if answer.status == "table":  # a table is followed by tables: a figure question would ask for one cell
            return tuple(self.after_table(answer, lang))
        shown = answer.figures[0] if answer.status == "figure" and answer.figures else None
        out: list[str] = []
        checked = 0
        seen: set[tuple[str, int]] = set()
        for f in self.candidates(answer):
            if len(out) >= MAX_OFFERED or checked >= MAX_CHECKED:
                break
            if (f.doc, f.start) in seen or (shown is not None and _same_figure(f, shown)):
                continue
            seen.add((f.doc, f.start))
            question = word(f, lang, as_of, self._sentence(f))
            if question is None or _same_question(question, answer.question) or question in out:
                continue
            checked += question not in self._checked
            got = self.answered_by(question)
            if got is not None and got.indicator == f.indicator and (shown is None or not _same_figure(got, shown)):
                out.append(question)
        return tuple(out)

    def _sentence(self, f: Figure) -> str:
        doc = self._assistant.index.documents.get(f.doc)
        if doc is None:
            return ""
        for para in doc.paragraphs:
            if para.start <= f.start < para.end:
                return doc.text[para.start:para.end]
        return ""


_SUGGESTERS: "weakref.WeakKeyDictionary[Any, Suggester]" = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def suggester(assistant: Any) -> Suggester:
    with _GUARD:
        s = _SUGGESTERS.get(assistant)
        if s is None:
            s = _SUGGESTERS[assistant] = Suggester(assistant)
        return s


def suggest(assistant: Any, answer: Answer, lang: str | None = None) -> tuple[str, ...]:
    """The related questions for `answer` (see Suggester.suggest)."""
    return suggester(assistant).suggest(answer, lang)


def starters(assistant: Any, query: Any = None, lang: str | None = None) -> tuple[str, ...]:
    """Example questions for a question that could not be understood: the corpus's key indicators,
    one question each, every one checked by asking it."""
    s = suggester(assistant)
    lang = lang or "zh"  # a question not understood has no language of its own; the page asks in its own
    return s.suggest(Answer("", False, (), query=query), lang)
