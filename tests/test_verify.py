"""Choose and verify: which figure answers a question, and when none does.

The tables moved here from test_figures when the question side left the figure extractor: the
question is now read once into a Query, and figures are resolved (indicator, aspect, scope).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from qa.figures import extract_figures
from qa.query import Vocabulary, analyse, wanted_kinds
from qa.resolve import resolve_sentence
from qa.types import Figure, Period
from qa.verify import choose, figure_fit, is_form_word, sentence_of, sentence_support, topic_of

VOCAB = Vocabulary(as_of=2024, own="东湖高新区", own_forms=("光谷", "东湖高新区"))


def asks_for_number(question: str) -> bool:
    return bool(wanted_kinds(question))


def resolved(text: str, period: Period | None = None) -> list[Figure]:
    figs = [Figure(**{**f.__dict__, "doc": "d", "period": period}) for f in extract_figures(text)]
    return list(resolve_sentence(text, 0, figs))


@dataclass(frozen=True)
class P:  # the parts of a Passage that choose() reads
    doc: str
    score: float
    figures: tuple[Figure, ...]
    text: str = ""


def chosen(question: str, text: str, figures: tuple[Figure, ...]):
    """The verdict on `question` when `text`, holding `figures`, is the one passage retrieved."""
    return choose(analyse(question, vocab=VOCAB), [P("d", 1.0, figures, text)], {"d": text})


WANTED = [
    ("今年地区生产总值预期增长多少", "growth"),
    ("2023年经济增速是多少?", "growth"),
    ("固定资产投资多少亿元", "amount"),
    ("地区生产总值总量是多少", "amount"),
    ("2023年新增学校几所", "count"),
    ("高企总数有多少家", "count"),
    ("光谷有多少个应用场景入选", "count"),
    ("高企总数在全国高新区排名第几", "rank"),
    ("固定资产投资位列全国高新区第几", "rank"),
    ("科技型中小企业占全市比重是多少", "share"),
    ("民生支出占比多少", "share"),
    ("跨境电商进出口总额翻了几番", "multiple"),
    ("外事组团来访量增长了几倍", "multiple"),
    ("城市道路总里程多少公里", "measure"),
    ("拥堵警情下降了多少", "decline"),
    ("辅具适配率是多少", "rate"),
    ("营商环境评价连续几年位列全省第一", "duration"),
    ("营商环境评价在全省国家级开发区中排第几", "rank"),
    ("How much did GDP grow in 2023?", "growth"),
    ("How many new schools were built?", "count"),
    ("What share of the province's AEO firms are in Optics Valley?", "share"),
    ("How much foreign direct investment was attracted?", "amount"),
    ("去年给企业减了多少税", "amount"),  # tax is money: not 13.6万家 of the companies it went to
    ("What was the rank of fixed-asset investment among high-tech zones?", "rank"),
]


@pytest.mark.parametrize(("question", "kind"), WANTED)
def test_wanted_kinds(question: str, kind: str) -> None:
    assert wanted_kinds(question)[:1] == (kind,)
    assert asks_for_number(question)


@pytest.mark.parametrize("question", [
    "光谷如何推动经济增长", "什么是世界光谷", "武汉新城的目标定位是什么", "介绍一下东湖科学城",
    "What is the World Optics Valley plan?", "谁是光谷的合伙人",
])
def test_not_a_number_question(question: str) -> None:
    assert wanted_kinds(question) == ()
    assert not asks_for_number(question)


TARGETS = "经济社会发展主要预期目标是:地区生产总值增长7%左右,高新技术产业增加值增长10%,居民收入稳步增长。"
RESULTS = ("经济增速逐季回升,一季度增长2.5%,上半年增长3.2%,前三季度增长4%,全年增长4.7%,总量达到2715亿元,展现出强劲韧性。"
           "固定资产投资超1200亿元、位列全国高新区前四。新增学校11所、中小学校达到55所,新增学位超1.3万个。")
FIT = [
    ("今年地区生产总值预期增长多少", TARGETS, "7%左右"),
    # no year asks what is (the latest result): the report gives only the 2024 target, a passage
    ("高新技术产业增加值增长多少", TARGETS, None),
    ("今年高新技术产业增加值增长多少", TARGETS, "10%"),
    ("固定资产投资多少亿元", RESULTS, "超1200亿元"),
    ("固定资产投资在全国高新区排第几", RESULTS, "前四"),
    ("新增学校几所", RESULTS, "11所"),
    ("中小学校有多少所", RESULTS, "55所"),
    ("新增学位多少个", RESULTS, "超1.3万个"),
    ("地区生产总值总量多少亿元", RESULTS, "2715亿元"),
    ("全年经济增长多少", RESULTS, "4.7%"),
    ("上半年增长多少", RESULTS, "3.2%"),
    ("“四上”单位有多少家", "市场主体突破20万户,其中企业突破13.6万家、“四上”单位突破2100家。", "突破2100家"),
    ("企业有多少家", "市场主体突破20万户,其中企业突破13.6万家、“四上”单位突破2100家。", "突破13.6万家"),
    ("高企总数在全国高新区排名第几", "高企总数突破5700家、位居全国高新区第四,科技型中小企业入库5128家、占全市41%。", "第四"),
    ("科技型中小企业占全市的比例", "高企总数突破5700家、位居全国高新区第四,科技型中小企业入库5128家、占全市41%。", "41%"),
    # a part (其中…) after its whole: the whole, unless the question names what only the part says
    ("有多少个一类新药进入了临床", "70个一类新药进入临床、其中6个进入临床三期。", "70个"),
    ("有几个一类新药进入临床三期", "70个一类新药进入临床、其中6个进入临床三期。", "6个"),
    # a count of entities that joined a list counts that list; its total is the stock
    ("国家级绿色工厂一共有多少家", "4家企业入选国家级绿色工厂,总数达12家。", "12家"),
    ("新被认定为总部企业的有几家", "理工数传等11家企业被认定为总部企业,总数达27家、全市第一;", "11家"),
    # 分别: the k-th figure measures the k-th item
    ("生命健康产业规模占全省比重", "光电子信息、生命健康、北斗产业规模分别占全省的60%、17%、50%。", "17%"),
    ("北斗产业规模占全省多少", "光电子信息、生命健康、北斗产业规模分别占全省的60%、17%、50%。", "50%"),
    # a deal (收购1家上市公司) is no count of the area's listed companies
    ("上市公司总数多少家", "国企改革扎实推进,高科集团成功收购1家上市公司,光谷金控主体信用评级达到双机构AAA。", None),
    # a number the question states is not its answer
    ("十大标志性项目有几个实质性开工", "中轴线十大标志性项目全面启动,其中市民中心、体育中心等8个项目实质性开工。", "8个"),
]


@pytest.mark.parametrize(("question", "passage", "best"), FIT, ids=[q for q, _, _ in FIT])
def test_choose_picks_the_answer(question: str, passage: str, best: str) -> None:
    period = Period(2024, "targets") if passage is TARGETS else Period(2023, "results")
    figures = resolved(passage, period)
    query = analyse(question, vocab=VOCAB)
    assert all(0.0 <= figure_fit(query, f) <= 1.0 for f in figures)
    verdict = choose(query, [P("d", 1.0, tuple(figures))], {"d": passage})
    if best is None:
        assert verdict.status == "passage", [f.text for f in verdict.figures]
    else:
        assert verdict.status == "figure" and verdict.figures[0].text == best, [f.text for f in verdict.figures]


def test_figure_fit_kind_and_unit_matter() -> None:
    count, share = resolved("科技型中小企业入库5128家、占全市41%。")
    share_q = analyse("科技型中小企业占全市比例多少", vocab=VOCAB)
    count_q = analyse("科技型中小企业入库多少家", vocab=VOCAB)
    assert figure_fit(share_q, count) < figure_fit(share_q, share)
    assert figure_fit(count_q, share) < figure_fit(count_q, count)


REPORT = ("经济增速逐季回升,一季度增长2.5%,上半年增长3.2%,前三季度增长4%,全年增长4.7%,总量达到2715亿元。"
          "经济社会发展主要预期目标是:地区生产总值增长7%左右,居民收入稳步增长。")


def _report_passages() -> tuple[list[P], dict[str, str]]:
    cut = REPORT.index("经济社会")
    first = resolved(REPORT[:cut], Period(2023, "results"))
    second = [Figure(**{**f.__dict__, "start": f.start + cut, "end": f.end + cut})
              for f in resolved(REPORT[cut:], Period(2024, "targets"))]
    return [P("d", 1.0, tuple(first), REPORT[:cut]), P("d", 0.9, tuple(second), REPORT[cut:])], {"d": REPORT}


@pytest.mark.parametrize(
    "question, status, answer",
    [
        ("去年光谷GDP是多少？", "figure", "2715亿元"),
        ("2023年光谷GDP增长多少", "figure", "4.7%"),
        ("一季度GDP增长多少", "figure", "2.5%"),
        ("今年GDP预期增长多少", "figure", "7%左右"),
        ("今年GDP总量目标是多少", "passage", None),  # only a growth target: no total is given for 2024
        ("武汉市2023年GDP是多少？", "not_found", None),  # another area's figure is never shown
        ("今年居民收入增长多少", "passage", None),  # spoken of, no number
    ],
)
def test_a_figure_is_shown_only_when_it_answers(question, status, answer):
    passages, texts = _report_passages()
    verdict = choose(analyse(question, vocab=VOCAB), passages, texts)
    assert verdict.status == status
    assert (verdict.figures[0].text if verdict.figures else None) == answer


def test_the_other_periods_figure_is_offered_when_only_it_exists():
    passages, texts = _report_passages()
    verdict = choose(analyse("2023年居民收入增长目标是多少", vocab=VOCAB), passages, texts)
    assert verdict.status == "passage" and not verdict.figures


def test_a_question_without_a_number_is_answered_by_its_passage():
    passages, texts = _report_passages()
    assert choose(analyse("如何推动经济增长", vocab=VOCAB), passages, texts).status == "passage"




# --- the figure's sentence must say the question ------------------------------------------------

SUPPORT = [
    # question, sentence, words no document says (weight 0), at least, at most
    ("光谷消费补贴发了多少钱", "推出1000万元消费补贴,限上商贸企业网上销售额增长15%", ("发了",), 0.85, 1.0),
    ("长飞光纤光缆营收多少亿元", "北斗产业逐步积厚成势,海微科技营收超20亿元", ("光纤", "光缆"), 0.0, 0.5),
    ("无废工厂有多少家", "5G工厂2家,标杆智能工厂1家", (), 0.0, 0.6),
    ("今年要新建几个公园", "塑造公园城市特色风貌,新增公园10座、绿地30万方", (), 0.99, 1.0),
]


def _weights(query, unseen_words: tuple[str, ...]) -> list[float]:
    """Weights like IDFs: a one-character word says little, a word no document says nothing."""
    return [0.0 if t[0] in unseen_words else 0.3 if len(t[0]) == 1 else 1.0 for t in query.terms]


@pytest.mark.parametrize(("question", "sentence", "unseen", "low", "high"), SUPPORT, ids=[q for q, *_ in SUPPORT])
def test_sentence_support(question: str, sentence: str, unseen: tuple[str, ...], low: float, high: float) -> None:
    query = analyse(question, vocab=VOCAB)
    assert low <= sentence_support(query, _weights(query, unseen), sentence, unseen=0.25) <= high, query.terms


def test_words_no_document_says_weigh_only_unseen() -> None:
    query = analyse("长飞光纤光缆营收多少亿元", vocab=VOCAB)
    known = [0.0 if t[0] in ("光纤", "光缆") else 1.0 for t in query.terms]
    sentence = "长飞先进半导体营收超20亿元"
    assert sentence_support(query, known, sentence, unseen=0.0) > sentence_support(query, known, sentence, unseen=1.0)


@pytest.mark.parametrize(("word", "form"), [("计划", True), ("新建", True), ("金额", True), ("增长", True),
                                            ("总量", True), ("亿元", True), ("排", True), ("公园", False), ("招商", False), ("补贴", False),
                                            ("达到", True), ("突破", True), ("政府", True), ("管委会", True), ("企业", False)])
def test_form_words_are_not_held_against_a_sentence(word: str, form: bool) -> None:
    assert is_form_word(word) is form


def test_sentence_and_run_in_topic_of_a_figure() -> None:
    text = ("实施精准招商攻坚行动。升级“世界光谷”全球产业合伙人品牌,建立“1886+N”工作机制,全面启动五大主题招商。"
            "引进亿元以上项目130个,签约总金额2550亿元。\n下一段。")
    fig = next(f for f in extract_figures(text) if f.value == 2550)
    assert sentence_of(text, fig) == "引进亿元以上项目130个,签约总金额2550亿元"
    assert topic_of(text, fig) == "实施精准招商攻坚行动。"


def test_a_figure_whose_sentence_does_not_say_the_question_is_not_shown() -> None:
    text = "北斗产业逐步积厚成势,海微科技营收超20亿元,北斗产业实现十亿级企业零的突破。"
    figures = tuple(resolved(text, Period(2023, "results")))
    verdicts = {}
    for question in ("海微科技2023年营收多少亿元", "长飞光纤光缆2023年营收多少亿元"):
        query = analyse(question, vocab=VOCAB)
        weights = _weights(query, ("光纤", "光缆"))
        verdicts[question] = choose(query, [P("d", 1.0, figures)], {"d": text}, subject_min=0.1, weights=weights,
                                    support_min=0.6, unseen=0.25)
    assert verdicts["海微科技2023年营收多少亿元"].status == "figure"
    assert verdicts["长飞光纤光缆2023年营收多少亿元"].status == "passage"


@pytest.mark.parametrize("question, passage, best", [
    ("2023年发明专利授权量有多少件?", "链接全球专家信息29万条、发明专利5200多万条、科创政策1万多条。", None),  # 件 is not 条
    ("发明专利有多少条", "链接全球专家信息29万条、发明专利5200多万条、科创政策1万多条。", "5200多万条"),
    ("引进了多少名高层次人才", "引进高层次人才4000人。", "4000人"),  # 名 and 人 count the same
    ("2024年中小学新增学位多少个?", "新开办幼儿园5所、新增学位1260个,中小学优质扩容12所、新增学位1.7万个。", "1.7万个"),
    # 个 counts anything, but 多少个问题 names what: not 13.6万家 of companies
    ("政府帮企业解决了多少个问题", "市场主体突破20万户,其中企业突破13.6万家。", None),
    ("光谷有几个人获得卓越工程师奖", "2名个人荣获国家卓越工程师奖。", "2名"),  # 几个人: people, in 名
    # 多少家: a count in 家 beside one in the all-purpose 个 of the same sentence
    ("工业互联网标识解析接入企业多少家", "工业互联网国家顶级节点标识注册量超185亿个、接入企业突破2.1万家。", "突破2.1万家"),
])
def test_measure_words(question: str, passage: str, best: str | None) -> None:
    period = Period(2024, "targets") if "2024" in question else Period(2023, "results")
    verdict = choose(analyse(question, vocab=VOCAB), [P("d", 1.0, tuple(resolved(passage, period)))], {"d": passage})
    if best is None:
        assert verdict.status == "passage", [f.text for f in verdict.figures]
    else:
        assert verdict.status == "figure" and verdict.figures[0].text == best, [f.text for f in verdict.figures]


def test_a_part_named_in_english_wins_over_its_whole() -> None:
    passage = "新增床位总数1250张,其中重症监护床位200张。"
    figures = tuple(resolved(passage, Period(2024, "targets")))
    icu = choose(analyse("What is the planned number of new ICU beds this year?", vocab=VOCAB), [P("d", 1.0, figures)],
                 {"d": passage})
    assert icu.figures[0].text == "200张"
    beds = choose(analyse("How many new hospital beds are planned this year?", vocab=VOCAB), [P("d", 1.0, figures)],
                  {"d": passage})
    assert beds.figures[0].text == "1250张"


def test_no_year_asks_the_latest_result_and_a_target_is_the_other_periods_figure() -> None:
    figures = tuple(resolved(TARGETS, Period(2024, "targets")))
    verdict = choose(analyse("高新技术产业增加值增长多少", vocab=VOCAB), [P("d", 1.0, figures)], {"d": TARGETS})
    assert verdict.status == "passage" and verdict.other is not None and verdict.other.text == "10%"


def test_an_english_name_the_report_does_not_say_weighs_like_a_rare_word() -> None:
    from qa.verify import sentence_support

    q = analyse("How much revenue did FiberHome earn in 2023?", vocab=VOCAB)
    weights = tuple(4.0 if len(t) > 1 else 0.0 for t in q.terms)  # revenue is translated, FiberHome is not
    sentence = "海微科技营收超20亿元"
    assert sentence_support(q, weights, sentence, unseen=1.0) == 1.0  # names not held: the old reading
    assert sentence_support(q, weights, sentence, unseen=1.0, name=4.5) < 0.5


def test_a_shared_measure_word_is_not_a_shared_subject() -> None:
    passage = "北斗产业逐步积厚成势,海微科技营收超20亿元。"
    figures = tuple(resolved(passage, Period(2023, "results")))
    other = choose(analyse("去年北斗产业营收是多少?", vocab=VOCAB), [P("d", 1.0, figures)], {"d": passage})
    assert other.status == "passage"
    own = choose(analyse("海微科技营收多少", vocab=VOCAB), [P("d", 1.0, figures)], {"d": passage})
    assert own.status == "figure" and own.figures[0].text == "超20亿元"


@pytest.mark.parametrize("question, passage, status", [
    # the report names GDP and its growth, never its rank: not covered
    ("光谷GDP在全国高新区排第几?", "经济增速逐季回升,全年增长4.7%,总量达到2715亿元。", "not_found"),
    # it speaks of income growth in words, without a number: a passage
    ("今年居民收入增长多少", "主要预期目标是:地区生产总值增长7%左右,居民收入稳步增长。", "passage"),
])
def test_an_indicator_the_report_never_gives_in_the_aspect_asked_is_not_found(question: str, passage: str,
                                                                               status: str) -> None:
    figures = tuple(resolved(passage, Period(2024, "targets") if "今年" in question else Period(2023, "results")))
    verdict = choose(analyse(question, vocab=VOCAB), [P("d", 1.0, figures, passage)], {"d": passage})
    assert verdict.status == status


PROJECTS = ("推动新开工7个百亿元以上项目、176个亿元以上项目,新增总投资4315亿元,加快388个亿元以上项目续建,"
            "力争80个亿元以上项目建设进度过半、60个亿元以上项目竣工。")


@pytest.mark.parametrize("question, best", [
    ("今年计划新开工多少个亿元以上项目", "176个"),  # its own subject (亿元以上, not 百亿元以上)
    ("2024年力争竣工的亿元以上项目有多少", "60个"),  # what its item says after it (竣工)
    ("今年续建的亿元以上项目有多少个", "388个"),
    ("今年新开工亿元以上项目目标多少个", "176个"),  # the list's lead words (新开工) are every item's, not the first's
])
def test_items_of_one_list_are_told_apart(question: str, best: str) -> None:
    figures = tuple(resolved(PROJECTS, Period(2024, "targets")))
    verdict = choose(analyse(question, vocab=VOCAB), [P("d", 1.0, figures, PROJECTS)], {"d": PROJECTS})
    assert verdict.status == "figure" and verdict.figures[0].text == best, [f.text for f in verdict.figures]


def test_a_class_named_by_an_amount_is_not_the_unit_asked() -> None:
    from qa.query import unit_families

    assert "money" not in unit_families("2024年力争竣工的亿元以上项目有多少")
    assert "money" in unit_families("固定资产投资多少亿元")


def test_a_single_chinese_character_weighs_as_little_as_an_unseen_word() -> None:
    q = analyse("去年换了多少公里的老燃气管子", vocab=VOCAB)
    weights = tuple(4.7 if len(t[0]) == 1 else 3.0 for t in q.terms)  # 换, 老, 子: rare as tokens, light in meaning
    sentence = "改造老旧燃气管道11公里"
    assert sentence_support(q, weights, sentence, unseen=1.0) > sentence_support(q, weights, sentence, unseen=0.0)
    assert sentence_support(q, weights, sentence, unseen=1.0) >= 0.6


def test_a_count_in_another_unit_does_not_answer_the_measure_asked() -> None:
    from qa.verify import in_measure_units

    q = analyse("光谷的学校能招多少学生", vocab=VOCAB)
    text = "建成光谷康桥外籍人员子女学校,中小学校达到55所、在校学生超过11.6万人。"
    by_text = {f.text: f for f in resolved(text, Period(2023, "results"))}
    assert not in_measure_units(q, by_text["55所"])
    assert in_measure_units(q, by_text["超过11.6万人"])
    growth = analyse("海微科技营收涨了多少", vocab=VOCAB)  # a growth of revenue still answers 营收
    assert in_measure_units(growth, Figure("d", "增长30%", 30.0, "%", "growth", "营收", 0, 5))


def test_the_indicator_asked_in_the_reports_words_wins_over_a_figure_that_only_shares_the_words() -> None:
    text = ("新增逸飞激光、武汉蓝电等7家上市企业。高科集团成功收购1家上市公司。"
            "新开办幼儿园5所、新增学位1260个。")
    figures = tuple(resolved(text, Period(2023, "results")))
    ask = lambda q: choose(analyse(q, vocab=VOCAB), [P("d", 1.0, figures, text)], {"d": text})  # noqa: E731
    assert ask("去年光谷新增几家上市公司").figures[0].text == "7家"  # 上市公司 is a name of 上市企业
    # the question counts something other than its indicator: 学位, not 幼儿园
    assert ask("去年幼儿园新增多少学位").figures[0].text == "1260个"


def test_a_figure_without_an_indicator_must_name_the_one_asked_by_a_word_of_its_own() -> None:
    text = ("理工数传等11家企业被认定为总部企业,总数达27家。"
            "推动新开工7个百亿元以上项目、176个亿元以上项目,新增总投资4315亿元。")
    figures = tuple(resolved(text, Period(2023, "results")))
    # 瞪羚企业 shares only 企业 (a word many indicators share) with the headquarters sentence
    verdict = choose(analyse("去年认定了多少家瞪羚企业", vocab=VOCAB), [P("d", 1.0, figures, text)], {"d": text})
    assert not verdict.figures
    # the projects named before the investment in its sentence: 新增总投资 is the new projects'
    q = analyse("去年新开工项目新增总投资多少", vocab=VOCAB)
    verdict = choose(q, [P("d", 1.0, figures, text)], {"d": text})
    assert verdict.figures and verdict.figures[0].text == "4315亿元", (q.indicators, verdict)


def test_with_no_year_asked_a_target_is_the_other_periods_figure_and_now_asks_what_is() -> None:
    # 社区警务室建多少个 with a 2024 figure only: a rank or count with no year may ask what is, so the
    # target is offered as the other period's figure, never shown as the answer (a wrong-period number)
    text = "94个社区警务室建设全覆盖。"
    figures = tuple(resolved(text, Period(2024, "targets")))
    verdict = choose(analyse("社区警务室建多少个", vocab=VOCAB), [P("d", 1.0, figures, text)], {"d": text})
    assert verdict.status == "passage" and verdict.other is not None and verdict.other.text == "94个"
    assert analyse("现在有多少个社区警务室", vocab=VOCAB).asked.explicit  # 现在: the latest result, said


def test_an_english_question_tells_list_items_apart_by_the_reports_words() -> None:
    text = "新开办幼儿园5所、新增学位1260个,中小学优质扩容12所、新增学位1.7万个。"
    figures = tuple(resolved(text, Period(2024, "targets")))
    q = analyse("How many new school places will primary and middle schools add this year?", vocab=VOCAB)
    verdict = choose(q, [P("d", 1.0, figures, text)], {"d": text})
    assert verdict.figures and verdict.figures[0].text == "1.7万个", [f.text for f in verdict.figures]


@pytest.mark.parametrize("text, figure, part", [
    ("年末城镇调查失业率从上半年5.5%降到5.3%。", "5.3%", None),  # 上半年 is the level it left
    ("年末城镇调查失业率从上半年5.5%降到5.3%。", "5.5%", "上半年"),
    ("一季度增长2.5%,全年增长4.7%。", "2.5%", "一季度"),
])
def test_the_part_of_the_year_a_figure_is_of(text, figure, part) -> None:
    from qa.verify import part_of_year

    f = next(f for f in extract_figures(text) if f.text == figure)
    assert part_of_year(text, f) == part


def test_raised_to_how_much_asks_the_level_reached_not_the_one_left() -> None:
    text = "将小规模纳税人增值税起征点从月销售额10万元提高到15万元。"
    figures = tuple(resolved(text, Period(2023, "results")))
    verdict = chosen("小规模纳税人增值税起征点提高到多少", text, figures)
    assert verdict.figures and verdict.figures[0].text == "15万元", [f.text for f in verdict.figures]


def test_a_running_total_asked_with_no_year_is_where_the_five_years_end() -> None:
    text = "新增百亿县区26个，累计达到46个。"
    figures = tuple(resolved(text, Period(2023, "results", 2019)))  # VOCAB's latest result is 2023's
    verdict = chosen("百亿县区累计达到多少个？", text, figures)
    assert verdict.figures and verdict.figures[0].text == "46个", (verdict, [f.aspect for f in figures])
    # a year said asks that year's: the five years' total is another period's
    verdict = chosen("2022年百亿县区累计达到多少个？", text, figures)
    assert not verdict.figures


def test_a_threshold_crossed_ranks_after_the_level_reached_right_after_it() -> None:
    text = "地区生产总值突破3万亿元、达3.6万亿元。"
    figures = tuple(resolved(text, Period(2023, "results")))
    verdict = chosen("地区生产总值是多少", text, figures)
    assert verdict.figures and verdict.figures[0].text == "3.6万亿元", [f.text for f in verdict.figures]


def test_points_asked_are_not_answered_by_a_per_cent() -> None:
    text = "民间投资逆势增长2.7%，高出全国平均水平9.1个百分点。"
    figures = tuple(resolved(text, Period(2023, "results")))
    verdict = chosen("民间投资增速比全国平均高出多少个百分点？", text, figures)
    assert verdict.figures and verdict.figures[0].text == "9.1个百分点", [f.text for f in verdict.figures]
    verdict = chosen("民间投资增长多少", text, figures)
    assert verdict.figures and verdict.figures[0].text == "2.7%"


@pytest.mark.parametrize("question, first", [
    ("2025年旅居云南的人数有多少？", "count"),  # 人数: a count, not its growth
    ("旅居人数增长多少", "growth"),
])
def test_a_number_of_people_asks_a_count(question, first) -> None:
    assert wanted_kinds(question)[0] == first
