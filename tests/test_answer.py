"""Answers on the real model and report: the first figure is the one a user asked for."""
from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import ROOT

# (question as a user might type it, expected first figure's text)
FIGURE_QUESTIONS = [
    ("光谷2023年经济总量多少亿元", "2715亿元"),
    ("去年全年经济增长了百分之几", "4.7%"),
    ("前三季度经济增速", "4%"),
    ("2023年产业项目到位资金多少", "646亿元"),
    ("去年外商直接投资多少美元", "6.8亿美元"),
    ("固定资产投资规模有多大", "超1200亿元"),
    ("限上商贸企业网上销售额增速是多少", "15%"),
    ("新能源汽车销售增长了多少", "近30%"),
    ("减税降费及退税缓费总额", "184亿元"),
    ("光谷的市场主体有多少户", "突破20万户"),
    ("高新技术企业总数多少家", "突破5700家"),  # fixed by indicators: 高企 is 高新技术企业
    ("科技型中小企业入库数量占全市比例", "41%"),
    ("小巨人企业在全国高新区排第几", "第四"),
    ("工业互联网标识注册量多少", "超185亿个"),
    ("人工智能计算中心算力扩容到多少P", "400P"),
    ("电力增容多少千伏安", "45万千伏安"),
    ("去年建成了多少公里综合管廊", "30公里"),
    ("新增了多少套保障性租赁住房", "1.55万套"),
    ("民生支出占比达到多少", "75.1%"),
    ("新能源垃圾清运车辆占比", "90%"),
    ("2024年高新技术产业增加值预期增长多少", "10%"),
    ("今年光电子信息产业规模要突破多少", "突破6000亿元"),
    ("今年生命健康产业规模力争达到多少", "2000亿元"),
    ("今年新增高性能算力多少P", "1700P"),
    ("今年引进亿元以上项目多少个", "130个"),
    ("今年新增总投资目标", "4315亿元"),
    ("存贷款规模今年要增长多少", "18%以上"),
    ("今年新认定光谷瞪羚企业多少家", "550家"),
    ("今年新增城镇就业多少人", "3.5万人以上"),
    ("今年新增床位总数多少张", "1250张"),
]


@pytest.mark.parametrize("question, expected", FIGURE_QUESTIONS)
def test_first_figure(real_assistant, question, expected):
    answer = real_assistant.ask(question)
    assert answer.found, answer.notes
    assert answer.figures, [p.text[:30] for p in answer.passages[:3]]
    assert answer.figures[0].text == expected, [f.text for f in answer.figures[:5]]
    assert expected in answer.text  # the direct answer shows the figure with its sentence


def test_figure_accuracy_overall(real_assistant):
    pairs = [c.values if hasattr(c, "values") else c for c in FIGURE_QUESTIONS]
    right = sum(bool((a := real_assistant.ask(q)).figures) and a.figures[0].text == e for q, e in pairs)
    assert right >= 25, f"{right}/{len(FIGURE_QUESTIONS)} first figures right"


def test_figures_carry_period_and_section(real_assistant):
    answer = real_assistant.ask("今年光谷地区生产总值预期增长多少？")
    f = answer.figures[0]
    assert f.text == "7%左右" and f.kind == "growth" and f.qualifier == "about"
    assert f.period is not None and f.period.label == "2024年目标"
    assert f.section.startswith("二、2024年重点工作")
    doc = real_assistant.index.documents[f.doc]
    assert doc.text[f.start : f.end] == f.text


def test_figure_to_dict_is_asdict_with_the_period_as_json(real_assistant):
    """Figure.to_dict skips dataclasses.asdict's recursion; the JSON an answer sends is unchanged."""
    from dataclasses import asdict

    figures = real_assistant.figures()
    assert len(figures) > 100
    for f in figures + [replace(figures[0], period=None, qualifier=None, base_value=None)]:
        expected = asdict(f)
        expected["period"] = f.period.to_json() if f.period else None
        assert f.to_dict() == expected and list(f.to_dict()) == list(expected)


def test_non_number_question_has_no_figures_first(real_assistant):
    answer = real_assistant.ask("光谷今年要发展哪些未来产业？")
    assert answer.found and answer.figures == ()
    assert "未来产业" in answer.text


def test_figure_table(real_assistant):
    figures = real_assistant.figures()
    assert len(figures) > 200
    targets = real_assistant.figures(period="2024年目标")
    assert targets and all(f.period and f.period.kind == "targets" for f in targets)
    assert {f.kind for f in figures} >= {"amount", "growth", "share", "count", "rank"}


# The headline questions that a new user asked first (issue 12), each with the answer a trustworthy
# service must give: the exact figure, a plain "no number" with what the report says, or not found.
HEADLINE = [
    ("去年光谷GDP是多少？", "figure", "2715亿元"),
    ("光谷去年GDP多少？", "figure", "2715亿元"),
    ("2023年光谷GDP是多少？", "figure", "2715亿元"),
    ("2023年光谷地区生产总值是多少？", "figure", "2715亿元"),
    ("2023年地区生产总值总量是多少？", "figure", "2715亿元"),
    ("光谷有多少家高新技术企业", "figure", "突破5700家"),
    ("今年光谷GDP预期增长多少？", "figure", "7%左右"),
    ("武汉市2023年GDP是多少？", "not_found", None),
    ("北京2023年GDP是多少？", "not_found", None),
    ("2021年光谷GDP是多少？", "not_found", None),
    ("2023年社会消费品零售总额是多少", "not_found", None),
    ("今年居民收入增长多少", "passage", None),
]


@pytest.mark.parametrize("question, status, figure", HEADLINE)
def test_headline_questions(real_assistant, question, status, figure):
    answer = real_assistant.ask(question)
    assert answer.status == status, (answer.text, answer.notes)
    assert answer.found == (status != "not_found")
    assert (answer.figures[0].text if answer.figures else None) == figure
    assert answer.to_dict()["status"] == status


def test_no_number_answer_says_so_and_quotes_the_report(real_assistant):
    answer = real_assistant.ask("今年居民收入增长多少")
    assert answer.text.startswith("报告未给出具体数字") and "居民收入稳步增长" in answer.text
    assert not answer.figures


def test_only_the_other_periods_figure_is_a_passage_not_a_refusal(real_assistant):
    answer = real_assistant.ask("光谷去年技术合同成交额")  # the report gives only the 2024 target
    assert answer.status == "passage" and not answer.figures
    assert answer.text.startswith("报告只给出2024年目标") and "820亿元" in answer.text
    assert any("2024年目标" in n for n in answer.notes)


def test_not_found_names_the_other_area(real_assistant):
    answer = real_assistant.ask("武汉市2023年GDP是多少？")
    assert answer.passages  # the closest passages are still listed
    assert any("武汉市" in n for n in answer.notes)


def test_follow_up_takes_the_subject_from_the_question_before(real_assistant):
    first = real_assistant.ask("今年光谷GDP预期增长多少？")
    follow = real_assistant.ask("那去年呢？", context=first.query)
    assert follow.status == "figure" and follow.figures[0].text == "4.7%"
    by_text = real_assistant.ask("那去年呢？", context="今年光谷GDP预期增长多少？")
    assert by_text.figures[0].text == "4.7%"
    alone = real_assistant.ask("那去年呢？")
    assert alone.status != "figure"


def test_related_questions_name_the_indicator(real_assistant):
    answer = real_assistant.ask("去年光谷GDP是多少？")
    assert answer.related and any("地区生产总值" in q for q in answer.related)
    assert len(set(answer.related)) == len(answer.related)


SECOND_REPORT = """东湖高新区2023年工作报告

  • 2023-02-20 09:00

一、2022年工作回顾

(一)稳住经济大盘。经济增速稳中向好,全年增长5.5%,总量达到2500亿元,展现出较强韧性。

二、2023年重点工作

经济社会发展主要预期目标是:地区生产总值增长8%左右。
"""


@pytest.mark.slow
def test_relative_years_resolve_against_the_newest_report(real_model, tmp_path):
    """With last year's report beside this year's, 去年 still means the newest report's 去年."""
    import shutil

    from qa import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "donghu-2024-work-report.txt", corpus)
    (corpus / "donghu-2023-work-report.txt").write_text(SECOND_REPORT, encoding="utf-8")
    a = Assistant.load(corpus_dir=corpus, index_dir=tmp_path / "index", model=real_model)
    assert a.vocabulary.as_of == 2024
    answer = a.ask("去年光谷GDP是多少？")
    assert answer.figures[0].text == "2715亿元" and answer.figures[0].doc == "donghu-2024-work-report"
    older = a.ask("2022年光谷GDP是多少？")
    assert older.figures[0].text == "2500亿元"


def test_the_passage_that_gives_the_figure_is_cited_first(real_assistant):
    answer = real_assistant.ask("今年光谷的经济盘子想涨几个点？")
    assert answer.status == "figure" and answer.figures[0].text == "7%左右"
    assert answer.figures[0] in answer.passages[0].figures


def test_answer_first_moves_only_the_answering_passage():
    from qa.answer import answer_first
    from qa.types import Figure, Passage

    fig = Figure(text="7%", value=7.0, unit="%", kind="growth", subject="增长", start=5, end=7)
    ps = tuple(Passage("d", f"c{i}", "t", 0, 1, "s", None, 1.0 - i / 10, "p", 0, figures=(fig,) if i == 2 else ())
               for i in range(4))
    assert [p.chunk_id for p in answer_first(ps, fig)] == ["c2", "c0", "c1", "c3"]
    other = Figure(text="8%", value=8.0, unit="%", kind="growth", subject="增长", start=9, end=11)
    assert answer_first(ps, other) == ps


@pytest.mark.parametrize("question", [
    "烽火通信有多少员工",  # named in the report for an award only
    "地铁19号线全长多少公里",  # opened in 2023; its length is not given
    "光谷人民医院有多少张床位",  # the new beds of the whole area are in another clause
])
def test_a_measure_never_given_for_a_named_thing_is_not_found_on_the_real_report(real_assistant, question):
    answer = real_assistant.ask(question)
    assert answer.status == "not_found", (answer.text, answer.notes)
    assert not answer.figures and any("没有" in n for n in answer.notes)


def test_a_measure_given_in_its_things_own_clause_is_answered_on_the_real_report(real_assistant):
    answer = real_assistant.ask("海微科技营收多少亿元")
    assert answer.status == "figure" and answer.figures[0].text == "超20亿元", answer.text


def test_now_asks_what_is_and_a_target_is_not_the_present_number(real_assistant):
    now = real_assistant.ask("光谷现在有多少高层次人才")
    assert now.status != "figure" or now.figures[0].period.kind == "results", now.text
