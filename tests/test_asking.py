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
