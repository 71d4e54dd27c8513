"""What a question asks for, from its words alone (qa/asking.py): table-driven."""
from __future__ import annotations

import pytest

from qa.asking import answer_form, aspect_asked, measure_word, unit_families, wanted_kinds, without_measure_words


@pytest.mark.parametrize("question, form", [
    ("光谷去年GDP是多少", "number"),
    ("光谷有没有公办托育园", "yesno"),
    ("光谷有哪些重点产业", "list"),
    ("汉江国家实验室在哪里", "name"),
    ("介绍一下东湖科学城", "text"),
    ("Is there a volunteer patrol team?", "yesno"),
])
def test_answer_form(question: str, form: str) -> None:
    assert answer_form(question, wanted_kinds(question)) == form


@pytest.mark.parametrize("question, word", [
    ("今年新增多少根充电桩", "根"), ("有多少家企业", "家"), ("几所学校", "所"), ("增长多少", ""), ("有几个", "个"),
])
def test_measure_word(question: str, word: str) -> None:
    assert measure_word(question) == word


def test_without_measure_words_keeps_the_noun() -> None:
    assert "瞪羚企业" in without_measure_words("去年新认定了多少家瞪羚企业") and "家瞪羚" not in without_measure_words(
        "去年新认定了多少家瞪羚企业")


@pytest.mark.parametrize("question, families", [
    ("固定资产投资多少亿元", {"money"}),
    ("2024年力争竣工的亿元以上项目有多少", set()),
    ("经济涨了几个点", {"percent"}),
    ("绿道修了多少公里", {"measure"}),
])
def test_unit_families(question: str, families: set) -> None:
    assert unit_families(question) == frozenset(families)


@pytest.mark.parametrize("question, aspect", [
    ("光谷GDP增长多少", "增速"), ("占全市比重多少", "占比"), ("在全国高新区排第几", "排名"),
])
def test_aspect_asked(question: str, aspect: str) -> None:
    assert aspect_asked(question, wanted_kinds(question)) == aspect


@pytest.mark.parametrize("question, measure", [
    ("烽火通信有多少员工", "员工"),
    ("How many people work at FiberHome?", "员工"),
    ("地铁19号线有多长", "长度"),
    ("How long is Metro Line 19?", "长度"),
    ("光谷软件园面积有多大", "面积"),
    ("汉江国家实验室科研总部占地多大", "面积"),
    ("同济医院质子治疗中心花了多少钱", "投资"),
    ("华星光电t5项目投了多少亿", "投资"),
    ("长飞光纤2023年营收是多少", "营收"),
    ("What was FiberHome's revenue?", "营收"),
    ("光谷步行街一年客流量多少", "客流"),
    ("地铁19号线有几个站", "站点"),
    ("禾元生物的稻米造血年产量多少", "产能"),
    ("武汉东站长线列车每天开几趟", "班次"),
    ("光谷那个REITs产品发行规模多少亿", "资金规模"),
    ("光谷人民医院有多少张床位", "床位"),
    ("光谷员工平均工资大概多少", "工资"),  # Chinese: the head noun is the last (the wage, not the staff)
    ("What was the revenue of FiberHome's staff?", "营收"),  # English: the first
    # no measure of a thing: an indicator, a count, a growth; 去年产业 is no 年产, how big no area
    ("光谷GDP是多少", None),
    ("去年产业项目到位资金多少亿元", None),
    ("固定资产投资增长多少", None),
    ("光谷有多少家高新技术企业", None),
    ("How big was the Optics Valley economy in 2023?", None),
])
def test_measure_asked(question: str, measure: str | None) -> None:
    from qa.asking import measure_asked

    found = measure_asked(question)
    assert (found.name if found else None) == measure


def test_measures_file_rows_are_checked() -> None:
    from qa.asking import parse_measures

    rows = parse_measures("# comment\n长度\t多长|长度\t里程\t公里|米\n站点\t几个站\t站\n")
    assert [r.name for r in rows] == ["长度", "站点"] and rows[1].units == ()
    with pytest.raises(ValueError, match="line 1"):
        parse_measures("长度\t多长\n")


@pytest.mark.parametrize("question, first", [
    ("What size is the life and health industry supposed to reach this year?", "measure"),
    ("What is the computing power of the AI computing centre now?", "measure"),
    ("What will the GDP target be?", "amount"),
    ("How long is the total road network in Optics Valley?", "measure"),  # a length
    ("How long did the review take?", "duration"),  # a time
    ("How long has Optics Valley ranked first?", "rank"),
    ("What is the name of the park?", None),  # no number asked
    ("How many hectares of green space were built in 2023?", "measure"),  # an area, not a count
    ("What FDI figure is Optics Valley aiming for this year?", "amount"),  # what <words> figure
    ("How much project funding was actually put in place last year?", "amount"),  # put in place is no rank
    ("What place did Optics Valley take among high-tech zones?", "rank"),
])
def test_english_number_questions(question: str, first: str | None) -> None:
    kinds = wanted_kinds(question)
    assert (kinds[0] if kinds else None) == first, kinds


def test_a_measure_cue_does_not_cross_a_word() -> None:
    from qa.asking import measure_asked

    assert measure_asked("今年要招多少个亿元以上项目") is None  # 招 projects, not students
    assert measure_asked("How long did it take?") is None  # a time, not a length
    assert measure_asked("How many rental housing units will be raised this year?") is None  # raised: built, not funds
