"""The gazetteer: administrative areas from cpca's adcodes table, zones from qa/data/areas.json."""
from __future__ import annotations

import json

import pytest

from qa.places import DATA, LEVELS, area_of, contains, find_places, forms_of, place, read_scope


@pytest.mark.parametrize(
    "text, expected",
    [
        ("武汉市2023年GDP是多少", [("武汉市", "武汉市", "city")]),
        ("武汉GDP", [("武汉", "武汉市", "city")]),
        ("湖北省的高企", [("湖北省", "湖北省", "province")]),
        ("北京2023年GDP", [("北京", "北京市", "province")]),
        ("洪山区有多少学校", [("洪山区", "洪山区", "district")]),
        ("光谷去年GDP", [("光谷", "东湖高新区", "zone")]),
        ("中国光谷", [("中国光谷", "东湖高新区", "zone")]),
        ("中关村和张江", [("中关村", "中关村", "zone"), ("张江", "张江高新区", "zone")]),
        ("What is the GDP of Optics Valley", [("Optics Valley", "东湖高新区", "zone")]),
        ("深圳市和广东省", [("深圳市", "深圳市", "city"), ("广东省", "广东省", "province")]),
        ("新疆维吾尔自治区", [("新疆维吾尔自治区", "新疆维吾尔自治区", "province")]),
        ("新疆的项目", [("新疆", "新疆维吾尔自治区", "province")]),
        ("长三角一体化", [("长三角", "长三角", "region")]),
        ("新加坡人才驿站", [("新加坡", "新加坡", "country")]),
        ("新增学位多少个", []),
        ("绿水青山", []),  # short district names (青山区 -> 青山) are not matched
        ("江夏的学校", []),
        ("donghuan road", []),  # an English form only on word boundaries
    ],
)
def test_find_places(text, expected):
    assert [(m.form, m.place.name, m.place.level) for m in find_places(text)] == expected


def test_offsets_point_at_the_form():
    text = "请问武汉市和光谷的GDP"
    for m in find_places(text):
        assert text[m.start:m.end] == m.form


@pytest.mark.parametrize(
    "title, area",
    [("东湖高新区2024年工作报告", "东湖高新区"), ("武汉市2024年政府工作报告", "武汉市"),
     ("2024年洪山区政府工作报告", "洪山区"), ("政府工作报告", None)],
)
def test_area_of_a_report(title, area):
    found = area_of(title)
    assert (found.name if found else None) == area


def test_containment():
    zone, city, province = place("光谷"), place("武汉"), place("湖北")
    assert contains(city, zone) and contains(province, zone) and contains(province, city)
    assert not contains(place("北京"), zone) and not contains(zone, city)
    assert place("洪山区").city == "武汉市"


def test_forms_of_a_zone_include_its_aliases():
    assert {"光谷", "东湖高新区", "中国光谷"} <= set(forms_of(place("东湖高新区")))


def test_area_data_is_well_formed():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    seen: set[str] = set()
    for z in data["zones"]:
        assert z["name"] and z["city"].endswith("市")
        assert place(z["city"]) is not None, z["city"]
        for form in (z["name"], *z["aliases"]):
            assert form.lower() not in seen, f"{form} names two zones"
            seen.add(form.lower())
    assert set(LEVELS) >= {"zone", "city", "province"}


@pytest.mark.parametrize(("question", "level", "place"), [
    ("What was the GDP of Hangzhou in 2023?", "other", "杭州市"),
    ("What was the GDP of Hangzhou's Binjiang high-tech zone in 2023?", "other", "杭州市"),
    ("How many listed companies are there in Wuhan?", "city", "武汉市"),
    ("What share of Wuhan's GDP does Optics Valley produce?", "local", None),
    ("How does Optics Valley rank in Hubei?", "local", None),
])
def test_english_of_and_in_name_whose_figure_unless_after_a_comparison(question: str, level: str, place) -> None:
    scope = read_scope(question, "东湖高新区", lambda s: False)
    assert (scope.level, scope.place) == (level, place)


@pytest.mark.parametrize("question", ["去北京上海专门拉人才的专车开几趟？", "开往北京、上海的引才专列有几个", "与深圳和杭州比,光谷高企多少家"])
def test_a_place_listed_after_a_destination_or_yardstick_is_one_too(question: str) -> None:
    assert read_scope(question, "东湖高新区", lambda s: False).level == "local"


def test_pinyin_table_is_pypinyin_s():
    """qa/data/place_pinyin.tsv (read instead of importing pypinyin at start) says what pypinyin says
    for every city and province the gazetteer names; regenerate it with write_pinyin_table()."""
    from qa.places import _pinyin_table, pinyin_names, pinyin_of

    table = _pinyin_table()
    names = pinyin_names()
    assert set(table) == set(names), "stale qa/data/place_pinyin.tsv: run qa.places.write_pinyin_table()"
    assert [n for n in names if table[n] != pinyin_of(n)] == []
    assert place("shenzhen").name == "深圳市" and place("hubei").name == "湖北省"


@pytest.mark.parametrize("text, name", [("What is Tibet's GDP?", "西藏自治区"), ("Inner Mongolia's grain output", "内蒙古自治区"),
                                        ("Shaanxi GDP", "陕西省"), ("Shanxi GDP", "山西省"), ("Xizang GDP", "西藏自治区")])
def test_english_names_of_provinces(text, name):
    from qa.places import find_places

    assert [m.place.name for m in find_places(text)] == [name]
