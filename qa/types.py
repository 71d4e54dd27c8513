"""The small frozen records that pass between the stages of the pipeline.

Every record that points into a document carries `start`/`end` character offsets into that
document's source text, so any span can be shown, highlighted and cited exactly as written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, Literal

PeriodKind = Literal["results", "targets"]


@dataclass(frozen=True, order=True)
class Period:
    """The year a span speaks about and whether it reports results (实绩) or sets targets (目标)."""

    year: int  # the year, or the last year of a span (十四五: 2025)
    kind: PeriodKind
    first: int | None = None  # a span's first year: a five-year review (2021-2025年实绩) or plan

    @property
    def years(self) -> str:
        return f"{self.first}-{self.year}" if self.first is not None else str(self.year)

    @property
    def label(self) -> str:
        return f"{self.years}年{'实绩' if self.kind == 'results' else '目标'}"

    @property
    def label_en(self) -> str:
        return f"{self.years} {'results' if self.kind == 'results' else 'targets'}"

    def __str__(self) -> str:
        return self.label

    @classmethod
    def parse(cls, value: str | dict | None) -> Period | None:
        """Inverse of `to_json` and of `label`, so tables and filters can name periods as text."""
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            first = value.get("first")
            return cls(int(value["year"]), value["kind"], int(first) if first is not None else None)
        text = str(value).strip()
        span = re.match(r"(\d{4})\s*[-–—至到]\s*(\d{4})", text)
        kind: PeriodKind = "targets" if ("目标" in text or "target" in text) else "results"
        if span:
            return cls(int(span.group(2)), kind, int(span.group(1)))
        return cls(int(text[:4]), kind)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"year": self.year, "kind": self.kind, "label": self.label}
        if self.first is not None:
            d["first"] = self.first
        return d


@dataclass(frozen=True)
class Figure:
    """One quantitative statement, e.g. 超1200亿元 (amount, qualifier 'over')."""

    text: str  # as written, qualifier included: "超1200亿元"
    value: float  # the number as written: 1200
    unit: str  # as written: "亿元"
    kind: str  # amount | growth | share | count | rank | multiple | rate | ...
    subject: str  # the phrase it measures: "固定资产投资"
    start: int  # offsets into the document's source text
    end: int
    qualifier: str | None = None  # over | about | at_least | at_most | nearly | target | more_than
    base_value: float | None = None  # in base_unit: 2715亿元 -> 2.715e11
    base_unit: str | None = None  # 元, 个, 米 ...
    doc: str = ""  # filled in when attached to a chunk
    period: Period | None = None
    section: str = ""
    indicator: str | None = None  # canonical indicator it measures (qa/data/indicators.json), None: free subject
    aspect: str = ""  # 总量 | 增速 | 占比 | 排名 | 数量 | 新增 | 累计 ("" for durations)
    scope: str = "local"  # local (the report's own area) | city | province | country | world

    def to_dict(self) -> dict[str, Any]:
        # what dataclasses.asdict gives (every field but the period is a plain value, so no deep
        # copy is needed), without its recursion: ~20 figures per answer, a third of an answer's JSON time
        d = {name: getattr(self, name) for name in _FIGURE_FIELDS}
        d["period"] = self.period.to_json() if self.period else None
        return d


_FIGURE_FIELDS = tuple(f.name for f in fields(Figure))


@dataclass(frozen=True)
class Section:
    """A heading of the report: a part (level 1: 一、…) or a section (level 2: (一)…)."""

    doc: str
    level: int
    number: int  # 1 for 一 / (一)
    title: str  # "2023年工作回顾" or the first sentence of a (一) paragraph
    heading: str  # as written: "一、2023年工作回顾", "(三)凝心聚力打造省市经济增长的强引擎"
    start: int
    end: int  # end of the whole section's text
    period: Period | None


@dataclass(frozen=True)
class Paragraph:
    doc: str
    index: int
    text: str
    start: int
    end: int
    path: tuple[str, ...]  # headings from the part down: ("二、2024年重点工作", "(三)凝心聚力…")
    period: Period | None
    sentences: tuple[tuple[int, int], ...]  # (start, end) of each sentence, document offsets

    @property
    def section(self) -> str:
        return " > ".join(self.path)


@dataclass(frozen=True)
class Document:
    id: str  # file stem
    path: str
    text: str  # the text as read (decoded; a PDF's or .docx's as qa.formats extracts it), offsets point here
    title: str
    date: str | None  # ISO date, e.g. "2024-02-26"
    source: str | None  # the 来源 line
    sha256: str
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]

    @property
    def year(self) -> int | None:
        """The report's own year: 今年 in a question means this year."""
        for text in (self.date or "", self.title):
            for i in range(len(text) - 3):
                chunk = text[i : i + 4]
                if chunk.isdigit() and chunk.startswith(("19", "20")):
                    return int(chunk)
        return None


@dataclass(frozen=True)
class Chunk:
    id: str  # "<doc>#<index>"
    doc: str
    index: int
    text: str
    start: int
    end: int
    path: tuple[str, ...]
    period: Period | None
    paragraph: int  # index of its paragraph in the document
    prev: str | None = None
    next: str | None = None
    figures: tuple[Figure, ...] = ()
    topic: str = ""  # the short lead sentence of the sub-topic it belongs to, e.g. 项目建设加快推进

    @property
    def section(self) -> str:
        return " > ".join(self.path)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as the user sees it: cited, scored, with its paragraph for context."""

    doc: str
    chunk_id: str
    text: str
    start: int
    end: int
    section: str
    period: Period | None
    score: float
    paragraph: str
    paragraph_start: int
    figures: tuple[Figure, ...] = ()
    matched: tuple[str, ...] = ()  # question terms found in the passage, for highlighting

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "chunk_id": self.chunk_id,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "section": self.section,
            "period": self.period.to_json() if self.period else None,
            "score": self.score,
            "paragraph": self.paragraph,
            "paragraph_start": self.paragraph_start,
            "figures": [f.to_dict() for f in self.figures],
            "matched": list(self.matched),
        }


@dataclass(frozen=True)
class Quote:
    """A span of a document quoted as it is written, with its section: `doc.text[start:end] == text`."""

    doc: str
    text: str
    start: int
    end: int
    section: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "text": self.text, "start": self.start, "end": self.end, "section": self.section}


# why a table cell is empty (the page and the CLI say it in words): no report of that year is loaded; the
# report of that year is loaded but states no such figure; the question did not ask for it
MISSING = ("no_report", "not_stated", "not_asked")


@dataclass(frozen=True)
class TableRow:
    """One line of a table of an indicator across years or areas (qa/table.py): an area's target for a year,
    from that year's report, and its result, from the next year's review. Never one for the other."""

    area: str  # the report's area, as its profile names it: 中国, 广东省
    year: int
    indicator: str
    aspect: str
    target: Figure | None = None  # period (year, targets), from the report of `year`
    result: Figure | None = None  # period (year, results), from the report of `year + 1`
    met: bool | None = None  # only where the target's qualifier decides it (以上, 以内, a range, an exact value)
    target_text: str = ""  # the target as written, a range whole: 6%－6.5% (target.text is its first number)
    result_text: str = ""
    target_quote: Quote | None = None  # the sentence stating it: the cell's citation
    result_quote: Quote | None = None
    note: Quote | None = None  # what the report says instead of a target: 我们没有提出全年经济增速具体目标
    target_missing: str = ""  # one of MISSING when target is None
    result_missing: str = ""

    def to_dict(self) -> dict[str, Any]:
        quote = lambda q: q.to_dict() if q is not None else None  # noqa: E731
        return {"area": self.area, "year": self.year, "indicator": self.indicator, "aspect": self.aspect,
                "target": self.target.to_dict() if self.target else None,
                "result": self.result.to_dict() if self.result else None, "met": self.met,
                "target_text": self.target_text, "result_text": self.result_text,
                "target_quote": quote(self.target_quote), "result_quote": quote(self.result_quote),
                "note": quote(self.note), "target_missing": self.target_missing or None,
                "result_missing": self.result_missing or None}


@dataclass(frozen=True)
class Answer:
    question: str
    found: bool
    passages: tuple[Passage, ...]
    figures: tuple[Figure, ...] = ()
    text: str = ""  # the direct answer: the best figure with its sentence, or a "not found" line
    mode: str = "hybrid"
    elapsed_ms: float = 0.0
    confidence: float = 0.0  # how sure retrieval is that the top passage answers (see retrieval.confidence_of)
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "question truncated to 500 chars"
    # figure: a figure answers; passage: the report speaks of it but the answer is text, or it gives
    # no number for it (or only the other period's); not_found: the report does not cover it;
    # table: an indicator across years or areas, in `rows`
    status: str = ""
    query: Any = None  # the qa.query.Query the question was read into (a follow-up's context)
    related: tuple[str, ...] = ()  # questions to ask next
    probability: float | None = None  # how likely the figure shown is right (qa/decide.py), None without one
    features: tuple[float, ...] = ()  # what that was computed from (qa.decide.FEATURES), for training
    rows: tuple[TableRow, ...] = ()  # status "table": the indicator across years or areas (qa/table.py)

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", ("figure" if self.figures else "passage") if self.found else "not_found")

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "found": self.found,
            "text": self.text,
            "mode": self.mode,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "confidence": round(self.confidence, 4),
            "notes": list(self.notes),
            "figures": [f.to_dict() for f in self.figures],
            "passages": [p.to_dict() for p in self.passages],
            "related": list(self.related),
            "probability": None if self.probability is None else round(self.probability, 4),
            "rows": [r.to_dict() for r in self.rows],
        }
