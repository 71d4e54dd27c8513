from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import DocumentError
from qa.ingest import (
    is_chrome,
    load_corpus,
    load_document,
    parse_document,
    part_heading,
    part_period,
    section_number,
    split_sentences,
)
from qa.types import Period

CHROME = ("智能问答", "无障碍浏览", "长者专区", "ENGLISH", "扫一扫在手机上查看当前页面", "来源")


def test_report_metadata(report):
    assert report.id == "donghu-2024-work-report"
    assert report.title == "东湖高新区2024年工作报告"
    assert report.date == "2024-02-26"
    assert report.source == "办公室"
    assert report.year == 2024


def test_report_parts_and_sections(report):
    parts = [s for s in report.sections if s.level == 1]
    assert [p.heading for p in parts] == ["一、2023年工作回顾", "二、2024年重点工作", "三、从严从实加强管委会自身建设"]
    assert [p.period for p in parts] == [Period(2023, "results"), Period(2024, "targets"), None]
    by_part = {p.number: [s for s in report.sections if s.level == 2 and p.start <= s.start <= p.end] for p in parts}
    assert len(by_part[1]) == 7 and [s.number for s in by_part[1]] == list(range(1, 8))
    assert len(by_part[2]) == 8 and [s.number for s in by_part[2]] == list(range(1, 9))
    assert by_part[3] == []
    assert by_part[2][2].heading == "(三)凝心聚力打造省市经济增长的强引擎"
    assert by_part[1][0].title == "千方百计稳住经济增长基本盘,回稳向上态势持续巩固"


def test_part_three_has_its_paragraphs(report):
    part3 = [p for p in report.paragraphs if p.path and p.path[0].startswith("三、")]
    assert len(part3) == 6
    assert all(p.path == ("三、从严从实加强管委会自身建设",) and p.period is None for p in part3)


def test_paragraph_paths_and_periods(report):
    target = next(p for p in report.paragraphs if p.text.startswith("实施项目投资比拼行动"))
    assert target.section == "二、2024年重点工作 > (三)凝心聚力打造省市经济增长的强引擎"
    assert target.period == Period(2024, "targets")
    # closing paragraphs of part 一 come after one-paragraph sections: they belong to the part
    closing = next(p for p in report.paragraphs if p.text.startswith("同志们"))
    assert closing.path == ("一、2023年工作回顾",)
    # continuation paragraphs of part 二 belong to their section
    cont = next(p for p in report.paragraphs if p.text.startswith("科技力量是可持续发展"))
    assert cont.path[-1].startswith("(一)凝心聚力打造具有全国影响力")


def test_offsets_and_no_chrome(report):
    for p in report.paragraphs:
        assert report.text[p.start : p.end] == p.text
        assert not any(word in p.text for word in CHROME[:4]), p.text[:40]
        assert "扫一扫" not in p.text
        for a, b in p.sentences:
            assert p.start <= a < b <= p.end
    for s in report.sections:
        assert report.text[s.start : s.start + len(s.heading)] == s.heading


@pytest.mark.parametrize(
    "line, expected",
    [
        ("一、2023年工作回顾", (1, "2023年工作回顾")),
        ("二、2024年重点工作", (2, "2024年重点工作")),
        ("十一、其他", (11, "其他")),
        ("三、从严从实加强管委会自身建设", (3, "从严从实加强管委会自身建设")),
        ("第一部分 过去一年工作回顾", (1, "过去一年工作回顾")),
        ("第二部分：今年重点工作", (2, "今年重点工作")),
        ("四. 保障措施", (4, "保障措施")),
        ("一、", None),
        ("一是加快建设。二是推动发展。", None),
        ("(一)千方百计稳住经济增长基本盘。", None),
        ("2023年是全面贯彻落实党的二十大精神的开局之年,是三年新冠疫情防控转段后加快恢复发展的一年。", None),
    ],
)
def test_part_heading(line, expected):
    assert part_heading(line) == expected


@pytest.mark.parametrize(
    "para, number",
    [
        ("(一)千方百计稳住经济增长基本盘。", 1),
        ("（二）加力提速打好科技创新攻坚战。", 2),
        ("(十)其他工作。", 10),
        ("（十二）另一节。", 12),
        ("( 三 )带空格。", 3),
        ("一、2023年工作回顾", None),
        ("(1)阿拉伯数字不是节标题。", None),
        ("持续强化高水平创新平台运行质效。", None),
    ],
)
def test_section_number(para, number):
    assert section_number(para) == number


@pytest.mark.parametrize(
    "title, year, expected",
    [
        ("2023年工作回顾", 2024, Period(2023, "results")),
        ("2024年重点工作", 2024, Period(2024, "targets")),
        ("2019年工作回顾", None, Period(2019, "results")),
        ("2031年主要目标任务", 2031, Period(2031, "targets")),
        ("过去一年工作回顾", 2025, Period(2024, "results")),
        ("今年重点工作", 2025, Period(2025, "targets")),
        ("从严从实加强管委会自身建设", 2024, None),
        ("2024年工作计划", 2024, Period(2024, "targets")),
    ],
)
def test_part_period(title, year, expected):
    assert part_period(title, year) == expected


@pytest.mark.parametrize(
    "line, chrome",
    [
        ("智能问答   |   无障碍浏览   |   长者专区   |   ENGLISH   ", True),
        ("扫一扫在手机上查看当前页面", True),
        ("  • 2024-02-26 10:16", True),
        ("  • 来源: 办公室", True),
        ("【打印本页】 【关闭窗口】", True),
        ("一、2023年工作回顾", False),
        ("经济社会发展主要预期目标是:地区生产总值增长7%左右。", False),
    ],
)
def test_is_chrome(line, chrome):
    assert is_chrome(line) is chrome


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("甲。乙！丙？", ["甲。", "乙！", "丙？"]),
        ("同志们!事非经过不知难。", ["同志们!", "事非经过不知难。"]),
        ("他说“好。走吧。”然后走了。", ["他说“好。走吧。”", "然后走了。"]),
        ("增长4.7%,总量达到2715亿元。下一句", ["增长4.7%,总量达到2715亿元。", "下一句"]),
        ("前句；后句;末句", ["前句；", "后句;", "末句"]),
        ("第一行\n第二行", ["第一行", "第二行"]),
        ("「引号里。不断」句末。", ["「引号里。不断」句末。"]),
    ],
)
def test_split_sentences(text, sentences):
    assert [text[a:b] for a, b in split_sentences(text)] == sentences


def test_markdown_and_fullwidth_headings():
    text = "# 某区2025年政府工作报告\n\n## 一、2024年工作回顾\n\n（一）经济平稳增长。全年增长5%。\n\n## 二、2025年重点工作\n\n（一）扩大投资。新开工项目100个。\n"
    doc = parse_document("md", text)
    assert doc.title == "某区2025年政府工作报告"
    assert [s.heading for s in doc.sections if s.level == 1] == ["一、2024年工作回顾", "二、2025年重点工作"]
    assert [p.period for p in doc.paragraphs] == [Period(2024, "results"), Period(2025, "targets")]
    assert doc.paragraphs[0].section == "一、2024年工作回顾 > （一）经济平稳增长"


def test_html_document(tmp_path: Path):
    page = "<html><head><script>alert(1)</script><style>p{}</style></head><body><h1>某区工作报告</h1><p>一、2023年工作回顾</p><p>(一)稳增长。全年增长5%。</p></body></html>"
    f = tmp_path / "page.html"
    f.write_text(page, encoding="utf-8")
    doc = load_document(f)
    assert doc.title == "某区工作报告"
    assert "alert" not in doc.text
    assert doc.paragraphs[0].text == "(一)稳增长。全年增长5%。"
    assert doc.paragraphs[0].period == Period(2023, "results")


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"\x00\x01\x02binary\x00data", "binary"),
        (b"\x81\x30\xff\xfe\x80 not text either way", "GBK"),
        (b"... --- ...\n", "no text"),
    ],
)
def test_bad_documents(tmp_path: Path, content: bytes, reason: str):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(DocumentError) as info:
        load_document(f)
    assert reason in str(info.value) and "bad.txt" in str(info.value)


def test_gbk_is_read(tmp_path: Path):
    f = tmp_path / "gbk.txt"
    f.write_bytes("二、2024年重点工作\n全年增长7%左右。".encode("gbk"))
    doc = load_document(f)
    assert doc.paragraphs[0].text == "全年增长7%左右。" and doc.paragraphs[0].period == Period(2024, "targets")


def test_bad_documents_do_not_stop_the_others(tmp_path: Path, report_path: Path):
    (tmp_path / "good.txt").write_text(report_path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x81\x30\xff\xfe\x80")
    (tmp_path / "ignored.json").write_text("{}")
    (tmp_path / "good.html").write_text("<p>同名的另一个文件。</p>", encoding="utf-8")
    before = sorted((p.name, p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir())
    docs, errors = load_corpus(tmp_path)
    assert [d.id for d in docs] == ["good"]
    assert sorted(Path(e.path).name for e in errors) == ["binary.txt", "empty.txt", "good.txt"]
    assert "same name" in next(str(e) for e in errors if e.path.endswith("good.txt"))
    assert sorted((p.name, p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()) == before


def test_no_headings_at_all():
    doc = parse_document("plain", "这是一段没有任何标题的文字。它有两句话。\n\n第二段也没有标题。\n")
    assert doc.sections == ()
    assert len(doc.paragraphs) == 2
    assert all(p.path == () and p.period is None for p in doc.paragraphs)


def test_bom_is_not_counted(tmp_path: Path):
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbf" + "一、2023年工作回顾\n\n全年增长5%。\n".encode("utf-8"))
    doc = load_document(f)
    p = doc.paragraphs[0]
    assert doc.text[p.start : p.end] == "全年增长5%。"


@pytest.mark.parametrize("text, expected", [
    ("各位代表！经过五年接续奋斗，我省“十四五”顺利收官。", Period(2025, "results", 2021)),
    ("“十四五”时期，我们有效应对百年变局。", Period(2025, "results", 2021)),
    ("五年来，我们深刻领悟“两个确立”的决定性意义。", Period(2025, "results", 2021)),
    ("各位代表！过去一年成绩来之不易。", Period(2025, "results")),
    ("经过努力，全年经济运行稳中有进。", Period(2025, "results")),
])
def test_a_review_paragraph_that_turns_to_the_five_years(text, expected):
    from qa.ingest import paragraph_period

    assert paragraph_period(text, Period(2025, "results"), 2026) == expected


@pytest.mark.parametrize("text, expected", [
    # a paragraph that opens on the plan not yet done holds its targets, in a part of one year or of the review
    ("根据《关于制定国民经济和社会发展第十五个五年规划的建议》，我们编制了“十五五”规划纲要（草案）。提出地区生产总值年均增长5%左右。",
     Period(2030, "targets", 2026)),
    ("《纲要（草案）》明确了经济社会发展主要指标：其中粮食综合生产能力526亿斤左右。", Period(2030, "targets", 2026)),
    ("今年是“十五五”开局之年，必须迈好第一步。", None),  # the year's work, not the plan's
    ("“十四五”规划纲要确定的目标任务全面完成。", None),  # the plan done is reviewed, not planned
])
def test_a_paragraph_on_the_plan_ahead(text, expected):
    from qa.ingest import paragraph_period

    part = Period(2026, "targets")
    assert paragraph_period(text, part, 2026) == (expected or part)


def test_a_review_of_the_five_years_that_turns_to_the_last_year_and_back():
    text = ("2026年政府工作报告\n\n一、“十四五”时期工作回顾\n\n“十四五”时期是极不平凡的五年。\n\n——经济运行稳中有进。地区生产总值年均增长5%。\n\n"
            "刚刚过去的2025年，全省上下深受鼓舞。\n\n加强科技创新。全年原煤产量13亿吨。\n\n"
            "各位代表！过去五年成绩的取得，根本在于党的领导。\n\n二、2026年重点工作\n\n今年要做好五件事。\n")
    doc = parse_document("d", text)
    got = [(p.text[:6], p.period.label if p.period else None) for p in doc.paragraphs if p.period]
    assert got == [("“十四五”时", "2021-2025年实绩"), ("——经济运行", "2021-2025年实绩"), ("刚刚过去的2", "2025年实绩"),
                   ("加强科技创新", "2025年实绩"), ("各位代表！过", "2021-2025年实绩"), ("今年要做好五", "2026年目标")]


def test_a_review_of_the_plan_and_the_year_opened_by_the_past_five_years():
    text = ("2026年政府工作报告\n\n一、“十四五”时期和2025年工作回顾\n\n过去的五年极不寻常。\n\n民生福祉不断增进。城镇新增就业603.7万人。\n\n"
            "刚刚过去的2025年很不平凡。\n\n城镇新增就业121.7万人。\n\n二、2026年重点工作\n\n今年要做好五件事。\n")
    doc = parse_document("d", text)
    got = [(p.text[:6], p.period.label if p.period else None) for p in doc.paragraphs if p.period]
    assert got[:4] == [("过去的五年极", "2021-2025年实绩"), ("民生福祉不断", "2021-2025年实绩"), ("刚刚过去的2", "2025年实绩"),
                       ("城镇新增就业", "2025年实绩")]
