"""Tables of an indicator across years or areas (qa/table.py): the question's cues, a cell's words, whether a
target was met, and the rows over small reports written for the test (the fake embedder: a table reads
figures and profiles, not vectors)."""
from __future__ import annotations

import json

import pytest

from qa import table as tables
from qa import table_query as tq
from qa.places import place
from qa.types import Figure, Period
from tests.fakes import FakeEmbedder

HEAD = "政府工作报告（{y}年）\n——{y}年3月5日在{congress}\n{speaker}\n各位代表：\n"
NATION = "第十三届全国人民代表大会第{n}次会议上"
NATIONAL = {
    "nation-2019": HEAD.format(y=2019, congress=NATION.format(n="二"), speaker="国务院总理")
    + "一、2018年工作回顾\n过去一年，经济运行保持在合理区间。国内生产总值增长6.6%，城镇新增就业1361万人。\n"
    + "二、2019年经济社会发展总体部署\n今年经济社会发展的主要预期目标是：国内生产总值增长6%－6.5%；"
      "城镇新增就业1100万人以上；居民消费价格涨幅3%左右。\n",
    "nation-2020": HEAD.format(y=2020, congress=NATION.format(n="三"), speaker="国务院总理")
    + "一、2019年工作回顾\n过去一年，国内生产总值增长6.1%，城镇新增就业1352万人，居民消费价格上涨2.9%。\n"
    + "二、2020年发展主要目标任务\n今年发展主要目标是：城镇新增就业900万人以上；居民消费价格涨幅3.5%左右。"
      "我们没有提出全年经济增速具体目标，主要因为不确定性很大。\n",
    "nation-2021": HEAD.format(y=2021, congress=NATION.format(n="四"), speaker="国务院总理")
    + "一、2020年工作回顾\n过去一年，全年国内生产总值增长2.3%，城镇新增就业1186万人。\n"
    + "二、2021年主要目标任务\n今年发展主要预期目标是：国内生产总值增长6%以上；城镇新增就业1100万人以上。\n",
}
PROVINCE = ("{p}2026年政府工作报告\n——2026年1月20日在{p}第十四届人民代表大会第四次会议上\n{p}省长\n各位代表：\n"
            "一、2025年工作回顾\n过去一年，全省地区生产总值增长{r}%，城镇新增就业50万人。\n"
            "二、2026年工作安排\n今年全省经济社会发展的主要预期目标是：地区生产总值增长{t}；城镇新增就业45万人以上。\n")
PROVINCES = {"guangdong-2026": PROVINCE.format(p="广东省", r="3.9", t="4.5%—5%"),
             "jiangsu-2026": PROVINCE.format(p="江苏省", r="5.3", t="5%左右"),
             "anhui-2026": PROVINCE.format(p="安徽省", r="5.5", t="5%以上")}


def _source(reports: dict[str, str]) -> tables.Source:
    from qa.chunking import chunk_document
    from qa.ingest import parse_document

    docs = {k: parse_document(k, v) for k, v in reports.items()}
    return tables.source_of([f for d in docs.values() for c in chunk_document(d) for f in c.figures], docs)


@pytest.fixture(scope="module")
def national():
    return _source(NATIONAL)


@pytest.fixture(scope="module")
def provinces():
    return _source(PROVINCES)


# --- the data files ---------------------------------------------------------------------------------


def test_every_cue_role_is_in_the_file():
    cues = tq.load_cues()
    assert {v for _, v in cues.over} == {"years", "areas"}
    assert {v for _, v in cues.kind} == {"targets", "results", "both"}
    assert cues.span and cues.since and cues.unset and cues.order


@pytest.mark.parametrize("line", ["历年\tover", "历年\tover\tmonths", "历年\tcolour\tyears", "\tover\tyears"])
def test_a_malformed_cue_line_is_an_error_naming_it(line):
    with pytest.raises(ValueError, match="line 2"):
        tq.parse_cues("# cue\trole\tvalue\n" + line)


def test_every_region_member_is_a_provincial_area_of_the_gazetteer():
    for name, members in tq.load_regions():
        for m in members:
            p = place(m)
            assert p is not None and p.name == m and p.level == "province", (name, m)


def test_a_malformed_region_line_is_an_error():
    with pytest.raises(ValueError, match="line 1"):
        tq.parse_regions("长三角\n")


# --- what a question asks for -------------------------------------------------------------------------

AREAS = ["辽宁省", "吉林省", "黑龙江省", "广东省", "江苏省", "山东省", "安徽省", "上海市", "浙江省", "山西省"]


@pytest.mark.parametrize("question, indicator, over, years, shifts, kinds, order, areas, absent", [
    ("历年国内生产总值增长目标和实际增长情况", "地区生产总值", ("years",), None, (), ("targets", "results"), None, None, ()),
    ("2019到2021年城镇新增就业目标", "城镇新增就业", ("years",), (2019, 2020, 2021), (), ("targets",), None, None, ()),
    ("2018年至2020年城镇新增就业实际完成情况", "城镇新增就业", ("years",), (2018, 2019, 2020), (), ("results",),
     None, None, ()),
    ("2019年GDP增长目标完成了吗", "地区生产总值", ("years",), (2019,), (), ("targets", "results"), None, None, ()),
    ("各地今年地区生产总值增长目标分别是多少", "地区生产总值", ("areas",), None, (0,), ("targets",), None, None, ()),
    ("哪个省去年GDP增速最高", "地区生产总值", ("areas",), None, (-1,), ("results",), "desc", None, ()),
    ("东北三省去年GDP增速和今年目标", "地区生产总值", ("areas",), None, (-1, 0), ("targets", "results"), None,
     ("辽宁省", "吉林省", "黑龙江省"), ()),
    ("中部六省今年GDP增长目标对比", "地区生产总值", ("areas",), None, (0,), ("targets",), None, ("山西省", "安徽省"),
     ("江西省", "河南省", "湖北省", "湖南省")),
    ("广东和江苏今年GDP目标", "地区生产总值", ("areas",), None, (0,), ("targets",), None, ("广东省", "江苏省"), ()),
    ("Annual GDP growth targets vs actual growth, 2019-2021", "地区生产总值", ("years",), (2019, 2020, 2021), (),
     ("targets", "results"), None, None, ()),
    ("2018年以来城镇新增就业", "城镇新增就业", ("years",), (2018, 2019, 2020, 2021), (), ("targets", "results"), None,
     None, ()),
])
def test_what_a_table_question_asks(question, indicator, over, years, shifts, kinds, order, areas, absent):
    from qa.query import analyse

    q = analyse(question)
    r = tq.request_of(q.text, q.indicators, q.aspect, AREAS, newest=2021)
    assert r is not None
    assert (r.indicator, r.over, r.years, r.shifts, r.kinds, r.order) == (indicator, over, years, shifts, kinds, order)
    assert r.areas == areas and r.absent == absent


@pytest.mark.parametrize("question", [
    "今年国内生产总值增长目标是多少",  # one figure
    "2023年地区生产总值是多少",
    "孩子周末上补习班，今年政策有变化吗",  # a cue, but no indicator
    "各省的营商环境怎么样",
])
def test_a_question_for_one_figure_or_no_indicator_is_no_table(question):
    from qa.query import analyse

    q = analyse(question)
    assert tq.request_of(q.text, q.indicators, q.aspect, AREAS, newest=2026) is None


# --- a cell's words and whether a target was met --------------------------------------------------


def _fig(text: str, value: float, qualifier: str | None = None, unit: str = "%", start: int = 0, doc: str = "d"):
    return Figure(text, value, unit, "growth", "", start, start + len(text), qualifier, doc=doc)


@pytest.mark.parametrize("sentence, figure_text, written", [
    ("国内生产总值增长6%－6.5%；城镇", "6%", "6%－6.5%"),
    ("地区生产总值增长4.5%—5%，在实际工作中", "4.5%", "4.5%—5%"),
    ("地区生产总值增长5%-5.5%左右，", "5%", "5%-5.5%左右"),
    ("国内生产总值增长6%以上；城镇", "6%以上", "6%以上"),
    ("增长6.1%。城镇新增就业1352万人", "6.1%", "6.1%"),
])
def test_a_range_is_written_whole(sentence, figure_text, written):
    at = sentence.index(figure_text)
    f = _fig(figure_text, 0.0, start=at)
    assert tables.written(f, sentence) == written


@pytest.mark.parametrize("target, t_text, result, r_text, met", [
    (_fig("6%", 6), "6%－6.5%", _fig("6.1%", 6.1), "6.1%", True),  # within a range
    (_fig("6%", 6), "6%－6.5%", _fig("5.9%", 5.9), "5.9%", False),  # below it
    (_fig("6%", 6), "6%－6.5%", _fig("7%", 7), "7%", None),  # above a range: the reader judges
    (_fig("6%以上", 6, "at_least"), "6%以上", _fig("8.1%", 8.1), "8.1%", True),
    (_fig("6%以上", 6, "at_least"), "6%以上", _fig("5.2%", 5.2), "5.2%", False),
    (_fig("3%以内", 3, "at_most"), "3%以内", _fig("2.5%", 2.5), "2.5%", True),
    (_fig("3%以内", 3, "at_most"), "3%以内", _fig("3.4%", 3.4), "3.4%", False),
    (_fig("3%左右", 3, "about"), "3%左右", _fig("2.9%", 2.9), "2.9%", None),  # 左右 decides nothing
    (_fig("5%", 5), "5%", _fig("5%", 5), "5%", True),  # an exact target reached
    (_fig("5%", 5), "5%", _fig("5.3%", 5.3), "5.3%", None),  # missed an exact one: more is not always better
    (_fig("6%以上", 6, "at_least"), "6%以上", _fig("5.3%以下", 5.3, "at_most"), "5.3%以下", False),
    (_fig("6%以上", 6, "at_least"), "6%以上", _fig("6.2%左右", 6.2, "about"), "6.2%左右", None),
    (_fig("1100万人以上", 1100, "at_least", "万人"), "1100万人以上", _fig("13.5%", 13.5), "13.5%", None),  # units
    (_fig("6%以上", 6, "at_least"), "6%以上", None, "", None),
])
def test_met_only_where_the_target_decides_it(target, t_text, result, r_text, met):
    from qa.types import Document

    doc = Document("d", "", "增长" * 20, "", None, None, "", (), ())
    source = tables.Source({"d": doc}, {}, {})
    assert tables.met_of(target, t_text, result, r_text, source) is met


# --- the rows ---------------------------------------------------------------------------------------


def test_years_table_takes_each_years_target_and_result_from_its_own_report(national):
    rows = tables.build_table(tq.TableRequest("地区生产总值", "增速"), national)
    by_year = {r.year: r for r in rows}
    assert sorted(by_year) == [2018, 2019, 2020, 2021]
    for r in rows:  # never a target for a result, nor one year's figure for another's
        if r.target is not None:
            assert r.target.period == Period(r.year, "targets") and national.profiles[r.target.doc].year == r.year
            assert r.target_quote.doc == r.target.doc and r.target.text in r.target_quote.text
        if r.result is not None:
            assert r.result.period == Period(r.year, "results") and national.profiles[r.result.doc].year == r.year + 1
    assert (by_year[2019].target_text, by_year[2019].result_text, by_year[2019].met) == ("6%－6.5%", "6.1%", True)
    assert by_year[2018].target is None and by_year[2018].target_missing == "no_report"
    assert by_year[2021].result is None and by_year[2021].result_missing == "no_report"


def test_a_year_without_a_target_says_what_its_report_says(national):
    row = next(r for r in tables.build_table(tq.TableRequest("地区生产总值", "增速"), national) if r.year == 2020)
    assert row.target is None and row.target_missing == "not_stated"
    doc = national.documents[row.note.doc]
    assert row.note.doc == "nation-2020" and doc.text[row.note.start:row.note.end] == row.note.text
    assert "没有提出" in row.note.text and "经济增速" in row.note.text
    assert row.result.text == "2.3%" and row.met is None


def test_only_the_kinds_asked_are_filled(national):
    rows = tables.build_table(tq.TableRequest("城镇新增就业", "新增", kinds=("targets",)), national)
    assert [r.year for r in rows] == [2019, 2020, 2021]
    assert all(r.result is None and r.result_missing == "not_asked" for r in rows)
    assert [r.target_text for r in rows] == ["1100万人以上", "900万人以上", "1100万人以上"]


def test_areas_table_has_a_row_per_area_with_its_own_target(provinces):
    rows = tables.build_table(tq.TableRequest("地区生产总值", None, shifts=(0,), kinds=("targets",),
                                                  over=("areas",)), provinces)
    assert [(r.area, r.year, r.target_text) for r in rows] == [
        ("安徽省", 2026, "5%以上"), ("广东省", 2026, "4.5%—5%"), ("江苏省", 2026, "5%左右")]
    assert all(provinces.profiles[r.target.doc].area == r.area for r in rows)


def test_areas_table_ordered_by_the_value_asked(provinces):
    rows = tables.build_table(tq.TableRequest("地区生产总值", "增速", shifts=(-1,), kinds=("results",),
                                                  order="desc", over=("areas",)), provinces)
    assert [r.result.value for r in rows] == [5.5, 5.3, 3.9]


def test_years_and_areas_asked_limit_the_rows(provinces, national):
    rows = tables.build_table(tq.TableRequest("地区生产总值", "增速", areas=("江苏省",)), provinces)
    assert [(r.area, r.year) for r in rows] == [("江苏省", 2025), ("江苏省", 2026)]
    rows = tables.build_table(tq.TableRequest("地区生产总值", "增速", years=(2020,)), national)
    assert [r.year for r in rows] == [2020]
    assert tables.build_table(tq.TableRequest("地区生产总值", "增速", areas=()), provinces) == ()


def test_rows_are_json(national):
    rows = tables.build_table(tq.TableRequest("地区生产总值", "增速"), national)
    data = json.loads(json.dumps([r.to_dict() for r in rows], ensure_ascii=False))
    assert data[1]["target"]["period"]["label"] == "2019年目标" and data[1]["met"] is True
    assert data[2]["note"]["doc"] == "nation-2020" and data[2]["target_missing"] == "not_stated"


# --- through the Assistant and the CLI ------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from qa import Assistant

    folder = tmp_path_factory.mktemp("table-corpus")
    for name, text in NATIONAL.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=FakeEmbedder())


def test_ask_answers_a_table_with_every_cell_cited(assistant):
    a = assistant.ask("历年国内生产总值增长目标和实际增长情况")
    assert a.status == "table" and a.found and [r.year for r in a.rows] == [2018, 2019, 2020, 2021]
    for r in a.rows:
        for f in (r.target, r.result):
            if f is not None:  # the cell's figure is in a cited passage
                assert any(p.doc == f.doc and p.start <= f.start < p.end for p in a.passages), f
    note = a.rows[2].note
    assert any(p.doc == note.doc and p.start <= note.start < p.end for p in a.passages)
    assert "6%－6.5%" in a.text and "没有提出全年经济增速具体目标" in a.text
    data = a.to_dict()
    assert data["status"] == "table" and len(data["rows"]) == 4


def test_a_table_of_one_row_is_a_plain_answer(assistant):
    a = assistant.ask("2019年GDP增长目标完成了吗")
    assert a.status != "table" and a.rows == ()
    assert assistant.ask("今年国内生产总值增长目标是多少").rows == ()


def test_assistant_table_api(assistant):
    a = assistant.table("国内生产总值增速", years=[2019, 2020])
    assert a.status == "table" and [(r.year, r.target_text, r.result_text) for r in a.rows] == [
        (2019, "6%－6.5%", "6.1%"), (2020, "", "2.3%")]
    assert assistant.table("GDP", areas=["全国"]).rows[0].area == "中国"
    assert assistant.table("不存在的指标").status == "not_found"


def test_cli_prints_the_table(assistant, capsys):
    from qa.cli import main

    folder = assistant.settings.corpus_dir
    assert main(["figures", "--table", "国内生产总值增速", "--corpus", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:5] == ["area", "year", "target", "result", "met"]
    assert lines[2].split("\t")[:5] == ["中国", "2019", "6%－6.5%", "6.1%", "达到 met"]
    assert "没有提出全年经济增速具体目标" in lines[3]
    assert main(["figures", "--table", "国内生产总值增速", "--json", "--corpus", str(folder)]) == 0
    assert [r["year"] for r in json.loads(capsys.readouterr().out)] == [2018, 2019, 2020, 2021]
    assert main(["figures", "--table", "没有这个指标", "--corpus", str(folder)]) == 2


def test_an_average_annual_rate_is_no_years_own():
    report = PROVINCE.format(p="辽宁省", r="3.7", t="4.5%左右").replace(
        "二、2026年工作安排\n", "二、2026年工作安排\n主要指标中，地区生产总值年均增长5%左右。\n")
    source = _source({"liaoning-2026": report})
    row = tables.build_table(tq.TableRequest("地区生产总值", "增速", kinds=("targets",)), source)[0]
    assert row.target_text == "4.5%左右"


@pytest.mark.parametrize("question", ["光谷新能源汽车销量占武汉全市的比重是多少？", "光谷GDP占武汉全市的比重是多少"])
def test_a_yardstick_place_is_no_second_area(question):
    from qa.query import analyse

    q = analyse(question)
    assert tq.request_of(q.text, q.indicators, q.aspect, ["东湖高新区"], newest=2024) is None


def test_the_json_route_returns_the_rows(assistant):
    import httpx

    from qa.http_api import api_routes
    from test_http_api import _port
    from qa.web import build_app

    app = build_app(assistant)
    port = _port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
               app_kwargs={"routes": api_routes(assistant)})
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "历年国内生产总值增长目标和实际增长情况"},
                       timeout=60)
        data = r.json()
        assert r.status_code == 200 and data["status"] == "table"
        assert [(row["year"], row["target_text"], row["result_text"], row["met"]) for row in data["rows"]] == [
            (2018, "", "6.6%", None), (2019, "6%－6.5%", "6.1%", True), (2020, "", "2.3%", None),
            (2021, "6%以上", "", None)]
        assert data["rows"][2]["note"]["text"] == "我们没有提出全年经济增速具体目标"
    finally:
        app.close()
