"""qa.formats: a report's file to its text, whatever the format (text/HTML in UTF-8 or GB18030, PDF, .docx).

The pure steps are tested on tables; the readers on real files made here from the development reports
(corpus/reports/*.txt): a PDF printed by headless Chromium (page header and numbered footer included, so
there is something to drop) and a .docx written by python-docx. Either must give the Document the .txt
gives: the same profile, headings and paragraphs, and through the real assistant the same answers.

Paragraph texts are compared with whitespace next to a non-ASCII character ignored (`same_text`): a PDF
does not tell a space printed beside a Chinese quote (6. “一表同享”) from the gap a layout leaves there, so
the reader drops those; every other character must be equal.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from qa.errors import DocumentError
from qa.formats import (
    Line,
    Run,
    clean_line,
    decode_text,
    docx_lines,
    drop_furniture,
    first_unit,
    is_page_number,
    page_lines,
    paragraphs,
    pdf_text,
    read_report,
)
from qa.ingest import corpus_files, load_corpus, load_document

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "corpus" / "reports"
STEMS = sorted(p.stem for p in REPORTS.glob("*.txt"))
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: run `make browser` "
                                                                   "(apt-get install chromium) to print PDFs")


def same_text(a: str, b: str) -> bool:
    """Equal but for whitespace beside a non-ASCII character (see the module's docstring)."""
    def norm(t: str) -> str:
        return re.sub(r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+", "", t)
    return norm(a) == norm(b)


# --- decoding text files ------------------------------------------------------------------------

SAMPLE = "一、2023年工作回顾\n全年增长4.7%。\n"


@pytest.mark.parametrize("data", [
    SAMPLE.encode("utf-8"),
    b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"),
    SAMPLE.encode("gbk"),
    SAMPLE.encode("gb18030"),
    SAMPLE.encode("gb2312"),
    SAMPLE.encode("utf-16"),  # with its BOM
])
def test_text_decodes(data: bytes):
    assert decode_text(data, "x.txt") == SAMPLE


def test_gb18030_beyond_gbk():
    text = "𠀀𪚥 之外的字，粤语“嘅”。"  # four-byte GB18030 sequences
    assert decode_text(text.encode("gb18030"), "x.txt") == text


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b" \n\t", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (bytes(range(1, 32)) * 20, "binary"),  # decodes as UTF-8, but control characters
    (b"\x81\x30\xff\xfe\x80\x80", "GBK"),  # neither UTF-8 nor GB18030
    (b"\xff\xfe\x00\xd8", "UTF-16"),  # a lone surrogate after the BOM
])
def test_text_that_is_not(data: bytes, reason: str):
    with pytest.raises(DocumentError) as info:
        decode_text(data, "bad.txt")
    assert reason in str(info.value) and "bad.txt" in str(info.value)


def test_gbk_report_is_the_utf8_report(tmp_path: Path):
    for stem in STEMS:
        source = REPORTS / f"{stem}.txt"
        gbk = tmp_path / source.name
        gbk.write_bytes(source.read_text(encoding="utf-8").encode("gb18030"))
        a, b = load_document(source), load_document(gbk)
        assert (b.text, b.sha256, b.title, b.date, b.sections, b.paragraphs) == \
               (a.text, a.sha256, a.title, a.date, a.sections, a.paragraphs), stem


def test_gbk_html(tmp_path: Path):
    f = tmp_path / "page.html"
    f.write_bytes('<html><meta charset="gbk"><body><p>一、2023年工作回顾</p><p>全年增长5%。</p></body></html>'
                  .encode("gbk"))
    assert load_document(f).paragraphs[0].text == "全年增长5%。"


# --- the pure steps of reading a PDF ------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("- 3 -", True), ("— 12 —", True), ("－3－", True), ("3", True), ("第3页", True), ("第 3 页 共 10 页", True),
    ("3/10", True), ("Page 3 of 10", True), ("共10页 第3页", True),
    ("2026年河北省政府工作报告", False), ("3.5%", False), ("- 3 -年", False), ("第三部分", False),
])
def test_page_number(text: str, expected: bool):
    assert is_page_number(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("河北省人民政府省长 王正谱", "河北省人民政府省长 王正谱"),  # a space between names stays
    ("好客山东 好品山东", "好客山东 好品山东"),
    ("各 位 代 表 ：", "各位代表："),  # letter-spaced
    ("结构调整“ 三篇大文章 ” ，推动 4 个万亿级", "结构调整“三篇大文章”，推动4个万亿级"),  # justified gaps
    ("PM 2.5   浓度", "PM 2.5浓度"),
    ("Made  in   China", "Made in China"),
    ("• 2024-02-26 10:16", "• 2024-02-26 10:16"),
    ("  省长\u3000王予波 ", "省长\u3000王予波"),
])
def test_clean_line(text: str, expected: str):
    assert clean_line(text) == expected


@pytest.mark.parametrize("text, unit", [
    ("PM_2.5浓度", "PM_2.5"), ("［28］，聚焦", "［28］，"), ("“十四五”时期", "“十"), ("（10）持续", "（10）"),
    ("会议上", "会"), ("。后", "。"), ("3826.5亿元", "3826.5"),
])
def test_first_unit(text: str, unit: str):
    assert first_unit(text) == unit


def run_lines(*rows: tuple[float, float, str], size: float = 12.0, y0: float = 800.0, pitch: float = 19.2) -> list[Line]:
    """Lines at (x0, x1) one pitch apart, top down."""
    return [Line(x0, x1, y0 - i * pitch, size, text) for i, (x0, x1, text) in enumerate(rows)]


def test_page_lines_order_and_join():
    runs = [Run(100, 700, 12, "第二行"), Run(62, 780, 12, "第一行"), Run(98, 780, 12, "，接着"),
            Run(300, 700, 12, "远处"), Run(62, 700.5, 12, "开头"), Run(62, 600, 12, " \n")]
    lines = page_lines(runs)
    assert [ln.text for ln in lines] == ["第一行，接着", "开头第二行 远处"]  # far apart: a space
    assert lines[0].x0 == 62 and lines[0].x1 == pytest.approx(98 + 3 * 12)


def test_drop_furniture():
    def page(n: int, *body: str) -> list[Line]:
        return run_lines((200, 400, "2026年某省政府工作报告"), *((62, 530, t) for t in body), (280, 300, f"- {n} -"))
    pages = [page(1, "2026年某省政府工作报告", "各位代表："), page(2, "正文一。"), page(3, "正文二。")]
    kept = [[ln.text for ln in p] for p in drop_furniture(pages)]
    assert kept == [["2026年某省政府工作报告", "各位代表："], ["正文一。"], ["正文二。"]]  # the title stays
    # a line on one page only is no header; a page number is dropped wherever it sits at an edge
    lone = [run_lines((62, 530, "标题"), (62, 530, "正文。"), (280, 300, "第1页"))]
    assert [[ln.text for ln in p] for p in drop_furniture(lone)] == [["标题", "正文。"]]


# each row: (x0, x1, text); the margin is at 62, the right edge at 530, the size 12 (2 em = 24 pt)
INDENTED = [  # every paragraph's first line indented by 2 em
    (86, 530, "现在，我代表省人民政府向大会报告工作，请予审议，并请省政协委员和列席人员提"),
    (62, 110, "出意见。"),
    (86, 434, "一、“十四五”时期经济社会发展回顾"),
    (86, 506, "环境污染治理纵深推进。加大守护蓝天力度，空气质量优良天数比例超过88%，"),  # PM_2.5 did not fit
    (62, 530, "PM_2.5浓度为25.9微克/立方米、优于全国平均水平。强化水土协同治理，实施清水河、"),
    (62, 506, "苦水河综合治理工程（物业管理委员会）1000个，新建森林防火应急道路220公里。"),  # （10） did not fit
    (62, 530, "（10）持续提升公共文体服务水平，建成250个社区健身路径或3人制篮球场，补充维"),
    (62, 170, "护更新器材。"),
]
FLUSH_RAGGED = [  # not indented, not spaced apart: only where lines end tells
    (200, 392, "2026年某省政府工作报告"),  # centred
    (62, 350, "各位代表："),
    (62, 530, "现在，我代表省人民政府向大会报告工作，请予审议，并请省政协委员和列席人员提"),
    (62, 506, "出意见。全省生产总值增长5.6%，一般公共预算收入增长2%，规上工业增加值增长"),
    (62, 520, "7.9%。"),
    (62, 300, "一、“十四五”时期经济社会发展回顾"),
    (62, 480, "过去五年，是极不寻常、极不平凡的五年。"),
    (62, 530, "这五年，高质量发展扎实推进，经济实力跃上新台阶，我们坚持以新发展理念引领发展。"),
    (62, 300, "（一）千方百计稳增长。"),
]


@pytest.mark.parametrize("rows, expected", [
    (INDENTED, ["现在，我代表省人民政府向大会报告工作，请予审议，并请省政协委员和列席人员提出意见。",
                "一、“十四五”时期经济社会发展回顾",
                "环境污染治理纵深推进。加大守护蓝天力度，空气质量优良天数比例超过88%，PM_2.5浓度为25.9微克/立方米、"
                "优于全国平均水平。强化水土协同治理，实施清水河、苦水河综合治理工程（物业管理委员会）1000个，新建森林防"
                "火应急道路220公里。（10）持续提升公共文体服务水平，建成250个社区健身路径或3人制篮球场，补充维护更新器材。"]),
    (FLUSH_RAGGED, ["2026年某省政府工作报告", "各位代表：",
                    "现在，我代表省人民政府向大会报告工作，请予审议，并请省政协委员和列席人员提出意见。全省生产总值增长5.6%，"
                    "一般公共预算收入增长2%，规上工业增加值增长7.9%。",
                    "一、“十四五”时期经济社会发展回顾", "过去五年，是极不寻常、极不平凡的五年。",
                    "这五年，高质量发展扎实推进，经济实力跃上新台阶，我们坚持以新发展理念引领发展。", "（一）千方百计稳增长。"]),
    ([(62, 530, "Made in China is a"), (62, 200, "plan.")], ["Made in China is a plan."]),  # a Latin word wrap
    ([], []),
])
def test_paragraphs(rows, expected):
    assert paragraphs([run_lines(*rows)]) == expected


def test_paragraphs_spaced_apart_and_across_pages():
    """Paragraphs set apart by spacing, not indented: within a page the gap tells; across a page break
    the width does (a last line that ends a sentence short of the edge, a full line that runs on)."""
    page1 = [Line(62, 530, 800, 12, "第一段的第一行，没有缩进，段与段之间空开一些距离，这一行排满了整个版心的宽"),
             Line(62, 200, 780.8, 12, "度。"),
             Line(62, 530, 752, 12, "第二段从这里开始，它也排满了一行，然后在这一页的底部接着写下去，直到换页为"),
             Line(62, 530, 732.8, 12, "止，这一行也是满的，所以下一页的第一行应该接在这一段的后面继续往下读下去，")]
    page2 = [Line(62, 300, 800, 12, "接着读完第二段。"),
             Line(62, 530, 771.2, 12, "第三段。")]
    assert paragraphs([page1, page2]) == [
        "第一段的第一行，没有缩进，段与段之间空开一些距离，这一行排满了整个版心的宽度。",
        "第二段从这里开始，它也排满了一行，然后在这一页的底部接着写下去，直到换页为止，这一行也是满的，所以下一页的第一"
        "行应该接在这一段的后面继续往下读下去，接着读完第二段。",
        "第三段。"]


def test_pdf_text_of_pages():
    def page(n: int, *rows: tuple[float, float, str]) -> list[Run]:
        head = [Run(250, 800, 7, "某省政府工作报告"), Run(290, 30, 7, f"- {n} -")]
        return head + [Run(x, 760 - 19.2 * i, 12, t) for i, (x, t) in enumerate(rows)]
    pages = [page(1, (86, "某省政府工作报告"), (86, "一、回顾"), (86, "过去一年，全省生产总值增长百分之五，一般公共预算收入增长百分之二，规上工业增"),
                  (62, "加值增长百分之八，固定资产投资增长百分之六，社会消费品零售总额增长百分之四，进")),
             page(2, (62, "出口总值增长。"), (86, "二、今年的工作"))]
    assert pdf_text(pages) == ("某省政府工作报告\n一、回顾\n过去一年，全省生产总值增长百分之五，一般公共预算收入增长百分之二，规上工业增"
                               "加值增长百分之八，固定资产投资增长百分之六，社会消费品零售总额增长百分之四，进出口总值增长。\n二、今年的工作\n")


# --- .docx --------------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path):
    import docx

    d = docx.Document()
    d.add_paragraph("一、2025年工作回顾")
    d.add_paragraph("全年增长5%。")
    d.add_paragraph("")  # an empty paragraph is no line
    table = d.add_table(rows=2, cols=3)
    table.cell(0, 0).text, table.cell(0, 1).text, table.cell(0, 2).text = "指标", "2024年", "2025年"
    table.cell(1, 0).text, table.cell(1, 1).text, table.cell(1, 2).text = "地区生产总值", "1.2万亿元", "1.3万亿元"
    merged = table.add_row()
    merged.cells[0].merge(merged.cells[2]).text = "注：按可比价格计算"
    d.add_paragraph("二、2026年重点工作")
    d.sections[0].header.paragraphs[0].text = "某省人民政府"  # a header is no part of the body
    assert docx_lines(list(d.iter_inner_content())) == [
        "一、2025年工作回顾", "全年增长5%。", "指标\t2024年\t2025年", "地区生产总值\t1.2万亿元\t1.3万亿元",
        "注：按可比价格计算", "二、2026年重点工作"]
    f = tmp_path / "r.docx"
    d.save(str(f))
    assert "某省人民政府" not in read_report(f)
    assert load_document(f).paragraphs[0].text == "全年增长5%。"


# --- files that do not parse --------------------------------------------------------------------


def blank_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(595, 842)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


@pytest.mark.parametrize("name, content, reason", [
    ("bad.pdf", "一、这不是PDF。".encode("utf-8"), "not a readable PDF"),
    ("bad.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "not a readable PDF"),  # truncated
    ("bad.pdf", blank_pdf(), "without text"),  # a scan has pages but no text
    ("bad.docx", "一、这不是Word。".encode("utf-8"), "not a readable .docx"),
    ("bad.docx", b"PK\x03\x04 truncated zip", "not a readable .docx"),
    ("bad.pdf", b"", "empty"),
])
def test_files_that_do_not_parse(tmp_path: Path, name: str, content: bytes, reason: str):
    f = tmp_path / name
    f.write_bytes(content)
    before = sorted((p.name, p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir())
    with pytest.raises(DocumentError) as info:
        load_document(f)
    assert reason in str(info.value) and name in str(info.value)
    assert sorted((p.name, p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.iterdir()) == before


def test_corpus_reads_every_format(tmp_path: Path):
    import docx

    (tmp_path / "a.txt").write_text("一、2023年工作回顾\n全年增长5%。\n", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes("一、2023年工作回顾\n全年增长6%。\n".encode("gbk"))
    d = docx.Document()
    d.add_paragraph("一、2023年工作回顾")
    d.add_paragraph("全年增长7%。")
    d.save(str(tmp_path / "c.docx"))
    (tmp_path / "d.pdf").write_bytes(b"not a pdf")
    (tmp_path / "e.doc").write_bytes(b"\xd0\xcf\x11\xe0")  # the old binary Word format is not read
    assert [p.name for p in corpus_files(tmp_path)] == ["a.txt", "b.txt", "c.docx", "d.pdf"]
    docs, errors = load_corpus(tmp_path)
    assert [d.paragraphs[0].text for d in docs] == ["全年增长5%。", "全年增长6%。", "全年增长7%。"]
    assert [Path(e.path).name for e in errors] == ["d.pdf"]


# --- real reports as published: PDF printed by Chromium, .docx by python-docx --------------------

STYLE = ("body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;font-size:16px}"
         "p{text-indent:2em;margin:0;line-height:1.6;text-align:justify}")


def report_lines(stem: str) -> list[str]:
    return [ln.strip() for ln in (REPORTS / f"{stem}.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]


def print_pdf(page, stem: str, out: Path) -> Path:
    """The report as a printed PDF: a paragraph per line, the title as a running header, "- n -" below."""
    lines = report_lines(stem)
    page.set_content("<html><head><meta charset='utf-8'><style>" + STYLE + "</style></head><body>"
                     + "".join(f"<p>{html.escape(ln)}</p>" for ln in lines) + "</body></html>")
    small = "font-size:9px;width:100%;text-align:center"
    page.pdf(path=str(out), format="A4", display_header_footer=True,
             header_template=f'<div style="{small}">{html.escape(lines[0][:30])}</div>',
             footer_template=f'<div style="{small}">- <span class="pageNumber"></span> -</div>',
             margin={"top": "2cm", "bottom": "2cm", "left": "2cm", "right": "2cm"})
    return out


def write_docx(stem: str, out: Path) -> Path:
    import docx

    d = docx.Document()
    for ln in report_lines(stem):
        d.add_paragraph(ln)
    d.save(str(out))
    return out


@pytest.fixture(scope="module")
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b.new_page()
        b.close()


def assert_same_document(got, want) -> None:
    from qa.profile import profile_of

    g, w = profile_of(got), profile_of(want)
    assert (g.issuer, g.area, g.level, g.year) == (w.issuer, w.area, w.level, w.year)
    assert (got.title, got.date) == (want.title, want.date)
    assert [(s.level, s.number, s.heading, s.period) for s in got.sections] == \
           [(s.level, s.number, s.heading, s.period) for s in want.sections]
    assert len(got.paragraphs) == len(want.paragraphs)
    for a, b in zip(got.paragraphs, want.paragraphs):
        assert same_text(a.text, b.text), (a.text[:60], b.text[:60])
        assert (a.path, a.period) == (b.path, b.period)
        assert got.text[a.start:a.end] == a.text  # offsets point into the document's own text
    assert got.text.encode("utf-8").decode("utf-8") == got.text


@pytest.mark.slow
@needs_chromium
def test_printed_pdf_reads_as_the_text(browser_page, tmp_path: Path):
    """Every development report, printed: its Document is the .txt's."""
    exact = 0
    for stem in STEMS:
        pdf = print_pdf(browser_page, stem, tmp_path / f"{stem}.pdf")
        got, want = load_document(pdf), load_document(REPORTS / f"{stem}.txt")
        assert "- 1 -" not in got.text and got.text.count(want.title) <= want.text.count(want.title), stem
        assert_same_document(got, want)
        exact += got.text == want.text
    assert exact >= len(STEMS) - 3  # the rest differ only by a space beside a Chinese quote


def test_docx_reads_as_the_text(tmp_path: Path):
    for stem in STEMS:
        got = load_document(write_docx(stem, tmp_path / f"{stem}.docx"))
        want = load_document(REPORTS / f"{stem}.txt")
        assert_same_document(got, want)
        assert got.text == want.text, stem


# --- the same questions get the same answers ----------------------------------------------------

ASKED = "national-2021-work-report"  # a tune report (corpus/reports/split.tsv)


def answer_key(a) -> tuple:
    """What a person sees of an answer: its status and text, the figures, the top passages (where
    they start in the document's text: the same offsets in every format)."""
    return (a.status, a.text, tuple(f.text for f in a.figures), tuple((p.text, p.start) for p in a.passages[:3]))


def copy_text(out: Path) -> Path:
    out.write_bytes((REPORTS / f"{ASKED}.txt").read_bytes())
    return out


@pytest.mark.slow
@needs_chromium
def test_the_same_answers_from_pdf_docx_and_text(real_model, browser_page, tmp_path: Path):
    import json

    from qa import Assistant

    questions = [json.loads(ln)["question"] for ln in
                 (REPORTS / "gold" / f"{ASKED}.dev.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    made = {".txt": copy_text,
            ".pdf": lambda out: print_pdf(browser_page, ASKED, out),
            ".docx": lambda out: write_docx(ASKED, out)}
    answers = {}
    for suffix, make in made.items():
        folder = tmp_path / suffix.strip(".")
        folder.mkdir()
        make(folder / f"{ASKED}{suffix}")
        assistant = Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=real_model)
        answers[suffix] = [answer_key(assistant.ask(q)) for q in questions]
    assert len(questions) >= 40
    for suffix in (".pdf", ".docx"):
        differ = [q for q, a, b in zip(questions, answers[suffix], answers[".txt"]) if a != b]
        assert not differ, (suffix, differ[:3])
