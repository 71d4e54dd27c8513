"""The page's view of a table (qa/web/table_view.py): every text escaped, a citation per cell, met only
where decided, the chart's spec (results a line, targets markers), the loaded documents."""
from __future__ import annotations

import json

import pytest

from qa.types import Figure, Period, Quote, TableRow
from qa.web.table_view import chart_spec, loaded_line, met_label, render_documents, render_table, table_lines

EVIL = '<img src=x onerror="alert(1)">'


def _fig(text, value, year, kind, doc="d", start=0, qualifier=None):
    return Figure(text, value, "%", "growth", "", start, start + len(text), qualifier, doc=doc,
                  period=Period(year, kind))


def _rows(area="中国"):
    return (
        TableRow(area, 2019, "地区生产总值", "增速", _fig("6%", 6, 2019, "targets", "r2019", 10),
                 _fig("6.1%", 6.1, 2019, "results", "r2020", 20), True, "6%－6.5%", "6.1%",
                 Quote("r2019", "国内生产总值增长6%－6.5%", 5, 20), Quote("r2020", "增长6.1%", 18, 25)),
        TableRow(area, 2020, "地区生产总值", "增速", None, _fig("2.3%", 2.3, 2020, "results", "r2021", 30), None,
                 "", "2.3%", None, Quote("r2021", "增长2.3%", 28, 35), Quote("r2020", f"没有提出{EVIL}目标", 40, 60),
                 "not_stated"),
        TableRow(area, 2021, "地区生产总值", "增速", _fig("6%以上", 6, 2021, "targets", "r2021", 50, "at_least"),
                 None, None, "6%以上", "", Quote("r2021", "增长6%以上", 48, 56), None, None, "", "no_report"),
    )


def cite(doc, pos):
    return (f"[{doc}]", f"{doc}#{pos}")


def test_the_table_escapes_every_text_and_cites_every_cell():
    rows = _rows(area=EVIL)
    html = render_table(rows, "zh", cite)
    assert "<img" not in html and "&lt;img" in html
    assert html.count('class="qa-cite-link"') == 5  # two targets, the note, two results
    assert "6%－6.5%" in html and "未收录该年报告" in html and "✓ 达到目标" in html
    assert "data-qa-target=\"qa-src-r2020_2340\"" in html  # the note links to its passage (r2020#40)


def test_columns_not_asked_are_left_out():
    rows = tuple(TableRow(r.area, r.year, r.indicator, r.aspect, r.target, None, None, r.target_text, "",
                          r.target_quote, None, r.note, r.target_missing, "not_asked") for r in _rows())
    html = render_table(rows, "en", cite)
    assert "Target" in html and "Result" not in html and "Met?" not in html


@pytest.mark.parametrize("met, both, label", [(True, True, "✓ 达到目标"), (False, True, "✗ 未达到"),
                                              (None, True, "请对照原文"), (None, False, "—")])
def test_met_is_said_only_where_decided(met, both, label):
    r = _rows()[0]
    row = TableRow(r.area, r.year, r.indicator, r.aspect, r.target, r.result if both else None, met)
    assert met_label(row, "zh") == label


def test_the_copy_text_holds_each_row():
    lines = table_lines(_rows(), "zh")
    assert lines[0] == "中国 2019: 目标 6%－6.5%; 实际 6.1% (✓ 达到目标)"
    assert "没有提出" in lines[1] and "未收录该年报告" in lines[2]


def test_chart_results_are_a_line_and_targets_markers():
    spec = chart_spec(_rows(), "zh")
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "rule", "point"]
    values = spec["data"]["values"]
    assert {(v["x"], v["kind"], v["value"]) for v in values} == {
        ("2019", "target", 6), ("2019", "result", 6.1), ("2020", "result", 2.3), ("2021", "target", 6)}
    assert next(v for v in values if v["x"] == "2019" and v["kind"] == "target")["high"] == 6.5  # the range's top
    json.dumps(spec)  # serialisable as it goes to the browser


def test_chart_over_areas_for_one_year():
    rows = tuple(TableRow(a, 2026, "地区生产总值", "增速", _fig(f"{v}%", v, 2026, "targets", a), target_text=f"{v}%")
                 for a, v in (("广东省", 4.5), ("江苏省", 5.0)))
    spec = chart_spec(rows, "zh")
    assert [v["x"] for v in spec["data"]["values"]] == ["广东省", "江苏省"]
    assert chart_spec(rows[:1], "zh") is None  # one value: no chart


def test_documents_listed_with_how_many():
    from qa.profile import DocumentProfile
    from qa.types import Document

    docs = [Document(f"r{y}", "", "", f"报告{EVIL}", None, None, "", (), ()) for y in (2019, 2020)]
    profiles = {f"r{y}": DocumentProfile(f"r{y}", "国务院", "中国", "country", y, (), ()) for y in (2019, 2020)}
    html = render_documents(docs, profiles, "zh")
    assert "<img" not in html and html.count("<li") == 2
    assert loaded_line(profiles.values(), "zh") == "已载入 2 份报告，2 个年份（2019–2020），1 个地区"
    assert loaded_line(profiles.values(), "en") == "2 reports loaded, 2 years (2019–2020), 1 areas"
