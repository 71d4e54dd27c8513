"""Routing a question to the reports of the area it names (qa/route.py), over real report profiles."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest import load_document
from qa.profile import profile_of
from qa.query import without_indicator_places
from qa.route import area_named, corpus_areas, home_area

REPORTS = Path(__file__).resolve().parents[1] / "corpus" / "reports"
DONGHU = Path(__file__).resolve().parents[1] / "corpus" / "donghu-2024-work-report.txt"
STEMS = ("anhui-2026-work-report", "gansu-2026-work-report", "sichuan-2026-work-report",
         "national-2020-work-report", "national-2021-work-report")


@pytest.fixture(scope="module")
def areas():
    profiles = [profile_of(load_document(REPORTS / f"{s}.txt")) for s in STEMS]
    return corpus_areas([*profiles, profile_of(load_document(DONGHU))])


def test_each_area_holds_its_reports_oldest_first(areas):
    by_name = {a.name: a for a in areas}
    assert set(by_name) == {"安徽省", "甘肃省", "四川省", "中国", "东湖高新区"}
    assert by_name["中国"].docs == ("national-2020-work-report", "national-2021-work-report")
    assert by_name["中国"].newest == 2021
    assert by_name["安徽省"].newest == 2026 and "全省" in by_name["安徽省"].forms
    assert [a.newest for a in areas] == sorted(a.newest for a in areas)


@pytest.mark.parametrize("question, area", [
    ("安徽今年地区生产总值增长目标是多少", "安徽省"),
    ("甘肃省去年粮食产量", "甘肃省"),
    ("What is Sichuan's GDP growth target?", "四川省"),
    ("光谷去年GDP是多少", "东湖高新区"),
    ("武汉光谷的企业有多少家", "东湖高新区"),  # the zone, not the city it lies in
    ("中国2020年GDP增长多少", "中国"),
    ("2020年国内生产总值增长多少", None),  # 国内 inside an indicator names no area
    ("今年GDP增长目标是多少", None),
    ("北京今年GDP增长目标", None),  # an area no loaded report is about
    # a report's word for its own area names the one area of the corpus that uses it
    ("全国今年GDP增长目标是多少", "中国"),
    ("我国2020年城镇新增就业多少", "中国"),
    ("What is the national GDP growth target for 2021?", "中国"),
    ("全区去年GDP是多少", "东湖高新区"),  # no other loaded report says 全区
    ("全省今年GDP增长目标", None),  # any of the three provinces
])
def test_the_area_a_question_names(areas, question, area):
    named = area_named(without_indicator_places(question), areas)
    assert (named.name if named else None) == area


def test_a_corpus_of_one_area_routes_nothing(areas):
    one = tuple(a for a in areas if a.name == "中国")
    assert area_named("中国2020年GDP", one) is None


@pytest.mark.parametrize("setting, area", [("安徽", "安徽省"), ("光谷", "东湖高新区"), ("四川省", "四川省"),
                                           ("北京", None), ("", None), (None, None)])
def test_home_area_setting(areas, setting, area):
    home = home_area(areas, setting)
    assert (home.name if home else None) == area


@pytest.mark.parametrize("question, context, home, area", [
    ("甘肃去年粮食产量", None, None, "甘肃省"),
    ("那去年呢", "甘肃省", None, "甘肃省"),  # a follow-up keeps its conversation's area
    ("四川呢", "甘肃省", None, "四川省"),  # unless it names another
    ("今年GDP增长目标", None, "安徽", "安徽省"),  # the home area for a question naming none
    ("今年GDP增长目标", None, None, None),
])
def test_the_area_asked(areas, question, context, home, area):
    from qa.route import area_asked

    got = area_asked(without_indicator_places(question), areas, context, home)
    assert (got.name if got else None) == area


def test_one_area_routes_nothing_even_with_a_home(areas):
    from qa.route import area_asked

    assert area_asked("安徽今年GDP", tuple(a for a in areas if a.name == "安徽省"), None, "安徽") is None
