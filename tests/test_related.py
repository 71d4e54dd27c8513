"""相关问题 (qa/related.py): worded from qa/data/related.tsv, each one answered before it is offered,
none repeating the question or the figure just shown."""
from __future__ import annotations

import pytest

from qa.related import parse_wordings, report_name, word, wordings
from qa.types import Figure, Period


def fig(indicator: str | None, aspect: str, period: Period | None) -> Figure:
    return Figure("7%", 7.0, "%", "growth", "", 0, 2, indicator=indicator, aspect=aspect, period=period)


def test_wordings_parse_and_cover_both_languages():
    table = wordings()
    assert {k[2] for k in table} == {"zh", "en"}
    assert {(a, k) for a, k, lang in table if lang == "zh"} == {(a, k) for a, k, lang in table if lang == "en"}
    assert parse_wordings("# c\n总量\tresults\tzh\t{when}{name}是多少？\n") == {("总量", "results", "zh"): "{when}{name}是多少？"}
    for bad in ("总量\tresults\tzh", "总量\tlater\tzh\t{when}{name}", "总量\tresults\tfr\t{when}{name}", "总量\tresults\tzh\t{name}"):
        with pytest.raises(ValueError, match="line 1"):
            parse_wordings(bad)


@pytest.mark.parametrize("f, lang, expected", [
    (fig("地区生产总值", "增速", Period(2024, "targets")), "zh", "今年地区生产总值预期增长多少？"),
    (fig("地区生产总值", "总量", Period(2023, "results")), "zh", "2023年地区生产总值是多少？"),
    (fig("固定资产投资", "排名", Period(2023, "results")), "zh", "2023年固定资产投资排第几？"),
    (fig("地区生产总值", "增速", Period(2024, "targets")), "en", "What is the GDP growth target this year?"),
    (fig("地区生产总值", "总量", Period(2023, "results")), "en", "What was the GDP in 2023?"),
    # a name that says the aspect itself is not given it twice
    (fig("城镇新增就业", "新增", Period(2023, "results")), "zh", "2023年城镇新增就业多少？"),
    (fig("城镇新增就业", "新增", Period(2024, "targets")), "zh", "今年计划城镇新增就业多少？"),
    (fig("城镇新增就业", "新增", Period(2023, "results")), "en", "How many new urban jobs were added in 2023?"),
])
def test_a_figure_is_asked_as_a_resident_asks_it(f, lang, expected):
    assert word(f, lang, 2024, "地区生产总值增长7%左右") == expected


def test_no_question_for_a_figure_of_a_free_subject():
    """园区是多少？ / 幼儿园是多少？: a figure with no indicator, aspect or period is not asked about."""
    assert word(fig(None, "数量", Period(2024, "targets")), "zh", 2024) is None
    assert word(fig("地区生产总值", "", Period(2024, "targets")), "zh", 2024) is None
    assert word(fig("地区生产总值", "增速", None), "zh", 2024) is None


def test_the_indicator_is_named_as_the_report_names_it():
    assert report_name("数字经济核心产业增加值", "数字经济增加值占GDP比重突破70%") == "数字经济增加值"
    assert report_name("地区生产总值", "经济增速逐季回升") == "地区生产总值"  # not a name that says an aspect
    assert report_name("不存在的指标", "…") == "不存在的指标"


@pytest.mark.slow
@pytest.mark.parametrize("question", ["今年光谷地区生产总值预期增长多少？", "2023年光谷GDP是多少？", "去年光谷固定资产投资多少",
                                      "地区生产总值排名是多少？", "园区是多少？", "What was the GDP of Optics Valley in 2023?"])
def test_every_offered_question_is_answered_and_none_repeats(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.related
    shown = answer.figures[0] if answer.status == "figure" else None
    for q in answer.related:
        assert q.rstrip("？?") != question.rstrip("？?")
        got = real_assistant.ask(q, context=answer.query)  # as the page asks a chip: after the answer
        assert got.status == "figure", (q, got.text)
        assert shown is None or (got.figures[0].doc, got.figures[0].start) != (shown.doc, shown.start)
        assert "园区是多少" not in q and "幼儿园" not in q and "回望" not in q
    if answer.query.is_english:
        assert all(q.isascii() for q in answer.related)
