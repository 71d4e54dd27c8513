"""相关问题 after a table (qa/related_table.py, qa/related.py): worded from the `table` lines of
qa/data/related.tsv, each asked before it is offered and answered by the table it names, none repeating the
question or the table just shown; shown as chips on the page. Small reports written for the test (those of
tests/test_table.py) and the fake embedder: a table reads figures and profiles, not vectors."""
from __future__ import annotations

import re

import pytest

from qa.related import parse_wordings, table_wordings
from qa.related_table import Outcome, answers, following, parse_table_wordings, phrase
from qa.table_query import TableRequest
from tests.fakes import FakeEmbedder
from tests.test_table import NATIONAL, PROVINCES, _source

YEARS = ("years",)
AREAS = ("areas",)


# --- the wordings -------------------------------------------------------------------------------------


def test_table_wordings_parse_and_cover_both_languages():
    w = table_wordings()
    zh = {k[:3] for k in w.questions if k[3] == "zh"}
    assert zh == {k[:3] for k in w.questions if k[3] == "en"}  # every zh wording has its en twin
    assert {(o, k) for o, _, k in zh} == {("years", "targets"), ("years", "results"), ("years", "both"),
                                          ("areas", "targets"), ("areas", "results")}
    assert all((o, "*", k) in zh for o, _, k in zh)  # a wording for any aspect, whatever the indicator
    assert {k for k in w.where} == {(o, s, lang) for o in YEARS + AREAS for s in ("every", "named") for lang in ("zh", "en")}
    assert w.where[("years", "every", "zh")] == ""  # "-": a table over years of every area names none


@pytest.mark.parametrize("line", [
    "table\tyears\t增速\ttargets\tzh",  # five columns
    "table\tmonths\t增速\ttargets\tzh\t历年{where}{name}？",
    "table\tyears\t速度\ttargets\tzh\t历年{where}{name}？",  # not an aspect
    "table\tyears\t增速\tplans\tzh\t历年{where}{name}？",
    "table\tyears\t增速\ttargets\tfr\t历年{where}{name}？",
    "table\tyears\t增速\ttargets\tzh\t历年{name}增长目标？",  # no {where}
    "table\tareas\t增速\ttargets\tzh\t{where}{name}增长目标？",  # over areas, no {when}
    "table\twhere\tareas\tnamed\tzh\t各地",  # named areas without {areas}
    "table\twhere\tmonths\tevery\tzh\t各地",
])
def test_a_malformed_table_line_is_an_error_naming_it(line):
    with pytest.raises(ValueError, match="line 2"):
        parse_table_wordings("# table lines\n" + line)


def test_the_figure_wordings_skip_the_table_lines():
    text = "总量\tresults\tzh\t{when}{name}是多少？\ntable\twhere\tareas\tevery\tzh\t各地\n"
    assert parse_wordings(text) == {("总量", "results", "zh"): "{when}{name}是多少？"}
    assert parse_table_wordings(text).where == {("areas", "every", "zh"): "各地"}


GDP_T = TableRequest("地区生产总值", "增速", kinds=("targets",), over=YEARS)
NAMES = {"中国": "China", "广东省": "Guangdong", "江苏省": "Jiangsu", "安徽省": "Anhui"}


def _req(base: TableRequest = GDP_T, **kw) -> TableRequest:
    from dataclasses import replace

    return replace(base, **kw)


@pytest.mark.parametrize("request_, lang, name, expected", [
    (GDP_T, "zh", "地区生产总值", "历年地区生产总值增长目标是多少？"),
    (GDP_T, "en", "GDP", "What were the GDP growth targets over the years?"),
    (_req(areas=("中国",)), "zh", "地区生产总值", "历年中国地区生产总值增长目标是多少？"),
    (_req(areas=("中国",)), "en", "GDP", "What were the GDP growth targets in China over the years?"),
    (_req(kinds=("targets", "results")), "zh", "地区生产总值", "历年地区生产总值增长目标完成了吗？"),
    (_req(kinds=("results",)), "en", "GDP", "What was the actual GDP growth over the years?"),
    (_req(indicator="城镇新增就业", aspect="新增", kinds=("targets", "results")), "zh", "城镇新增就业",
     "历年城镇新增就业目标完成了吗？"),  # an aspect of no wording of its own: the wording of any (*)
    (_req(over=AREAS, shifts=(0,)), "zh", "地区生产总值", "各地今年地区生产总值增长目标分别是多少？"),
    (_req(over=AREAS, shifts=(0,)), "en", "GDP", "What is the GDP growth target this year in each province?"),
    (_req(indicator="城镇新增就业", aspect="新增", kinds=("results",), over=AREAS, shifts=(-1,)), "zh", "城镇新增就业",
     "各地去年城镇新增就业分别是多少？"),
    (_req(indicator="城镇新增就业", aspect="新增", kinds=("results",), over=AREAS, shifts=(-1,)), "en", "new urban jobs",
     "What were the actual new urban jobs figures last year in each province?"),
    (_req(kinds=("results",), over=AREAS, years=(2025,), areas=("广东省", "江苏省")), "zh", "地区生产总值",
     "广东省、江苏省2025年地区生产总值分别增长多少？"),
    (_req(kinds=("results",), over=AREAS, years=(2025,), areas=("广东省", "江苏省", "安徽省")), "en", "GDP",
     "What was the actual GDP growth in 2025 in Guangdong, Jiangsu and Anhui?"),
    (_req(over=AREAS), "zh", "地区生产总值", "各地地区生产总值增长目标分别是多少？"),  # no year named: every year's
    (_req(over=AREAS, shifts=(-1, 0)), "zh", "地区生产总值", None),  # two years: no one wording says it
    (_req(over=AREAS, shifts=(-3,)), "zh", "地区生产总值", None),  # no word for three years ago
    (_req(kinds=("targets", "results"), over=AREAS, shifts=(0,)), "zh", "地区生产总值", None),  # no both over areas
    (GDP_T, "en", None, None),  # an indicator of no English name is not asked in English
])
def test_a_table_is_asked_as_a_reader_asks_it(request_, lang, name, expected):
    assert phrase(request_, lang, name, NAMES if lang == "en" else {}, table_wordings()) == expected


def test_every_wording_reads_back_as_the_table_it_names():
    """What each wording says is what qa/table_query.py reads from it: the indicator, over, kinds, period."""
    from qa.query import analyse
    from qa.table_query import request_of

    w = table_wordings()
    for (over, aspect, kind, lang) in w.questions:
        kinds = ("targets", "results") if kind == "both" else (kind,)
        shifts = ((0,) if kind == "targets" else (-1,)) if over == "areas" else ()
        indicator, aspect, en = ("地区生产总值", "增速", "GDP") if aspect == "增速" else ("城镇新增就业", "新增",
                                                                                  "new urban jobs")
        for areas in (None, ("广东省", "江苏省")):
            r = TableRequest(indicator, aspect, areas, None, shifts, kinds, over=(over,))
            question = phrase(r, lang, en if lang == "en" else indicator, NAMES if lang == "en" else {}, w)
            q = analyse(question)
            got = request_of(q.text, q.indicators, q.aspect, ["中国", "广东省", "江苏省"], newest=2026)
            assert got is not None, question
            assert (got.indicator, got.kinds, got.shifts, got.areas) == (indicator, kinds, shifts, areas), question
            assert over in got.over and got.aspect in (None, aspect), question


# --- which tables follow a table --------------------------------------------------------------------


def _shape(requests):
    return [(r.indicator, r.aspect, r.kinds, r.over, r.areas, r.years, r.shifts) for r in requests]


@pytest.fixture(scope="module")
def both():
    return _source({**NATIONAL, **PROVINCES})


def test_after_one_indicator_over_years_the_other_kind_then_other_indicators():
    source = _source(NATIONAL)
    assert _shape(following(GDP_T, "增速", source, ["地区生产总值", "居民消费价格指数", "城镇新增就业"])) == [
        ("地区生产总值", "增速", ("results",), YEARS, None, None, ()),  # the results of the targets shown
        ("城镇新增就业", "新增", ("targets",), YEARS, None, None, ()),  # stated in three reports
        ("居民消费价格指数", "增速", ("targets",), YEARS, None, None, ()),  # in two
    ]
    both_kinds = _req(kinds=("targets", "results"))
    assert [r.indicator for r in following(both_kinds, "增速", source, [])] == ["城镇新增就业", "居民消费价格指数"]


def test_over_years_of_one_area_among_several_the_same_over_every_area(both):
    china = _req(areas=("中国",), years=(2019, 2020))
    got = _shape(following(china, "增速", both, []))
    assert got[0] == ("地区生产总值", "增速", ("results",), YEARS, ("中国",), None, ())  # the same area, every year
    assert got[1] == ("地区生产总值", "增速", ("targets",), AREAS, None, None, (0,))  # every area, this year
    assert ("城镇新增就业", "新增", ("targets",), YEARS, ("中国",), None, ()) in got


def test_after_one_indicator_over_areas_another_over_the_same_areas_and_the_other_kind():
    source = _source(PROVINCES)
    this_year = _req(over=AREAS, shifts=(0,))
    assert _shape(following(this_year, "增速", source, [])) == [
        ("城镇新增就业", "新增", ("targets",), AREAS, None, None, (0,)),  # another key indicator, the same period
        ("地区生产总值", "增速", ("results",), AREAS, None, None, (-1,)),  # last year's results, the same reports
    ]
    named = _req(over=AREAS, years=(2025,), kinds=("results",), areas=("广东省", "江苏省"))
    assert _shape(following(named, "增速", source, [])) == [
        ("城镇新增就业", "新增", ("results",), AREAS, ("广东省", "江苏省"), (2025,), ()),
        ("地区生产总值", "增速", ("targets",), AREAS, ("广东省", "江苏省"), (2026,), ()),
    ]


def test_over_areas_where_an_area_has_several_years_the_same_over_years(both):
    got = _shape(following(_req(over=AREAS, shifts=(0,)), "增速", both, []))
    assert ("地区生产总值", "增速", ("targets",), YEARS, None, None, ()) in got


T = Outcome("table", "地区生产总值", "增速", ("targets",), (("中国", 2019), ("中国", 2020)))


@pytest.mark.parametrize("asked, got, ok", [
    (_req(kinds=("results",)), Outcome("table", "地区生产总值", "增速", ("results",), (("中国", 2018),)), True),
    (GDP_T, T, False),  # the table just shown
    (_req(kinds=("results",)), Outcome("table", "地区生产总值", "增速", ("targets",), (("中国", 2021),)), False),
    (_req(indicator="城镇新增就业", aspect="新增"), Outcome("table", "城镇新增就业", "增速", ("targets",), T.cells), False),
    (_req(areas=("中国",)), Outcome("table", "地区生产总值", "增速", ("targets",), (("广东省", 2026),)), False),
    (_req(indicator="城镇新增就业"), Outcome("figure", "城镇新增就业", "新增", figure=("d", 9)), True),  # one row
    (_req(indicator="城镇新增就业"), Outcome("figure", "城镇新增就业", "新增", figure=("d", 1)), False),  # a cell shown
    (_req(indicator="城镇新增就业"), Outcome("figure", "地区生产总值", "增速", figure=("d", 9)), False),
    (GDP_T, Outcome("not_found"), False),
    (GDP_T, Outcome("passage"), False),
])
def test_a_question_is_offered_only_when_its_table_answers_it(asked, got, ok):
    assert answers(asked, got, T, {("d", 1)}) is ok


# --- through the Assistant and the page ------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from qa import Assistant

    folder = tmp_path_factory.mktemp("related-tables")
    for name, text in {**NATIONAL, **PROVINCES}.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=FakeEmbedder())


def _cells(answer):
    return tuple((r.indicator, r.aspect, r.area, r.year, r.target_missing, r.result_missing) for r in answer.rows)


@pytest.mark.parametrize("question, expected", [
    ("历年中国国内生产总值增长目标", ["历年中国地区生产总值实际增长多少？", "各地今年地区生产总值增长目标分别是多少？"]),
    ("历年国内生产总值增长目标和实际增长情况", ["各地今年地区生产总值增长目标分别是多少？"]),
    ("各地今年地区生产总值增长目标分别是多少", ["各地今年城镇新增就业目标分别是多少？", "各地去年地区生产总值分别增长多少？"]),
    ("广东和江苏今年GDP目标", ["广东省、江苏省今年城镇新增就业目标分别是多少？"]),
    ("What were China's GDP growth targets over the years?", ["What was the actual GDP growth in China over the years?"]),
    ("Compare each province's GDP growth target this year", []),
])
def test_a_table_answer_offers_tables_each_answered_and_none_repeats(assistant, question, expected):
    a = assistant.ask(question)
    assert a.status == "table" and 1 <= len(a.related) <= 3
    assert all(q in a.related for q in expected), a.related
    for q in a.related:
        assert re.sub(r"[?？]$", "", q) != re.sub(r"[?？]$", "", question)
        got = assistant.ask(q, context=a.query)  # as the page asks a chip: after the answer
        assert got.status in ("table", "figure"), (q, got.status)
        if got.status == "table":
            assert _cells(got) != _cells(a), q  # never the table just shown
        else:
            assert got.figures[0] not in a.figures, q
    assert all(q.isascii() for q in a.related) == a.query.is_english


def test_a_table_asked_in_chinese_on_the_english_page_offers_english_questions(assistant):
    from qa.related import suggest

    a = assistant.ask("各地今年地区生产总值增长目标分别是多少")
    english = suggest(assistant, a, "en")
    assert english and all(q.isascii() for q in english)
    for q in english:
        assert assistant.ask(q).status in ("table", "figure"), q


def test_a_table_answers_chips_show_on_the_page(assistant):
    from qa.web.handlers import Handlers
    from qa.web.render import esc

    h = Handlers(assistant)
    for english in (False, True):
        _, messages, *_ = h.respond("各地今年地区生产总值增长目标分别是多少", [], None, 5, "hybrid", "", english)
        html = messages[-1]["content"]
        chips = re.findall(r'<button type="button" class="qa-chip">([^<]*)</button>', html)
        assert "qa-rowtable" in html and 'class="qa-related"' in html and len(chips) >= 2
        assert all(c.isascii() for c in chips) == english
        a = assistant.ask("各地今年地区生产总值增长目标分别是多少")
        if not english:
            assert chips == [esc(q) for q in a.related]


def test_asking_with_related_false_offers_none(assistant):
    assert assistant.ask("各地今年地区生产总值增长目标分别是多少", related=False).related == ()
