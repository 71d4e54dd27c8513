"""What each figure measures: the reviewed table of the report's figures, made-up sentences in
report style for the rules the report does not exercise, and the pipeline carrying the result."""
from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from qa.figures import extract_figures
from qa.resolve import resolve_figure, resolve_sentence
from qa.types import Figure, Period

TABLE = Path(__file__).parent / "data" / "figure_resolution.tsv"
COLUMNS = ("indicator", "aspect", "scope")


def _rows() -> list[dict[str, str]]:
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


ROWS = _rows()
# (start, column) -> why the resolver misses it; strict, so a fix shows up as XPASS
KNOWN_MISSES = {
    (1011, "indicator"): "the facilities (设施) are named as 国家大科学装置 only at the end of the sentence",
    (1033, "indicator"): "the facilities (设施) are named as 国家大科学装置 only at the end of the sentence",
    (1158, "indicator"): "发明专利5200多万条 are records on a data platform, not patents granted",
    (5361, "indicator"): "120多万光谷市民: population named as 市民, too generic a word to be an alias",
    (5361, "aspect"): "follows the indicator miss: a count of 常住人口 is its 总量",
    (8632, "indicator"): "新增总投资 belongs to the projects of the clause before, but 总投资 is a subject of its own",
    (12954, "indicator"): "省级示范综合体 refers back to the 养老综合体 of the clause before (anaphora by head noun)",
}


@pytest.fixture(scope="module")
def resolved(report):
    from qa.chunking import chunk_document

    return {f.start: f for c in chunk_document(report) for f in c.figures}


def test_table_is_large_and_well_formed(report):
    from qa.indicators import ASPECTS, SCOPES, indicator_named

    assert len(ROWS) >= 150
    for r in ROWS:
        start = int(r["start"])
        assert report.text[start: start + len(r["text"])] == r["text"], r
        assert r["indicator"] == "" or indicator_named(r["indicator"]).name == r["indicator"], r
        assert r["aspect"] in ASPECTS or r["aspect"] == "", r
        assert r["scope"] in SCOPES, r


CASES = [pytest.param(r, col, id=f"{r['start']}-{r['text']}-{col}",
                      marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[(int(r["start"]), col)])]
                      if (int(r["start"]), col) in KNOWN_MISSES else [])
         for r in ROWS for col in COLUMNS]


@pytest.mark.parametrize("row,column", CASES)
def test_reviewed_table(resolved, row, column):
    f = resolved[int(row["start"])]
    assert f.text == row["text"]
    got = getattr(f, column) or ""
    assert got == row[column], row["sentence"]


def test_agreement_per_column_is_at_least_95_percent(resolved):
    for column in COLUMNS:
        agree = sum((getattr(resolved[int(r["start"])], column) or "") == r[column] for r in ROWS)
        assert agree / len(ROWS) >= 0.95, (column, agree, len(ROWS))


# ---- made-up sentences in report style: rules the report itself does not exercise -------------------
# sentence | figure text | indicator ("" none) | aspect | scope
MADE_UP = [
    ("全市地区生产总值达到2.1万亿元,增长5.7%。", "2.1万亿元", "地区生产总值", "总量", "city"),
    ("全市地区生产总值达到2.1万亿元,增长5.7%。", "5.7%", "地区生产总值", "增速", "city"),
    ("全市常住人口达到1377万人,比上年增加3万人。", "3万人", "常住人口", "新增", "city"),
    ("新增上市企业5家,累计达到68家。", "68家", "上市企业", "累计", "local"),
    ("社会消费品零售总额达到650亿元,增长9%,总量居全市第三。", "第三", "社会消费品零售总额", "排名", "local"),
    ("一般公共预算收入96亿元,增长5%,税收占比85%。", "85%", "税收收入", "占比", "local"),
    ("全省规上工业增加值增长6.1%。", "6.1%", "规模以上工业增加值", "增速", "province"),
    ("全国GDP增长5.2%,我区高于全国2个百分点。", "5.2%", "地区生产总值", "增速", "country"),
    ("社会消费品零售总额1200亿元,占全市比重达到15%。", "15%", "社会消费品零售总额", "占比", "local"),
    ("社会消费品零售总额1200亿元,占全市比重达到15%。", "1200亿元", "社会消费品零售总额", "总量", "local"),
    ("进出口总额增长12%、规模位居全省第二。", "第二", "进出口总额", "排名", "local"),
    ("新增国家高新技术企业800家、总数达到3000家。", "800家", "高新技术企业", "新增", "local"),
    ("新增国家高新技术企业800家、总数达到3000家。", "3000家", "高新技术企业", "累计", "local"),
    ("累计培育专精特新中小企业320家。", "320家", "专精特新中小企业", "累计", "local"),
    ("城镇调查失业率控制在5.5%以内。", "5.5%以内", "城镇调查失业率", "总量", "local"),
    ("研发经费投入强度达到4.2%。", "4.2%", "研发经费投入强度", "总量", "local"),
    ("城镇新增就业4.1万人。", "4.1万人", "城镇新增就业", "新增", "local"),
    ("一般公共预算收入完成180亿元,其中税收收入150亿元、占比83%。", "150亿元", "税收收入", "总量", "local"),
    ("一般公共预算收入完成180亿元,其中税收收入150亿元、占比83%。", "83%", "税收收入", "占比", "local"),
    ("居民人均可支配收入5.6万元,增长6.5%。", "6.5%", "居民人均可支配收入", "增速", "local"),
    ("PM2.5平均浓度下降8%。", "8%", "PM2.5浓度", "增速", "local"),
    ("空气优良天数达到300天。", "300天", "", "", "local"),
    ("建成5G基站1200个。", "1200个", "5G基站", "新增", "local"),
    ("引进院士项目3个。", "3个", "", "新增", "local"),
    ("数字经济核心产业增加值占GDP比重达到12%。", "12%", "数字经济核心产业增加值", "占比", "local"),
]


@pytest.mark.parametrize("sentence,text,indicator,aspect,scope", MADE_UP, ids=[f"{c[0][:12]}-{c[1]}" for c in MADE_UP])
def test_made_up_sentences(sentence, text, indicator, aspect, scope):
    figures = extract_figures(sentence, 100)
    f = next(f for f in resolve_sentence(sentence, 100, figures) if f.text == text)
    assert (f.indicator or "", f.aspect, f.scope) == (indicator, aspect, scope)


def test_resolve_figure_reads_the_topic_from_earlier_figures():
    s = "经济增速逐季回升,一季度增长2.5%,全年增长4.7%,总量达到2715亿元。"
    last = extract_figures(s, 0)[-1]
    r = resolve_figure(last, s, 0)
    assert (r.indicator, r.aspect, r.scope) == ("地区生产总值", "总量", "local")


def test_pipeline_carries_the_resolution(report, resolved):
    from qa.index import chunk_from_json, chunk_to_json
    from qa.chunking import chunk_document

    chunk = next(c for c in chunk_document(report) if any(f.text == "2715亿元" for f in c.figures))
    f = next(f for f in chunk.figures if f.text == "2715亿元")
    assert (f.indicator, f.aspect, f.scope) == ("地区生产总值", "总量", "local")
    d = f.to_dict()
    assert (d["indicator"], d["aspect"], d["scope"]) == ("地区生产总值", "总量", "local")
    back = chunk_from_json(chunk_to_json(chunk))
    assert back.figures == chunk.figures
    assert sum(1 for f in resolved.values() if f.indicator) >= 90


def test_old_index_format_is_stale():
    from qa.index import FORMAT_VERSION, PIPELINE_MODULES

    assert FORMAT_VERSION >= 2
    assert {"resolve.py", "indicators.py", "data/indicators.json"} <= set(PIPELINE_MODULES)


# ---- the key indicators table ---------------------------------------------------------------------

def test_key_indicators_of_the_report(report):
    from qa.chunking import chunk_document
    from qa.resolve import key_indicators

    figures = [f for c in chunk_document(report) for f in c.figures]
    rows = key_indicators(figures, {report.id: report})
    cell = {(r.indicator, r.aspect, r.period.label): r for r in rows}
    assert cell[("地区生产总值", "总量", "2023年实绩")].figure.text == "2715亿元"
    assert cell[("地区生产总值", "增速", "2023年实绩")].figure.text == "4.7%"  # the year, not 一季度 2.5%
    assert cell[("地区生产总值", "增速", "2024年目标")].figure.text == "7%左右"
    assert cell[("高新技术产业增加值", "增速", "2024年目标")].figure.text == "10%"
    assert cell[("高新技术企业", "累计", "2023年实绩")].figure.text == "突破5700家"
    assert cell[("科技型中小企业", "新增", "2024年目标")].figure.text == "5200家"
    assert cell[("外商直接投资", "总量", "2024年目标")].figure.text == "7.1亿美元"
    assert rows[0].indicator == "地区生产总值"  # the vocabulary's order: 综合 first
    assert len(cell) == len(rows) >= 40
    for r in rows:
        assert r.figure.scope == "local" and r.figure.text in r.sentence
        assert report.text[r.figure.start: r.figure.end] == r.figure.text
    assert rows[0].to_dict()["period"] == "2023年实绩"


def test_key_indicators_skip_other_areas_and_unresolved(report):
    from qa.resolve import key_indicators

    s = "全省地区生产总值增长6%,全区地区生产总值增长8%,新增各类活动20场。"
    figures = [replace(f, doc=report.id) for f in resolve_sentence(s, 0, extract_figures(s, 0))]
    rows = key_indicators(figures, {})
    assert [(r.indicator, r.figure.text, r.sentence) for r in rows] == [("地区生产总值", "8%", "")]


@pytest.mark.parametrize("sentence, expected", [
    ("城乡居民人均可支配收入分别达6.9万元、3.4万元，增长4.2%、5.3%。",
     [("6.9万元", "城镇居民人均可支配收入"), ("3.4万元", "农村居民人均可支配收入"),
      ("4.2%", "城镇居民人均可支配收入"), ("5.3%", "农村居民人均可支配收入")]),
    ("城乡居民人均可支配收入从2021年的46503元和16935元分别提高到58794元和23184元。",
     [("46503元", "城镇居民人均可支配收入"), ("16935元", "农村居民人均可支配收入"),
      ("58794元", "城镇居民人均可支配收入"), ("23184元", "农村居民人均可支配收入")]),
    ("城乡居民人均可支配收入分别增长7%左右和8%左右，城镇调查失业率控制在5%以内。",
     [("7%左右", "城镇居民人均可支配收入"), ("8%左右", "农村居民人均可支配收入"), ("5%以内", "城镇调查失业率")]),
    # without 分别, or with one figure only, the figures stay the whole's
    ("城乡居民人均可支配收入增长5%。", [("5%", "居民人均可支配收入")]),
    ("居民人均可支配收入分别增长5%、6%。", [("5%", "居民人均可支配收入"), ("6%", "居民人均可支配收入")]),
])
def test_a_whole_named_with_its_parts_gives_each_part_in_turn(sentence, expected):
    got = [(f.text, f.indicator) for f in resolve_sentence(sentence, 0, extract_figures(sentence, 0))]
    assert got == expected


@pytest.mark.parametrize("before, period, report_year, expected", [
    ("其中地区生产总值年均", Period(2026, "targets"), 2026, Period(2030, "targets", 2026)),
    ("“十五五”时期，地区生产总值年均", Period(2026, "targets"), 2026, Period(2030, "targets", 2026)),
    ("地区生产总值", Period(2026, "targets"), 2026, Period(2026, "targets")),  # this year's target
    ("到2035年，人均地区生产总值年均", Period(2026, "targets"), 2026, Period(2035, "targets")),
    ("过去五年，地区生产总值年均", Period(2025, "results"), 2026, Period(2025, "results", 2021)),
])
def test_long_range_periods(before, period, report_year, expected):
    from qa.resolve import long_range

    assert long_range(before, period, report_year) == expected


@pytest.mark.parametrize("sentence, expected", [
    ("一般公共预算收入从874.6亿元增加到1112.4亿元。", [("874.6亿元", "一般公共预算收入", "总量"), ("1112.4亿元", "一般公共预算收入", "总量")]),
    ("规模以上工业企业从1832户增加到3382户。", [("1832户", "规模以上工业企业", "数量"), ("3382户", "规模以上工业企业", "数量")]),
    ("人均GDP从2020年的5.2万元提高到2025年的7.4万元。", [("5.2万元", "人均地区生产总值", "总量"), ("7.4万元", "人均地区生产总值", "总量")]),
    # no 从: two figures of their own
    ("新增就业12万人、引进人才3万人。", [("12万人", "城镇新增就业", "新增"), ("3万人", None, "新增")]),
])
def test_from_a_to_b_is_one_thing_at_two_times(sentence, expected):
    got = [(f.text, f.indicator, f.aspect) for f in resolve_sentence(sentence, 0, extract_figures(sentence, 0))]
    assert got == expected


@pytest.mark.parametrize("before, after, period, expected", [
    # 从A到B in one year's review or plan: A is the level it started from, that year's when named
    ("常住人口城镇化率从2020年的", "提升到2025年的57.7%", Period(2025, "results"), Period(2020, "results")),
    ("进口零关税商品税目比例由", "提升至74%", Period(2025, "results"), Period(2024, "results")),
    ("力争研发投入强度从", "提高到2.5%", Period(2026, "targets"), Period(2025, "results")),
    # B, the level reached, keeps the period; no 到 after: no start
    ("常住人口城镇化率从2020年的53.2%提升到2025年的", "。", Period(2025, "results"), Period(2025, "results")),
    ("由省财政安排资金", "，用于农田建设", Period(2025, "results"), Period(2025, "results")),
])
def test_the_level_a_change_started_from_is_not_the_years(before, after, period, expected):
    from qa.resolve import long_range

    assert long_range(before, period, 2026, after) == expected


@pytest.mark.parametrize("sentence, expected", [
    # the k-th item of a 分别 list with the words the items share; an item that qualifies an indicator's
    # name (集成电路出口, 东盟进出口) is a part of it, not the indicator
    ("集成电路、汽车零配件、锂电池出口分别增长107.9%、46.7%、57.4%。",
     [("107.9%", "集成电路出口增长", None), ("46.7%", "汽车零配件出口增长", None), ("57.4%", "锂电池出口增长", None)]),
    ("对中亚五国、东盟进出口分别增长37.2%、19%。", [("37.2%", "对中亚五国进出口增长", None), ("19%", "东盟进出口增长", None)]),
    ("城镇和农村常住居民人均可支配收入分别增长3.9%和5.7%。",
     [("3.9%", "城镇常住居民人均可支配收入增长", "城镇居民人均可支配收入"),
      ("5.7%", "农村常住居民人均可支配收入增长", "农村居民人均可支配收入")]),
    ("第一、第三产业增加值分别增长3.1%、5.1%。",
     [("3.1%", "第一产业增加值增长", "第一产业增加值"), ("5.1%", "第三产业增加值增长", "第三产业增加值")]),
    # items that name indicators of their own keep them, and take no tail
    ("规上工业增加值、机电产品出口分别增长6%、5%。",
     [("6%", "规上工业增加值", "规模以上工业增加值"), ("5%", "机电产品出口增长", None)]),
    ("进出口、出口分别增长5%、6%。", [("5%", "进出口", "进出口总额"), ("6%", "出口增长", "出口总额")]),
])
def test_the_items_of_a_respectively_list(sentence, expected):
    got = [(f.text, f.subject, f.indicator) for f in resolve_sentence(sentence, 0, extract_figures(sentence, 0))]
    assert got == expected


def test_the_level_reached_measures_what_the_level_left_did():
    s = "人均预期寿命从2020年的75.2岁提升至2025年的76.8岁左右。"
    got = [(f.text, f.subject, f.indicator) for f in resolve_sentence(s, 0, extract_figures(s, 0))]
    assert got == [("75.2岁", "人均预期寿命从2020年", "人均预期寿命"), ("76.8岁左右", "人均预期寿命", "人均预期寿命")]


@pytest.mark.parametrize("before, period, indicator, expected", [
    # in a review of the five years, an indicator reviews do not sum states the last year's level …
    ("综合实力稳步提升。生产总值", Period(2025, "results", 2021), "地区生产总值", Period(2025, "results")),
    # … one they sum, the five years' total; a flow word keeps the five years; a baseline is the plan before's end
    ("民生福祉得到新改善。一般公共预算支出", Period(2025, "results", 2021), "一般公共预算支出", Period(2025, "results", 2021)),
    ("五年累计生产总值", Period(2025, "results", 2021), "地区生产总值", Period(2025, "results", 2021)),
    ("全省地区生产总值达到13697.5亿元，较“十三五”末的", Period(2025, "results", 2021), "地区生产总值", Period(2020, "results")),
    ("生产总值", Period(2025, "results"), "地区生产总值", Period(2025, "results")),  # one year: as it is
])
def test_the_level_a_review_of_five_years_states(before, period, indicator, expected):
    from qa.resolve import end_level

    f = Figure("6.66万亿元", 6.66, "万亿元", "amount", "", 0, 1, indicator=indicator, aspect="总量")
    assert end_level(before, period, f) == expected


def test_the_annual_mean_of_a_pollutant_is_one_years():
    from qa.resolve import long_range

    assert long_range("PM2.5年均浓度", Period(2025, "results"), 2026) == Period(2025, "results")
    assert long_range("地区生产总值年均增长", Period(2025, "results"), 2026) != Period(2025, "results")


def test_a_figure_each_item_of_a_list_has_is_a_part_not_the_indicator():
    s = "城镇新增就业261.6万人，退役军人、残疾人新增就业均超7.3万人。"
    got = [(f.text, f.indicator) for f in resolve_sentence(s, 0, extract_figures(s, 0))]
    assert got == [("261.6万人", "城镇新增就业"), ("超7.3万人", None)]


def test_a_threshold_the_five_years_crossed_is_not_the_level_they_ended_at():
    from qa.resolve import end_level

    f = Figure("3万亿元", 3.0, "万亿元", "amount", "", 0, 1, indicator="地区生产总值", aspect="总量")
    span = Period(2025, "results", 2021)
    assert end_level("一是综合实力再上台阶。地区生产总值跨过", span, f) == span
    assert end_level("经济总量连续跨过", span, f) == span


def test_a_count_of_thresholds_does_not_lend_its_subject_to_the_level_after_it():
    s = "地区生产总值连续迈上4个万亿元台阶、达14.2万亿元、年均增长5.7%。"
    got = [(f.text, f.indicator) for f in resolve_sentence(s, 0, extract_figures(s, 0))]
    assert got[1] == ("14.2万亿元", "地区生产总值")


def test_what_something_drove_is_a_part_not_the_indicator():
    s = "中欧班列开行6037列、增长21.1%，带动陕西进出口415.4亿元、增长11.7%。全省进出口总值增长18.5%。"
    got = [(f.text, f.indicator) for f in resolve_sentence(s, 0, extract_figures(s, 0))]
    assert got[2:] == [("415.4亿元", None), ("11.7%", None), ("18.5%", "进出口总额")]


def test_under_is_no_to_in_a_change_from_a_to_b():
    from qa.resolve import long_range

    span = Period(2020, "results", 2016)
    assert long_range("国内生产总值从不到", span, 2021, "增加到超过100万亿元") == Period(2015, "results")


def test_each_year_in_a_review_is_over_the_years():
    from qa.resolve import long_range

    assert long_range("扎实推进就业稳岗计划，每年城镇新增就业", Period(2025, "results"), 2026) == Period(2025, "results", 2021)
    assert long_range("每年城镇新增就业", Period(2026, "targets"), 2026) == Period(2026, "targets")  # a plan's: as it is
