"""Does the report cover what is asked: the rules that answer not_found (qa/coverage.py)."""
from __future__ import annotations

import pytest

from qa.coverage import NAME_COUNT, measure_unsaid, never_said
from qa.query import Vocabulary, analyse, everyday_count
from qa.types import Period
from qa.verify import choose, sentence_of

from test_verify import P, resolved

VOCAB = Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "东湖高新区"))


def test_a_measure_no_document_says_is_not_found_when_the_rest_is_the_reports_own_words() -> None:

    q = analyse("烽火通信在光谷有多少员工", vocab=VOCAB)
    weights = tuple(0.0 if t[0] == "员工" else 3.0 for t in q.terms)
    assert never_said(q, weights)
    passage = "烽火通信等4家企业获得中国标准创新贡献奖。"
    verdict = choose(q, [P("d", 1.0, tuple(resolved(passage, Period(2023, "results"))), passage)], {"d": passage},
                     weights=weights)
    assert verdict.status == "not_found"
    # everyday speech: several words no document says, the glossary not yet all of them: not refused for it
    colloquial = analyse("老小区自来水压力不够,去年给多少个院子改好了？", vocab=VOCAB)
    unseen = {"院子", "改好"}
    assert not never_said(colloquial, tuple(0.0 if t[0] in unseen else 3.0 for t in colloquial.terms))


# a small report: the things it names, and what it says of each
NAMED = ("光电子信息产业逐步发展壮大,以长飞先进半导体为代表的重点项目陆续开工,华星光电t5等项目建成投产。"
         "海微科技营收超20亿元,烽火通信等4家企业获得中国标准创新贡献奖。"
         "开通地铁19号线,城市道路总里程突破1000公里。"
         "建成光谷人民医院,新增床位总数1250张。"
         "建成光谷康桥外籍人员子女学校,中小学校达到55所、在校学生超过11.6万人。"
         "光谷金控主体信用评级提升至AAA,修建绿道12.8公里。")


def _named_weights(q) -> tuple[float, ...]:
    return tuple(0.0 if not any(w in NAMED for w in t) else 3.0 for t in q.terms)


@pytest.mark.parametrize("question, thing", [
    ("烽火通信有多少员工", "烽火"),  # named for an award, never for its staff
    ("地铁19号线有多长", "19"),  # opened; its length never given (the 1000公里 are all roads)
    ("华星光电t5项目总投资多少亿元", "华星"),
    ("光谷人民医院有多少张床位", "人民"),  # the 1250 beds are the whole area's, in another clause
    ("光谷康桥外籍人员子女学校能招多少学生", "康桥"),  # the 11.6万 students are every school's
    ("How many people work at 烽火通信?", "烽火"),
    ("光谷金控管理的资产规模有多大", "金控"),  # 管理 is the asker's word: the thing by its name alone
])
def test_a_measure_the_report_never_gives_a_thing_it_names_is_not_found(question: str, thing: str) -> None:

    q = analyse(question, vocab=VOCAB)
    assert q.measure is not None
    assert thing in measure_unsaid(q, _named_weights(q), {"d": NAMED})
    # choose() says so when no figure passes the checks (in_measure_units, sentence support) before it
    figures = tuple(f for f in resolved(NAMED, Period(2023, "results")) if thing not in sentence_of(NAMED, f))
    verdict = choose(q, [P("d", 1.0, figures, NAMED)], {"d": NAMED}, weights=_named_weights(q), support_min=0.6)
    assert verdict.status == "not_found" and verdict.reason and "没有" in verdict.reason


@pytest.mark.parametrize("question", [
    "海微科技营收多少",  # said in the thing's own clause: a figure (or a passage), not refused
    "城市道路总里程多长",  # a broad topic is not refused by this rule
    "光谷有多少家企业",  # no measure of measures.tsv asked
    "去年修了多长的绿道,想去骑车",  # 骑车 is everyday speech, not a name: the thing is not read from it alone
])
def test_a_measure_said_of_its_thing_is_not_refused(question: str) -> None:

    q = analyse(question, vocab=VOCAB)
    assert measure_unsaid(q, _named_weights(q), {"d": NAMED}) == ""


@pytest.mark.parametrize("word, name", [("金控", True), ("长飞", True), ("起来", False), ("骑车", False), ("手机", False)])
def test_a_name_is_a_word_general_chinese_rarely_uses(word: str, name: bool) -> None:
    assert (everyday_count(word) < NAME_COUNT) == name


@pytest.mark.parametrize("question, refused", [
    ("光谷员工平均工资大概多少", True),  # no document speaks of wages at all
    ("今年老百姓的工资收入能涨多少", False),  # 工资收入: 收入 beside the cue is said (居民收入稳步增长)
])
def test_a_measure_no_document_speaks_of(question: str, refused: bool) -> None:

    text = "居民收入稳步增长,企业职工技能提升。"
    q = analyse(question, vocab=VOCAB)
    weights = tuple(3.0 if any(w in text for w in t) else 0.0 for t in q.terms)
    assert bool(measure_unsaid(q, weights, {"d": text})) == refused
