"""When a question asks about: explicit years (2023年, 23年, 二〇二三年), relative ones (去年, 今年, 前年),
parts of a year (一季度, 上半年), and whether results (实绩) or targets (目标) are meant.

Relative periods resolve against one year for the whole corpus (the newest report's, or an as-of
setting): a report of year Y reviews Y-1 and plans Y, so 去年 is Y-1's results and 今年 Y's targets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .ingest import plan_years
from .types import Period

RESULTS_CUES = ("实际", "实绩", "去年", "上一年", "上年", "过去一年", "前一年", "前年", "完成了", "实现了", "达到了", "取得了", "已经",
                "已建", "回顾", "成绩", "现在", "目前", "现有", "如今", "当前", "眼下", "至今",  # what is now: the latest result
                "last year", "in the past year", "achieved", "was", "were", "did", "currently", "so far")
TARGETS_CUES = ("今年", "本年", "明年", "计划", "目标", "预期", "力争", "打算", "将要", "准备", "要新增", "要建", "争取",
                "预计", "this year", "next year", "plan", "target", "expected", "will", "goal", "aim")
RELATIVE_YEARS = (("前年", -2), ("去年", -1), ("上一年", -1), ("上年", -1), ("过去一年", -1), ("前一年", -1),
                  ("今年", 0), ("本年", 0), ("明年", 1), ("last year", -1), ("this year", 0), ("next year", 1))
YEAR_PARTS = (("前三季度", "前三季度"), ("一季度", "一季度"), ("第一季度", "一季度"), ("上半年", "上半年"),
              ("头三个月", "一季度"), ("前三个月", "一季度"), ("开年三个月", "一季度"), ("前半年", "上半年"),
              ("头半年", "上半年"), ("前六个月", "上半年"), ("前九个月", "前三季度"), ("前9个月", "前三季度"),
              ("前3个月", "一季度"), ("前6个月", "上半年"),
              ("全年", "全年"), ("first quarter", "一季度"), ("q1", "一季度"), ("first half", "上半年"),
              ("first three quarters", "前三季度"), ("full year", "全年"), ("whole year", "全年"))

FIVE_YEAR_CUES = ("过去五年", "五年来", "这五年", "近五年", "past five years", "last five years")
# 要达到多少, 还要建几所: 要 before a deed is a plan (not 需要, 重要, 主要, 只要, 要求)
_WILL = re.compile(r"(?<![需重主只想必不])要(?![求素点闻害紧是])")
_CN_YEAR = re.compile(r"([二〇零一三四五六七八九]{4})年")
_SHORT_YEAR = re.compile(r"(?<![\d.])(\d{2})年(?!代)")
_FULL_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_CN_DIGIT = {"〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8",
             "九": "9"}


_BASELINE = re.compile(r"(?:比|较|相比|相较于?|同比|compared (?:with|to)|than)\s*(?:\d{2,4}年|[二〇零一三四五六七八九]{4}年"
                       r"|前年|去年|上年|上一年|last year|the year before)", re.I)


@dataclass(frozen=True)
class Asked:
    """The period a question asks about, already resolved to a report period."""

    period: Period | None = None  # 2023年实绩, 2024年目标
    explicit: bool = False  # the question said it (a year, 去年, 计划 …); else a default for numbers
    part: str | None = None  # 一季度 | 上半年 | 前三季度 | 全年
    year: int | None = None  # a year written or implied by the question (for coverage)
    kind_said: bool = False  # results or targets was said (实际, 目标, 去年); else inferred from the year


def same_years(a: Period | None, b: Period | None) -> bool:
    """The same year or span, whatever the kind: 2020年目标 and 2020年实绩."""
    return a is not None and b is not None and (a.year, a.first) == (b.year, b.first)


# what a span's years added, not where they ended: 新增, a growth, a running total
FLOW_ASPECTS = ("新增", "增速", "累计")


def ends_in(span: Period | None, year: Period | None) -> bool:
    """A five-year span ending in the year asked, of the kind asked: its end levels (a rank, a stock,
    a rate reached) are that year's (2021-2025年实绩 for 2025年实绩, 2026-2030年目标 for 2030年目标)."""
    return (span is not None and year is not None and span.first is not None and year.first is None
            and span.year == year.year and span.kind == year.kind)


def read_years(text: str) -> list[int]:
    """Years written in the question: 2023, 2023年, 23年, 二〇二三年."""
    years = [int(y) for y in _FULL_YEAR.findall(text)]
    years += [int("".join(_CN_DIGIT[c] for c in y)) for y in _CN_YEAR.findall(text)]
    years += [2000 + int(y) for y in _SHORT_YEAR.findall(text)]
    return years


_ENGLISH_PLAN = re.compile(r"\b(1[0-9]|20)(?:st|nd|rd|th)\s+five[- ]year(?:\s+plan)?\b", re.I)


def english_plan(text: str) -> tuple[int, int] | None:
    """The 14th Five-Year Plan -> (2021, 2025), as 十四五 is."""
    m = _ENGLISH_PLAN.search(text)
    if m is None:
        return None
    first = 2006 + 5 * (int(m.group(1)) - 11)
    return first, first + 4


_PLAN_END_EN = re.compile(r"\bend of the (?:1[0-9]|20)(?:st|nd|rd|th)\s+five[- ]year", re.I)
_PLAN_END = re.compile(r"十[一二三四五六七八九]五[”\"」』’]?(?:规划)?(?:期末|末期|末)")


def read_period(text: str, as_of: int | None, wants_number: bool) -> Asked:
    """The period asked, resolved against `as_of` (the year of the newest report: 今年). A year after
    比 / 较 / 相比 is the baseline of a change (比前年多了多少), not the period asked."""
    text = _BASELINE.sub("", text)
    lowered = text.lower()
    part = next((p for cue, p in YEAR_PARTS if cue in lowered), None)
    results = any(c in lowered for c in RESULTS_CUES)
    targets = any(c in lowered for c in TARGETS_CUES) or (wants_number and bool(_WILL.search(text)))
    kind = "results" if results and not targets else "targets" if targets and not results else None
    said = kind is not None
    plan = plan_years(text) or english_plan(lowered) or (((as_of - 5, as_of - 1) if as_of is not None else None)
                                                         if any(c in lowered for c in FIVE_YEAR_CUES) else None)
    if plan is not None:  # 十四五期间, 过去五年: the five years as one period
        done = kind == "results" or (kind is None and as_of is not None and plan[1] < as_of)
        if _PLAN_END.search(text) or _PLAN_END_EN.search(lowered):  # “十四五”末: the plan's last year, not its five
            return Asked(Period(plan[1], "results" if done else "targets"), True, None, plan[1], said)
        return Asked(Period(plan[1], "results" if done else "targets", plan[0]), True, None, plan[1], said)
    years = read_years(text)
    relative = next((shift for cue, shift in RELATIVE_YEARS if cue in lowered), None)
    if part in ("一季度", "上半年", "前三季度"):
        kind, said = "results", True  # parts of a year are reported, not planned
    if years:
        year = years[-1]
        if kind is None and as_of is not None:
            kind = "targets" if year >= as_of else "results"
        return Asked(Period(year, kind) if kind else None, True, part, year, said)
    if relative is not None and as_of is not None:
        year = as_of + relative
        kind = kind or ("results" if relative < 0 else "targets")
        if relative == 0 and part not in (None, "全年"):  # 今年一季度: not yet reported
            kind = "results"
        return Asked(Period(year, kind), True, part, year, True)  # 去年 says results, 今年 targets
    if kind is not None and as_of is not None:
        year = as_of - 1 if kind == "results" else as_of
        return Asked(Period(year, kind), True, part, None, True)
    if wants_number and as_of is not None:  # 光谷GDP是多少: the latest result, unless only a target exists
        return Asked(Period(as_of - 1, "results"), False, part, None)
    return Asked(None, False, part, None)
