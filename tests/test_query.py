"""The question, read once: tokens, indicators, aspect, kinds, form, period, scope (a follow-up is read\nwith the question before it by qa/followup.py: tests/test_followup.py)."""
from __future__ import annotations

import pytest

from qa.errors import QuestionError
from qa.periods import Asked, read_period, read_years
from qa.places import Scope
from qa.query import Query, Vocabulary, analyse, normalize, tokenize
from qa.types import Period

REPORT = "东湖高新区2024年工作报告。武汉新城建设。全省10家湖北实验室。开设北京、上海2个引才专列。"
VOCAB = Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "中国光谷", "东湖高新区"),
                   says=lambda s: bool(s) and s in REPORT)


def ask(q: str) -> Query:
    return analyse(q, vocab=VOCAB)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("２０２３年ＧＤＰ", "2023年GDP"),
        ("去年光谷地區生產總值是多少？", "去年光谷地区生产总值是多少?"),
        ("  多个\t\n空白  ", "多个 空白"),
        ("控制\x00字符\x07", "控制 字符"),
        ("零宽\u200b字符", "零宽 字符"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_tokens_keep_numbers_with_units_and_drop_the_reports_own_area():
    q = ask("光谷2023年固定资产投资超1200亿元了吗")
    assert "1200亿元" in q.tokens
    assert "光谷" not in q.tokens and "2023" not in q.tokens
    assert "固定资产" in q.tokens or "固定资产投资" in q.tokens


@pytest.mark.parametrize(
    "question, indicator",
    [
        ("去年光谷GDP是多少？", "地区生产总值"),
        ("2023年光谷地区生产总值是多少？", "地区生产总值"),
        ("光谷经济总量多大", "地区生产总值"),
        ("What was the GDP of Optics Valley in 2023?", "地区生产总值"),
        ("光谷有多少家高新技术企业", "高新技术企业"),
        ("固投完成了多少", "固定资产投资"),
    ],
)
def test_indicator_is_read_once(question, indicator):
    assert indicator in ask(question).indicators


def test_indicator_forms_reach_bm25_below_the_users_words():
    q = ask("去年GDP多少")
    weights = dict(q.expansions)
    assert any(t in weights for t in ("生产总值", "地区生产总值", "经济总量"))
    assert all(0 < w < 1 for w in weights.values())
    assert not set(weights) & set(q.tokens)


@pytest.mark.parametrize(
    "question, aspect",
    [
        ("去年GDP增长了多少", "增速"),
        ("光谷GDP总量是多少", "总量"),
        ("新增了多少家上市企业", "新增"),
        ("高企数量占全市的比重", "占比"),
        ("高企总数在全国高新区排第几", "排名"),
    ],
)
def test_aspect(question, aspect):
    assert ask(question).aspect == aspect


@pytest.mark.parametrize(
    "question, form",
    [
        ("去年GDP是多少", "number"),
        ("光谷 GDP 2023", "number"),  # GDP asks for a number
        ("新增总投资目标", "keywords"),
        ("有没有公办托育园", "yesno"),
        ("今年要建哪些重大项目", "list"),
        ("汉江国家实验室在哪里", "name"),
        ("如何优化营商环境", "text"),
    ],
)
def test_answer_form(question, form):
    assert ask(question).form == form


@pytest.mark.parametrize(
    "text, years",
    [("2023年GDP", [2023]), ("二〇二三年的GDP", [2023]), ("22年GDP", [2022]), ("90年代", []), ("2,023个", [])],
)
def test_read_years(text, years):
    assert read_years(text) == years


@pytest.mark.parametrize(
    "question, period, explicit, part",
    [
        ("去年新开工多少个项目", Period(2023, "results"), True, None),
        ("今年计划新开工多少个项目", Period(2024, "targets"), True, None),
        ("2023年地区生产总值是多少", Period(2023, "results"), True, None),
        ("23年地区生产总值是多少", Period(2023, "results"), True, None),
        ("2024年的目标是什么", Period(2024, "targets"), True, None),
        ("预期增长多少", Period(2024, "targets"), True, None),
        ("前年GDP多少", Period(2022, "results"), True, None),
        ("一季度GDP增长多少", Period(2023, "results"), True, "一季度"),
        ("2023年上半年增长多少", Period(2023, "results"), True, "上半年"),
        ("What was the GDP last year?", Period(2023, "results"), True, None),
        ("What is the target for this year?", Period(2024, "targets"), True, None),
        ("新增学位有多少", Period(2023, "results"), False, None),  # a number with no period: the latest result
        ("如何优化营商环境", None, False, None),
    ],
)
def test_period_resolves_against_the_newest_report(question, period, explicit, part):
    asked = ask(question).asked
    assert (asked.period, asked.explicit, asked.part) == (period, explicit, part)


def test_period_resolution_follows_the_as_of_year():
    assert read_period("去年GDP多少", 2025, True) == Asked(Period(2024, "results"), True, None, 2024, kind_said=True)
    assert read_period("去年GDP多少", None, True).period is None


@pytest.mark.parametrize(
    "question, scope",
    [
        ("去年光谷GDP是多少？", Scope()),
        ("武汉市2023年GDP是多少？", Scope("city", "武汉市")),
        ("北京2023年GDP是多少？", Scope("other", "北京市")),
        ("湖北省高新技术企业有多少家", Scope("province", "湖北省")),
        ("中关村的GDP", Scope("other", "中关村")),
        ("光谷GDP占武汉多少", Scope()),  # the city is the yardstick
        ("科技型中小企业占全市的比重", Scope()),
        ("高企在全国高新区排第几", Scope()),
        ("武汉光谷的GDP", Scope()),  # the city modifies the report's own area
        ("武汉新城有哪些项目", Scope()),  # part of a name the report uses
        ("全市GDP是多少", Scope("city", "全市")),
    ],
)
def test_scope(question, scope):
    assert ask(question).scope == scope


def test_query_is_frozen():
    q = ask("去年GDP多少")
    with pytest.raises(AttributeError):
        q.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "？？！！", "😀😀😀", "\x00\x01", "。。。", None, 42, ["问题"]])
def test_bad_questions_raise_a_clear_error(bad):
    with pytest.raises(QuestionError) as info:
        analyse(bad)
    assert isinstance(info.value, ValueError)
    assert " / " in str(info.value)  # Chinese / English


def test_long_question_is_truncated_with_a_note():
    q = analyse("新增学位" * 5000, max_chars=500)
    assert len(q.text) == 500 and q.notes and "500" in q.notes[0]


def test_english_is_detected():
    assert analyse("How many new schools opened in 2023?").is_english
    assert not analyse("2023年新增学校多少所").is_english


def test_tokenize_drops_punctuation_and_stopwords():
    tokens = tokenize("请问，光谷的新增学位是多少？")
    assert "，" not in tokens and "的" not in tokens and "多少" not in tokens
    assert "学位" in tokens


def test_an_english_place_name_brings_its_chinese_name_when_the_report_says_it() -> None:
    vocab = Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "东湖高新区"), says=lambda s: s == "黄冈")
    query = analyse("Is there a branch park of Optics Valley over in Huanggang?", vocab=vocab)
    assert ("黄冈", 1.0) in query.expansions
    assert not any(t in ("东湖", "高新区") for t, _ in query.expansions)  # the report's own area is no clue


def test_the_dense_model_reads_the_reports_words_for_the_question_but_not_the_thesaurus() -> None:
    query = Query.__new__(Query)
    object.__setattr__(query, "follows", None)
    object.__setattr__(query, "text", "今年能请来几个省里有名的大夫")
    object.__setattr__(query, "expansions", (("名医", 0.6), ("医生", 0.4), ("大夫", 0.6)))
    assert query.search_text == "今年能请来几个省里有名的大夫 名医"


@pytest.mark.parametrize(("question", "indicator", "aspect"), [
    ("今年光谷的经济盘子想涨几个点？", "地区生产总值", "增速"),
    ("光谷去年经济涨了几个点", "地区生产总值", "增速"),
    ("光谷去年经济总量多少", "地区生产总值", "总量"),
    ("How big is the economy of Optics Valley?", "地区生产总值", None),
])
def test_the_economy_as_a_subject_is_gdp(question: str, indicator: str, aspect) -> None:
    query = analyse(question, vocab=Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "东湖高新区")))
    assert query.indicators == (indicator,)
    if aspect:
        assert query.aspect == aspect


@pytest.mark.parametrize("question", ["光谷数字经济占比多少", "夜间经济有多少个街区", "光谷步行街夜经济排全国第几", "光谷的经济怎么样", "经济开发区有几个",
                                      "今年要做好第几次经济普查", "经济运行稳不稳,增长多少"])
def test_a_modified_economy_or_no_number_is_not_gdp(question: str) -> None:
    query = analyse(question, vocab=Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "东湖高新区")))
    assert "地区生产总值" not in query.indicators


@pytest.mark.parametrize(("question", "units"), [("经济涨了几个点", {"percent"}), ("今年新建几个点位", {"count"}),
                                                 ("涨了几个百分点", {"percent"})])
def test_a_point_of_growth_is_per_cent_a_point_of_place_is_a_count(question: str, units: set) -> None:
    assert set(analyse(question, vocab=Vocabulary()).units) == units


@pytest.mark.parametrize(("question", "part"), [("去年开年头三个月经济增长多少", "一季度"), ("前三个月增长多少", "一季度"),
                                                ("头半年增长了多少", "上半年"), ("前九个月增速", "前三季度")])
def test_everyday_names_of_parts_of_the_year(question: str, part: str) -> None:
    assert read_period(question, 2024, True).part == part


@pytest.mark.parametrize("question, kind", [
    ("How many high-tech enterprises does the zone have?", "count"),  # enterp-rise-s asks no growth
    ("How many national specialized little giant enterprises are there?", "count"),
    ("限上商贸企业网上销售额涨了多少", "growth"),
    ("网上销售额跌了多少", "decline"),
    ("How fast did exports rise last year?", "growth"),
])
def test_english_cues_are_whole_words_and_everyday_growth_is_growth(question: str, kind: str) -> None:
    assert ask(question).kinds[0] == kind


@pytest.mark.parametrize("question, wants", [
    ("今年跨境电商货物进出口增长目标?", True),  # the target of a named indicator is a number
    ("What is this year's target for foreign direct investment?", True),
    ("今年的目标是什么?", False),  # no indicator: the targets, in words
    ("主要预期目标是什么", False),
    ("管委会自身建设要从哪几个方面加强？", False),  # 哪几个 asks which, not how many
])
def test_a_target_question_wants_a_number_only_for_a_named_indicator(question: str, wants: bool) -> None:
    assert ask(question).wants_number is wants


@pytest.mark.parametrize("question, kind", [
    ("科创基金生态圈规模要达到多少?", "targets"),  # 要 before a deed is a plan
    ("今年还要新建几所学校", "targets"),
    ("需要多少资金", "results"),  # 需要 is need, not plan: a number with no year is the latest result
])
def test_yao_before_a_deed_asks_a_target(question: str, kind: str) -> None:
    assert ask(question).asked.period.kind == kind


def test_what_is_counted_inside_a_container_is_asked_not_the_container() -> None:
    q = ask("市场主体里面企业有多少家?")
    assert q.indicators == ()  # not 市场主体
    assert "企业" in q.grams and "市场" not in q.grams
    assert ask("市场主体里面有多少?").indicators == ("市场主体",)  # nothing named inside


@pytest.mark.parametrize("question, level", [
    ("How many national specialized and sophisticated little giant enterprises are there?", "local"),  # 国家级
    ("How many national key laboratories does the zone have?", "local"),
    ("What was the national GDP growth rate in 2023?", "country"),
    ("What was China's GDP growth nationally?", "country"),
])
def test_english_national_is_the_country_only_before_a_figure(question: str, level: str) -> None:
    assert ask(question).scope.level == level


def test_english_names_are_read_and_one_idea_split_in_two_words_counts_once() -> None:
    q = ask("How much revenue did FiberHome earn in 2023?")
    assert "fiberhome" in q.names and "how" not in q.names
    assert ask("光谷营收多少").names == frozenset()
    merged = ask("长飞光纤2023年营业收入是多少?").terms
    assert sum(1 for t in merged if "营收" in t) <= 1  # 营业 + 收入 -> 营收: one idea, not two


def test_a_measure_word_is_not_read_into_the_noun_after_it() -> None:
    assert not any(t.startswith("家") for t in ask("去年新认定了多少家瞪羚企业?").tokens)


@pytest.mark.parametrize("question, attribute", [
    ("烽火通信在光谷有多少员工", "员工"),
    ("光谷空轨票价多少钱", "票价"),
    ("地铁19号线全长多少公里", "全长"),
    ("去年光谷新开了几家街坊看病的社区医院？", "社区"),  # the head after 的, not 街坊
    ("企业交的税减了多少", ""),  # a verb before 多少 names no measure
    ("去年给老年人新建了几个社区里养老的地方？", ""),  # 地方 is a light noun
    ("光谷的经济怎么样", ""),  # no number asked
])
def test_the_word_for_what_is_measured(question: str, attribute: str) -> None:
    assert ask(question).attribute == attribute


@pytest.mark.parametrize("question, level", [
    ("科创供应链平台链接了多少条全球专家信息", "local"),  # 全球 modifies what is counted
    ("世界光谷建设投资多少", "local"),
    ("全球GDP增长多少", "world"),
])
def test_world_is_a_scope_only_before_a_figure_of_the_world(question: str, level: str) -> None:
    assert ask(question).scope.level == level


def test_the_reports_own_area_named_without_its_name_is_stripped() -> None:
    from qa.places import place, self_references

    assert self_references(place("东湖高新区")) == ("全区", "本区", "我区")
    vocab = Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "东湖高新区", "全区", "本区", "我区"))
    q = analyse("去年全区GDP全年增长了多少?", vocab=vocab)
    assert "全区" not in q.tokens and q.scope.level == "local"


@pytest.mark.parametrize("question", ["What was the consumption subsidy offered in 2023?", "减税降费及退税缓费共计多少"])
def test_more_ways_to_ask_for_an_amount(question: str) -> None:
    assert ask(question).wants_number


@pytest.mark.parametrize("question", ["今年老百姓的工资收入能涨多少", "今年能耗要降多少"])
def test_a_verb_of_change_before_the_question_word_is_no_measure(question: str) -> None:
    assert ask(question).attribute in ("", "工资", "收入", "工资收入", "能耗")
    assert not ask(question).attribute.startswith(("能", "要"))


def test_an_everyday_word_is_no_alias_of_a_narrow_indicator() -> None:
    from qa.indicators import find_indicators

    assert all(m.indicator.name != "实际使用外资" for m in find_indicators("今年打算引进多少外资"))


@pytest.mark.parametrize("question", ["做中试的平台光谷有好多个", "光谷的马路加起来总共有多长", "海微科技一年营收有好多"])
def test_everyday_and_wuhan_ways_to_ask_how_many(question: str) -> None:
    q = ask(question)
    assert q.wants_number
    assert not {"好多", "多长"} & set(q.tokens)


def test_spoken_words_for_in_all_do_not_cut_the_next_word() -> None:
    # jieba cuts 一共建了 as 一 / 共建 / 了: the filler goes before tokenizing, the aspect stays
    q = analyse("光谷地下综合管廊一共建了多长", vocab=VOCAB)
    words = {t[0] for t in q.terms}
    assert "共建" not in words and "一" not in words and "管廊" in words


@pytest.mark.parametrize("tokens, said, expected", [
    (["营收要", "涨"], {"营收"}, ["营收", "涨"]),  # jieba's guesser glued 要 to 营收
    (["营收要"], {"营收要", "营收"}, ["营收要"]),  # a word the report says is left alone
    (["北斗", "产业"], {"北斗"}, ["北斗", "产业"]),
    (["要达标"], {"达标"}, ["达标"]),
    (["主要"], {"主"}, ["主要"]),  # two characters: too short to be glued
])
def test_unglue(tokens, said, expected) -> None:
    from qa.query import unglue

    assert unglue(tokens, lambda w: w in said) == expected


def test_a_short_year_is_the_period_not_a_word() -> None:
    q = analyse("23年光谷GDP增长了多少", vocab=VOCAB)
    assert q.asked.year == 2023 and "23" not in {t[0] for t in q.terms}


def test_an_english_possessive_does_not_swallow_the_words_around_it() -> None:
    # the lone s of people's once made share, spending and livelihoods "compounds" of it, and dropped them
    words = {t[0] for t in analyse("What share of spending went to people's livelihoods?", vocab=VOCAB).terms}
    assert {"spending", "livelihoods"} <= words and "s" not in words


@pytest.mark.parametrize("particle", ["得", "着"])
def test_a_structural_particle_is_no_word_of_the_question(particle: str) -> None:
    q = analyse(f"去年新能源车卖{particle}增长了多少", vocab=VOCAB)
    assert particle not in {t[0] for t in q.terms}


def test_what_an_english_question_counts_is_read_in_the_reports_words() -> None:
    q = analyse("How many new school places will primary and middle schools add this year?", vocab=VOCAB)
    assert "学位" in q.counted  # school places -> 学位 (the glossary)
    assert not analyse("How much did GDP grow?", vocab=VOCAB).counted


@pytest.mark.parametrize("question, indicator", [
    ("光谷花在民生上的钱占多大比例", "民生支出"),  # money spent on X is X's spending
    ("去年用在民生方面的资金有多少", "民生支出"),
])
def test_money_spent_on_something_is_its_spending(question: str, indicator: str) -> None:
    assert indicator in analyse(question, vocab=VOCAB).indicators


@pytest.mark.parametrize("question, indicators", [
    ("数字经济占GDP比重今年要到多少", ("数字经济核心产业增加值",)),  # GDP after 占 is the base of the share
    ("光谷GDP占武汉全市的比重是多少", ("地区生产总值",)),  # one indicator: it is what is asked
])
def test_the_indicator_after_zhan_is_the_base_of_a_share(question: str, indicators: tuple[str, ...]) -> None:
    assert analyse(question, vocab=VOCAB).indicators == indicators


@pytest.mark.parametrize("question, period", [
    ("“十四五”末地区生产总值达到多少？", Period(2025, "results")),  # the plan's last year, not its five
    ("十四五期末城镇化率是多少", Period(2025, "results")),
    ("十四五期间地区生产总值年均增长多少", Period(2025, "results", 2021)),
])
def test_the_end_of_a_plan_is_its_last_year(question, period):
    from qa.periods import read_period

    assert read_period(question, 2026, True).period == period


@pytest.mark.parametrize("question, as_of, period", [
    ("What forest coverage rate does China aim for during the 14th Five-Year Plan?", 2021, Period(2025, "targets", 2021)),
    ("Liaoning's target share of non-fossil energy for the 15th Five-Year Plan", 2026, Period(2030, "targets", 2026)),
    ("What forest coverage rate is Gansu aiming for by the end of the 15th Five-Year Plan?", 2026, Period(2030, "targets")),
    ("How did GDP grow during the 13th five-year plan period?", 2021, Period(2020, "results", 2016)),
])
def test_an_english_five_year_plan_is_its_years(question, as_of, period):
    from qa.periods import read_period

    assert read_period(question, as_of, True).period == period
