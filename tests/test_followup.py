"""Follow-ups (qa/followup.py): what a question takes from the one before it, field by field; its word
list (qa/data/followup.tsv); the guard that keeps a follow-up on its indicator; and the issue's
conversations against the real report and model."""
from __future__ import annotations

import pytest

from qa.followup import (ROLES, chain, follow_up, is_follow_up, keep_indicator, parse_roles, role, roles,
                         subject_words)
from qa.places import Scope
from qa.query import Query, Vocabulary, analyse
from qa.types import Figure, Period
from qa.verify import Verdict

REPORT = "东湖高新区2024年工作报告。地区生产总值2715亿元。外商直接投资6.8亿美元。固定资产投资位列全国高新区前四。"
VOCAB = Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "中国光谷", "东湖高新区"),
                   says=lambda s: bool(s) and s in REPORT)


def read(q: str, context: Query | None = None) -> Query:
    return follow_up(analyse(q, vocab=VOCAB), context)


def conversation(*questions: str) -> Query:
    q = chain(read, questions)
    assert q is not None
    return q


RESULTS_2023, TARGETS_2024 = Period(2023, "results"), Period(2024, "targets")


@pytest.mark.parametrize(
    "first, then, indicator, aspect, period",
    [
        # the issue's conversations: the follow-up keeps the indicator, says the rest
        ("今年光谷地区生产总值预期增长多少？", "增速呢", "地区生产总值", "增速", TARGETS_2024),
        ("2023年光谷GDP是多少？", "那去年增速呢？", "地区生产总值", "增速", RESULTS_2023),
        ("2023年光谷GDP是多少？", "那增速呢？", "地区生产总值", "增速", RESULTS_2023),
        ("2023年光谷GDP是多少？", "今年的目标呢？", "地区生产总值", None, TARGETS_2024),
        ("今年外商直接投资目标是多少？", "去年实际是多少？", "外商直接投资", None, RESULTS_2023),
        ("去年光谷固定资产投资多少", "在全国高新区排第几？", "固定资产投资", "排名", RESULTS_2023),
        ("今年光谷GDP预期增长多少？", "那去年呢？", "地区生产总值", "增速", RESULTS_2023),
        ("去年光谷GDP是多少？", "2024年的呢", "地区生产总值", None, TARGETS_2024),
    ],
)
def test_a_follow_up_keeps_the_indicator_and_says_the_rest(first, then, indicator, aspect, period):
    q = conversation(first, then)
    assert q.indicators == (indicator,)
    assert q.aspect == aspect
    assert q.asked.period == period
    assert q.wants_number and q.form == "number"
    assert q.follows  # the search reads the question it continues


def test_words_that_only_say_how_or_when_are_left_out():
    q = conversation("今年外商直接投资目标是多少？", "去年实际是多少？")
    assert "目标" not in q.tokens and "实际" not in q.tokens  # the old question's period word, the new one's
    assert not any(w in dict(q.expansions) for w in ("切实", "真正"))  # 实际's synonyms go with it
    assert q.attribute != "实际" and q.attribute != "目标"  # not a measure the report must say
    assert {"外商", "投资"} <= set(q.tokens)


def test_a_new_subject_keeps_how_and_when():
    q = conversation("去年光谷GDP增长多少？", "高企呢")
    assert q.indicators == ("高新技术企业",) and q.follows is None
    assert q.asked.period == RESULTS_2023 and q.wants_number


def test_another_thing_is_asked_as_the_report_gives_it():
    """How much of another thing (加装电梯呢 after 新开工改造多少个) drops 新增/总量; a growth stays (农村呢)."""
    q = conversation("2023年新开工亿元以上项目多少个？", "加装电梯呢？")
    assert q.aspect is None and q.follows is None and q.wants_number
    assert conversation("2023年光谷GDP增长多少？", "高企呢").aspect == "增速"
    unemployment = conversation("2023年新增城镇就业多少人？", "失业率呢？")  # an indicator of its own kind
    assert unemployment.aspect is None and unemployment.kinds != ("count",)


def test_a_modifier_without_its_noun_narrows_the_last_thing():
    """那百亿元以上的呢: 百亿元以上的[项目], asked as the projects were (新开工), not a new subject."""
    q = conversation("2023年新开工亿元以上项目多少个？", "今年呢？", "那百亿元以上的呢？")
    assert q.aspect == "数量" and q.asked.period == TARGETS_2024  # the count planned, as 今年呢 asked it
    assert "项目" in q.tokens and q.follows


def test_a_part_of_a_whole_leans_on_it():
    """其中减免社保费呢: 其中 leans on the total before; 全年 said of that year is no part of it to repeat."""
    assert role("其中") == "lean"
    q = conversation("2023年全年为市场主体减负多少？", "其中减免社保费呢？")
    assert q.asked.period == RESULTS_2023 and q.asked.part is None and q.wants_number


def test_a_period_asked_of_an_indicator_asks_its_figure():
    """And the target for 2021? after What was … (an indicator's level asked in English)."""
    assert read("What was consumer price inflation in 2023?").wants_number
    q = conversation("What was consumer price inflation in 2023?", "And the target for this year?")
    assert q.asked.period == TARGETS_2024
    assert q.wants_number and q.form == "number"


def test_the_words_that_described_the_thing_are_one_idea():
    """The report names the thing again in other words for another period: a figure's sentence is held to
    the indicator and to one of the words the question before described it with, not to all of them."""
    q = conversation("人工智能计算中心算力扩容到了多少？", "今年新增多少？")
    ideas = [t for t in q.terms if "扩容" in t]
    assert len(ideas) == 1 and {"计算", "中心"} <= set(ideas[0])
    assert any("算力" in t and "扩容" not in t for t in q.terms)  # the indicator's word stays an idea
    first = read("人工智能计算中心算力扩容到了多少？")
    assert len(q.terms) < len(first.terms)
    assert read("今年新增多少？", first).tokens[: len(first.tokens)] == first.tokens  # the search reads them all


def test_a_count_of_things_done_asks_the_count_planned_for_this_year():
    """今年计划呢 after 新开工改造…多少个: 数量, which the planned count (实施3000个…改造) and a 新开… count answer."""
    q = conversation("2023年新开工改造老旧小区多少个？", "今年计划呢？")
    assert q.aspect == "数量" and q.asked.period == TARGETS_2024 and q.kinds == ("count",)


def test_a_part_of_a_year_with_no_year_is_of_the_year_talked_about():
    q = conversation("今年新增减税降费多少？", "全年为企业新增减负多少？")
    assert q.asked.period == TARGETS_2024 and q.asked.part == "全年"
    assert read("全年为企业新增减负多少？").asked.period == RESULTS_2023  # alone: the default
    assert conversation("2023年光谷GDP是多少？", "一季度呢？").asked.period == RESULTS_2023


def test_a_full_question_is_not_a_follow_up():
    first = read("去年光谷GDP是多少？")
    q = read("今年新增学位多少个", first)
    assert q == read("今年新增学位多少个") and q.follows is None


def test_the_area_is_kept_unless_the_follow_up_names_one():
    q = conversation("武汉市2023年GDP是多少？", "那增速呢？")
    assert q.scope.place == "武汉市"
    assert conversation("2023年光谷GDP是多少？", "那增速呢？").scope == Scope()


def test_a_third_question_still_knows_the_first_ones_indicator():
    q = conversation("2023年光谷GDP是多少？", "那增速呢？", "今年呢？")
    assert q.indicators == ("地区生产总值",) and q.aspect == "增速" and q.asked.period == TARGETS_2024


def test_with_no_question_before_nothing_changes():
    q = read("那增速呢？")
    assert q == analyse("那增速呢？", vocab=VOCAB) and not q.indicators
    assert not is_follow_up(q, None)


def test_a_rank_field_names_no_subject():
    q = analyse("在全国高新区排第几？", vocab=VOCAB)
    assert subject_words(q) == []
    assert subject_words(analyse("全国高新区有多少家？", vocab=VOCAB))  # not a rank: 高新区 is what is counted


def test_an_unreadable_question_in_a_conversation_is_passed_over():
    assert conversation("2023年光谷GDP是多少？", "？？？", "那增速呢？").indicators == ("地区生产总值",)
    assert chain(read, []) is None


def _figure(text: str, indicator: str | None, start: int) -> Figure:
    return Figure(text, 1.0, "%", "growth", "", start, start + 3, indicator=indicator, aspect="增速",
                  period=TARGETS_2024)


def test_a_follow_up_never_answers_with_another_indicators_figure():
    q = conversation("今年光谷地区生产总值预期增长多少？", "增速呢")
    other, own, free = _figure("30%", "中小企业首贷率", 10), _figure("7%左右", "地区生产总值", 20), _figure("8%", None, 30)
    assert keep_indicator(q, Verdict("figure", (other,)), {}).status == "passage"
    assert keep_indicator(q, Verdict("figure", (other, own))).figures == (own,)
    assert keep_indicator(q, Verdict("figure", (free,))).figures == (free,)
    alone = analyse("增速呢", vocab=VOCAB)  # no indicator kept: nothing to guard
    assert keep_indicator(alone, Verdict("figure", (other,))).figures == (other,)


class _Passage:
    def __init__(self, figures, doc="d"):
        self.figures, self.doc = tuple(figures), doc


def _rank(text: str, at: str, indicator: str | None = None, period=RESULTS_2023) -> Figure:
    start = text.index(at)
    return Figure(at, 1.0, "", "rank", "", start, start + len(at), indicator=indicator, aspect="排名", period=period)


@pytest.mark.parametrize(
    "first, then, text, at, rank_indicator, answered",
    [
        # the rank of what the sentence just said, not named again
        ("2023年光谷地区生产总值是多少？", "在全国排第几？", "地区生产总值增长4.7%、总量连续5年居全国首位。", "首位", None, True),
        ("2023年光谷地区生产总值增长多少？", "在全国排第几？", "地区生产总值增长4.7%、总量连续5年居全国首位。", "首位", None, False),
        ("2023年光谷GDP是多少？", "那增速呢？", "实现地区生产总值2715亿元，增长4.7%，总量和增速均居全国第5位。", "第5位", None, True),
        # said of every item before it (均)
        ("2023年外商直接投资多少？", "在全市排第几？", "产业项目到位资金646亿元、外商直接投资6.8亿美元,均为全市第一。", "第一",
         "外商直接投资", True),
        ("2023年光谷产业项目到位资金是多少？", "在全市排第几？", "产业项目到位资金646亿元、外商直接投资6.8亿美元,均为全市第一。",
         "第一", "外商直接投资", True),
        # another indicator between, and no 均: its own rank
        ("2023年光谷产业项目到位资金是多少？", "在全市排第几？", "产业项目到位资金646亿元、外商直接投资6.8亿美元,为全市第一。",
         "第一", "外商直接投资", False),
        # another field than the one asked
        ("2023年光谷GDP是多少？", "在全国排第几？", "地区生产总值2715亿元、位居全省第一。", "第一", None, False),
        # another aspect ranked than the one asked
        ("2023年光谷GDP增长多少？", "在全国排第几？", "地区生产总值2715亿元，总量居全国第5位。", "第5位", None, False),
    ],
)
def test_a_rank_follow_up_reads_the_rank_of_its_sentence(first, then, text, at, rank_indicator, answered):
    from qa.followup import rank_of_kept

    if then == "那增速呢？":
        q = conversation(first, then, "在全国排第几？")
    else:
        q = conversation(first, then)
    rank = rank_of_kept(q, [_Passage([_rank(text, at, rank_indicator)])], {"d": text})
    assert (rank is not None) == answered
    if answered:
        assert rank.indicator == q.indicators[0] and rank.text == at
        verdict = keep_indicator(q, Verdict("passage", ()), {"d": text}, [_Passage([_rank(text, at, rank_indicator)])])
        assert verdict.status == "figure" and verdict.figures == (rank,)
    span = _rank(text, at, rank_indicator, period=Period(2023, "results", first=2019))  # held over a review
    assert (rank_of_kept(q, [_Passage([span])], {"d": text}) is not None) == answered
    other_year = _rank(text, at, rank_indicator, period=TARGETS_2024)
    assert rank_of_kept(q, [_Passage([other_year])], {"d": text}) is None  # only in the period asked


def test_the_word_list_parses_and_every_role_is_known():
    assert set(roles().values()) <= set(ROLES)
    assert role("增速") == "ask" and role("那") == "lean" and role("高新区") == "yardstick" and role("GDP") is None
    assert role("均") == "all"
    assert parse_roles("# c\n那\tlean\n\nTarget\task\n") == {"那": "lean", "target": "ask"}
    for bad in ("那", "那\tsubject", "\task", "那\tlean\textra"):
        with pytest.raises(ValueError, match="line 1"):
            parse_roles(bad)


def test_no_word_of_the_list_names_an_indicator():
    """A word of followup.tsv is never a subject; if one named an indicator, 高企呢 could not be told from 那呢."""
    from qa.indicators import find_indicators

    named = [w for w in roles() if any(m.form.lower() == w for m in find_indicators(w))]
    assert not named, named


# --- the issue's conversations, against the report and the real model --------------------------------

ISSUE = [
    (("今年光谷地区生产总值预期增长多少？", "增速呢"), "7%左右", "2024年目标"),
    (("2023年光谷GDP是多少？", "那去年增速呢？"), "4.7%", "2023年实绩"),
    (("2023年光谷GDP是多少？", "那增速呢？"), "4.7%", "2023年实绩"),
    (("2023年光谷GDP是多少？", "今年的目标呢？"), "7%左右", "2024年目标"),
    (("今年外商直接投资目标是多少？", "去年实际是多少？"), "6.8亿美元", "2023年实绩"),
    (("去年光谷固定资产投资多少", "在全国高新区排第几？"), "前四", "2023年实绩"),
]


@pytest.mark.slow
@pytest.mark.parametrize("questions, figure, period", ISSUE)
def test_the_issues_conversations(real_assistant, questions, figure, period):
    context = None
    for q in questions:
        answer = real_assistant.ask(q, context=context)
        context = answer.query
    assert answer.status == "figure", answer.text
    assert answer.figures[0].text == figure and answer.figures[0].period.label == period
    assert answer.figures[0].indicator in answer.query.indicators


@pytest.mark.parametrize("indicator, words, kin", [
    ("城镇居民人均可支配收入", ["农村"], "农村居民人均可支配收入"),
    ("第一产业增加值", ["第二"], "第二产业增加值"),
    ("出口总额", ["进口"], "进口总额"),
    ("地区生产总值", ["人均"], None),  # no indicator is made by putting the word in place of a part
    ("城镇居民人均可支配收入", ["农村", "居民"], None),  # one word only
])
def test_the_indicator_a_word_makes_of_the_last_one(indicator, words, kin):
    from qa.followup import sibling

    assert sibling(indicator, words) == kin


def test_another_part_of_the_same_thing_is_asked_the_same_way():
    q = conversation("2023年城镇居民人均可支配收入增长多少？", "农村呢？")
    assert q.indicators == ("农村居民人均可支配收入",) and q.aspect == "增速" and q.asked.period == RESULTS_2023
