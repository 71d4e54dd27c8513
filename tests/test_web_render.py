"""The page's pure renderers (qa/web/render.py, qa/web/source.py): an answer's three looks, the copy
text, highlighting, escaping of everything foreign, the 原文 tab and the 数据 rows.

They run on a FakeEmbedder-backed Assistant over the real report (fast); answers whose status the
fake model cannot produce are built with dataclasses.replace from real ones.
"""
from __future__ import annotations

import html
import re
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import Answer, Assistant, Figure, Period  # noqa: E402
from qa.web import render, source  # noqa: E402
from qa.web.render import anchor, highlight, plain_text, render_answer, render_error, render_question  # noqa: E402
from qa.web.source import figure_rows, render_figure_table, render_source  # noqa: E402

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
XSS_REPORT = f"""{IMG}东湖测试区2024年工作报告

  • 2024-02-26 10:16
  • 来源: {SCRIPT}办公室

一、2023年工作回顾{SCRIPT}

(一){IMG}预算安排稳步推进。全年预算{SCRIPT}收入增长5%,总量达到{IMG}120亿元,其中税收收入增长8%。"><svg onload=alert(1)>

(二)民生保障持续加强。新增就业岗位3万个,建成养老服务中心12家,<a href="javascript:alert(1)">点击</a>群众满意度达到95%。

二、2024年重点工作

今年全区预算收入预期增长6%左右,新增就业岗位3.5万个以上,<b onmouseover=alert(1)>加快</b>建设人才公寓5000套。
"""
XSS_QUESTION = f"{SCRIPT} 预算收入增长多少？{IMG}"



@pytest.fixture(scope="module")
def fake_assistant(tmp_path_factory):
    return Assistant.load(corpus_dir=ROOT / "corpus", index_dir=tmp_path_factory.mktemp("render-index"),
                          model=FakeEmbedder())


@pytest.fixture(scope="module")
def xss_assistant(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("xss-corpus")
    (corpus / "xss-report.txt").write_text(XSS_REPORT, encoding="utf-8")
    return Assistant.load(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("xss-index"), model=FakeEmbedder())


# --- what the HTML may contain ----------------------------------------------------------------------

OUR_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "button", "div", "span", "strong", "blockquote", "a", "ol", "li", "details", "summary", "mark", "h2", "h3", "p",
            "article", "nav", "ul"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> Tags:
    p = Tags()
    p.feed(markup)
    p.close()
    return p


def assert_safe(markup: str) -> None:
    """Only our own tags, no event handler or javascript: URL, and every payload shows as text."""
    p = parse(markup)
    for tag, attrs in p.tags:
        assert tag in OUR_TAGS, f"unexpected <{tag}> in {markup[:300]}"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            if name in ("href", "src", "action", "formaction", "xlink:href"):  # data-* attributes hold text
                assert "javascript:" not in (value or "").lower()
    assert "<script" not in markup and "<img" not in markup and "<svg" not in markup


# --- highlighting -----------------------------------------------------------------------------------


def fig(text: str, start: int, doc: str = "d", period: Period | None = None, subject: str = "") -> Figure:
    return Figure(text=text, value=0.0, unit="", kind="count", subject=subject, start=start, end=start + len(text),
                  doc=doc, period=period)


def test_highlight_marks_terms_and_figures():
    text = "地区生产总值增长7%左右,高新技术产业增加值增长10%"
    f = fig("7%左右", 1000 + text.index("7%"))
    out = highlight(text, 1000, [f], ["生产总值", "增长"], best=f)
    assert '<mark class="qa-term">生产总值增长</mark>' in out
    assert '<mark class="qa-fig qa-best">7%左右</mark>' in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text


def test_highlight_escapes_text_and_terms():
    text = f"预算{SCRIPT}收入<b>增长</b>{IMG}5%"
    out = highlight(text, 0, [fig("5%", text.index("5%"))], ["script", "<b>", "增长", "onerror"])
    assert_safe(out)
    assert "&lt;" in out and "<mark" in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text


def test_highlight_numbers_fallback_only_without_figures():
    text = "新增就业岗位3.5万个以上,建成养老服务中心12家"
    out = highlight(text, 0, [], [], numbers=True)
    assert '<mark class="qa-fig">3.5万个以上</mark>' in out and '<mark class="qa-fig">12家</mark>' in out
    f = fig("12家", text.index("12家"))
    assert "3.5万" not in re.findall(r"<mark[^>]*>([^<]*)</mark>", highlight(text, 0, [f], [], numbers=True))


@hsettings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&\"' 预算增长5%abc/=")), max_size=40),
       st.lists(st.text(alphabet=st.sampled_from(list("<>&\"预算增长5%ab")), min_size=1, max_size=4), max_size=4),
       st.integers(0, 40), st.integers(0, 6))
def test_highlight_is_always_the_escaped_text(text, terms, a, n):
    figures = [fig(text[a:a + n], a)] if text[a:a + n] else []
    out = highlight(text, 0, figures, terms, best=figures[0] if figures else None, numbers=True)
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text
    tags = re.findall(r"<[^>]*>", out)
    assert all(t in ('<mark class="qa-term">', '<mark class="qa-fig">', '<mark class="qa-fig qa-best">', "</mark>")
               for t in tags)


# --- the answer -------------------------------------------------------------------------------------


def test_render_real_answer(fake_assistant):
    answer = fake_assistant.ask("今年光谷地区生产总值预期增长多少？")
    docs = {d.id: d for d in fake_assistant.documents}
    out = render_answer(answer, "zh", docs)
    assert_safe(out)
    assert answer.found and answer.figures and answer.figures[0].text == "7%左右"
    # the direct answer first: the figure large, then its sentence with the figure marked, cited [n]
    assert out.index('class="qa-big">7%左右<') < out.index('class="qa-cites"')
    assert '<mark class="qa-fig qa-best">7%左右</mark>' in out
    assert "全年" not in out.split('class="qa-cites"')[0]  # the quoted sentence is the target's, not 2023's
    # numbered citations with section, period badge, expandable paragraph, and the time taken
    for i, p in enumerate(answer.passages, 1):
        assert f'href="#{anchor(p.chunk_id)}"' in out and f">[{i}]</a>" in out
    assert "二、2024年重点工作" in out and 'qa-badge-targets">2024年目标<' in out
    assert "<details" in out and "展开全段" in out
    assert re.search(r"用时 \d+ 毫秒", out)
    en = render_answer(answer, "en", docs)
    assert "2024 targets" in en and re.search(r"\d+ ms", en) and "Sources" in en


def test_render_not_found_offers_closest_passages(fake_assistant):
    base = fake_assistant.ask("今年光谷地区生产总值预期增长多少？")
    answer = Answer(question="火星上有多少人口？", found=False, passages=base.passages[:2], figures=(),
                    text="报告中没有找到这个问题的答案。", mode="hybrid", elapsed_ms=3.2)
    out = render_answer(answer, "zh", {d.id: d for d in fake_assistant.documents})
    assert_safe(out)
    assert "报告中没有找到这个问题的答案" in out and "可能相关" in out
    assert "qa-direct" not in out and "qa-big" not in out
    assert out.count('class="qa-cite"') == 2
    empty = render_answer(Answer(question="x", found=False, passages=()), "en", {})
    assert "does not answer" in empty and "qa-cite" not in empty


def test_render_answer_without_figures_quotes_top_passage(fake_assistant):
    base = fake_assistant.ask("今年光谷地区生产总值预期增长多少？")
    answer = Answer(question="q", found=True, passages=base.passages, figures=(), text=base.passages[0].text)
    out = render_answer(answer, "zh", {})
    assert "qa-direct" in out and "qa-big" not in out and ">[1]</a>" in out


def test_payloads_are_escaped_everywhere(xss_assistant):
    docs = {d.id: d for d in xss_assistant.documents}
    answer = xss_assistant.ask(XSS_QUESTION)
    assert answer.found and any(SCRIPT in p.text or IMG in p.text for p in answer.passages)
    noted = Answer(question=XSS_QUESTION, found=answer.found, passages=answer.passages, figures=answer.figures,
                   text=answer.text, notes=(SCRIPT + IMG,))
    for lang in ("zh", "en"):
        out = render_answer(noted, lang, docs)
        assert_safe(out)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
        assert "&lt;img src=x onerror=alert(1)&gt;" in out  # the section name (一)<img ...>
        source = render_source(xss_assistant.documents, xss_assistant.index.chunks, lang)
        assert_safe(source)
        assert source.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # title, source line, heading, text
        for p in answer.passages:
            assert f'id="{anchor(p.chunk_id)}"' in source
    question = render_question(XSS_QUESTION)
    assert_safe(question)
    assert "<" not in question.replace('<span class="qa-q">', "").replace("</span>", "")
    assert_safe(render_error(f"{SCRIPT}{IMG}"))
    rows = figure_rows(xss_assistant.figures(), docs, "120亿元")
    assert rows and any(IMG in cell for cell in rows[0])  # the table gets plain text: Gradio shows it as text


def test_anchor_ids_are_safe():
    for chunk_id in ("donghu-2024-work-report#12", 'a"b<c>#1', "报告#3"):
        a = anchor(chunk_id)
        assert re.fullmatch(r"qa-src-[A-Za-z0-9_-]+", a)
    assert anchor("a#1") != anchor("a_1")


def test_source_links_every_chunk(fake_assistant):
    out = render_source(fake_assistant.documents, fake_assistant.index.chunks, "zh")
    assert_safe(out)
    for c in fake_assistant.index.chunks:
        assert f'id="{anchor(c.id)}"' in out
    assert "一、2023年工作回顾" in out and "二、2024年重点工作" in out and "目录" in out
    # the text shown is the document's own text, in order
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    doc = fake_assistant.documents[0]
    assert doc.paragraphs[1].text in text and doc.paragraphs[-1].text in text


def test_figure_table_filters(fake_assistant):
    docs = {d.id: d for d in fake_assistant.documents}
    figures = fake_assistant.figures()
    assert figures, "the figure extractor found nothing"
    rows = figure_rows(figures, docs)
    assert len(rows) == len(figures)
    gdp = figure_rows(figures, docs, "地区生产总值")
    assert any(r[0] == "7%左右" and r[3] == "2024年目标" for r in gdp)
    targets = figure_rows(figures, docs, period="2024年目标")
    assert targets and all(r[3] == "2024年目标" for r in targets)
    part = figure_rows(figures, docs, section="一、2023年工作回顾")
    assert part and all(r[4].startswith("一、2023年工作回顾") for r in part)
    assert figure_rows(figures, docs, "没有这个词xyz") == []
    en = figure_rows(figures, docs, "地区生产总值", lang="en")
    assert any(r[3] == "2024 targets" for r in en)




# --- the three answer states, copy, related questions, notes ----------------------------------------

CONTACT = "如需进一步咨询,请拨打12345政务服务便民热线"


@pytest.fixture(scope="module")
def gdp(fake_assistant):
    answer = fake_assistant.ask("今年光谷地区生产总值预期增长多少？")
    assert answer.status == "figure" and answer.figures[0].text == "7%左右"
    return answer, {d.id: d for d in fake_assistant.documents}


def test_three_states_have_their_own_look(gdp):
    answer, docs = gdp
    figure = render_answer(answer, "zh", docs, CONTACT)
    passage = render_answer(replace(answer, status="passage", figures=(), text="报告未给出具体数字"), "zh", docs, CONTACT)
    missing = render_answer(replace(answer, status="not_found", found=False, figures=(), text=""), "zh", docs, CONTACT)
    for out in (figure, passage, missing):
        assert_safe(out)
    assert "qa-state-figure" in figure and "qa-big" in figure and "qa-notfound" not in figure
    assert CONTACT not in figure
    assert "qa-state-passage" in passage and "qa-direct-passage" in passage and "qa-big" not in passage
    assert "报告未给出具体数字" in passage and "报告原文是这样说的" in passage and ">[1]</a>" in passage
    assert "qa-state-not_found" in missing and "qa-notfound" in missing and "qa-direct" not in missing
    assert CONTACT in missing and "可能相关" in missing  # where to ask instead, and the closest passages
    assert missing.count('class="qa-cite"') == min(3, len(answer.passages))  # 可能相关: at most three
    # the other period's figure: the answer's own sentence leads the passage look
    other = render_answer(replace(answer, status="passage", figures=(), text="报告只给出2024年目标：增长7%左右"), "zh", docs)
    assert 'qa-nonumber">报告只给出2024年目标：增长7%左右<' in other
    en = render_answer(replace(answer, status="passage", figures=(), text=""), "en", docs)
    assert "gives no figure" in en


def copy_text(markup: str) -> str:
    return "\n".join(html.unescape(x) for x in re.findall(r'<span class="qa-copy-line">([^<]*)</span>', markup))


def test_copy_is_plain_text_with_sections(gdp):
    answer, docs = gdp
    text = plain_text(answer, "zh", docs)
    assert "<" not in text and "&" not in text
    lines = text.splitlines()
    assert lines[0] == "问: 今年光谷地区生产总值预期增长多少？"
    assert lines[1].startswith("答: 7%左右") and "2024年目标" in lines[1]
    assert "7%左右" in lines[2] and lines[2].startswith("“")  # its sentence, quoted, cited
    sources = [line for line in lines if re.match(r"\[\d+\] ", line)]
    assert len(sources) == len(answer.passages)
    assert sources[0].startswith(f"[1] 东湖高新区2024年工作报告 > {answer.passages[0].section}")
    # the page's copy button copies exactly this text (hidden, a line per element: the chat drops data-*)
    assert copy_text(render_answer(answer, "zh", docs)) == text
    missing = plain_text(replace(answer, status="not_found", found=False, figures=()), "zh", docs, CONTACT)
    assert CONTACT in missing and "可能相关" in missing


def test_payloads_in_copy_text_and_related_questions_stay_text(gdp):
    answer, docs = gdp
    hostile = replace(answer, question=SCRIPT + '"\n' + IMG, related=(SCRIPT, '" onclick="alert(1)', "那去年呢？"),
                      notes=(IMG,))
    out = render_answer(hostile, "zh", docs)
    assert_safe(out)
    chips = re.findall(r'<button type="button" class="qa-chip">([^<]*)</button>', out)
    assert [html.unescape(c) for c in chips] == list(hostile.related)
    assert copy_text(out) == plain_text(hostile, "zh", docs)


def test_related_questions_under_the_answer(gdp):
    answer, docs = gdp
    out = render_answer(replace(answer, related=("那去年呢？", "2024年固定资产投资目标是多少？")), "zh", docs)
    assert out.index('class="qa-cites"') < out.index('class="qa-related"') < out.index('class="qa-meta"')
    assert "相关问题" in out and out.count('class="qa-chip"') == 2
    assert "qa-related" not in render_answer(replace(answer, related=()), "zh", docs)


def test_truncation_note_is_shown(fake_assistant):
    answer = fake_assistant.ask("今年地区生产总值预期增长多少" * 60)
    assert answer.notes and any("500" in n for n in answer.notes)
    out = render_answer(answer, "zh", {d.id: d for d in fake_assistant.documents})
    assert 'class="qa-note"' in out and "问题过长" in out and "提示" in out


# --- the 数据 tab -------------------------------------------------------------------------------------


def test_figure_search_reads_indicator_names(fake_assistant):
    docs = {d.id: d for d in fake_assistant.documents}
    figures = fake_assistant.figures()
    gdp = figure_rows(figures, docs, "GDP")
    formal = figure_rows(figures, docs, "地区生产总值")
    assert {"2715亿元", "4.7%", "7%左右"} <= {r[0] for r in gdp}
    assert {r[0] for r in gdp if r[1].startswith("地区生产总值")} == {r[0] for r in formal if r[1].startswith("地区生产总值")}
    assert figure_rows(figures, docs, "gdp") == gdp  # any case
    assert figure_rows(figures, docs, "GDP", aliases=lambda w: ()) != gdp  # the aliases are what finds them


@pytest.mark.parametrize("query, first", [("2715", "2715亿元"), ("4.7", "4.7%"), ("1200", "超1200亿元")])
def test_figure_search_lists_the_exact_value_first(fake_assistant, query, first):
    rows = figure_rows(fake_assistant.figures(), {d.id: d for d in fake_assistant.documents}, query)
    assert rows and rows[0][0] == first, [r[0] for r in rows[:5]]


def test_figure_search_puts_every_exact_value_before_the_rest(fake_assistant):
    rows = figure_rows(fake_assistant.figures(), {d.id: d for d in fake_assistant.documents}, "7")
    exact = [bool(re.fullmatch(r"\D*7(?!\d|\.\d)\D*", r[0])) for r in rows]
    assert exact[0] and exact == sorted(exact, reverse=True), [r[0] for r in rows[:10]]


@pytest.mark.parametrize("text, zh, en", [
    ("报告只给出2023年实绩：超1200亿元 — “新开工亿元以上项目107个”", "报告只给出2023年实绩：超1200亿元", "报告只给出2023年实绩：超1200亿元"),
    ("报告未给出具体数字。报告原文：“居民收入稳步增长”", "报告未给出具体数字", "The report gives no figure for this"),
    ("", "报告未给出具体数字", "The report gives no figure for this"),
    ("报告只给出2024年目标：增长7%左右", "报告只给出2024年目标：增长7%左右", "报告只给出2024年目标：增长7%左右"),
    ("长" * 200, "报告未给出具体数字", "The report gives no figure for this"),
])
def test_passage_lead(text, zh, en):
    answer = Answer(question="q", found=True, passages=(), text=text, status="passage")
    assert (render.passage_lead(answer, "zh"), render.passage_lead(answer, "en")) == (zh, en)


def test_figure_table_is_escaped_text(xss_assistant):
    docs = {d.id: d for d in xss_assistant.documents}
    rows = figure_rows(xss_assistant.figures(), docs)
    out = render_figure_table(rows, ["数值", "指标", "<b>类型</b>", "时期", "章节", "上下文"])
    assert_safe(out)
    assert out.count("<tr>") == len(rows) + 1 and "&lt;b&gt;类型&lt;/b&gt;" in out
    cells = re.findall(r'<td class="qa-col6"><span class="qa-td-label">[^<]*</span>([^<]*)</td>', out)
    assert [html.unescape(c) for c in cells] == [r[5] for r in rows]


def test_key_indicators_table(fake_assistant):
    rows = fake_assistant.indicator_table()
    out = source.render_indicator_table(rows, "zh")
    assert_safe(out)
    assert "<th scope=\"col\">2023年实绩</th>" in out and "<th scope=\"col\">2024年目标</th>" in out
    gdp = re.search(r'<tr><th scope="row">地区生产总值<span class="qa-aspect">增速</span></th>(.*?)</tr>', out).group(1)
    assert re.findall(r'<td class="qa-kv"[^>]*>([^<]*)</td>', gdp) == ["4.7%", "7%左右"]  # 实绩, 目标
    hostile = [replace(rows[0], indicator=SCRIPT, sentence=f'"{IMG}')]
    bad = source.render_indicator_table(hostile, "en")
    assert_safe(bad)
    assert "&lt;script&gt;" in bad and "Indicator" in bad


# --- issue 23: short answers, notes in the page's language, the state of a question not understood ----


def test_three_sources_then_more_and_the_quote_not_repeated(gdp):
    answer, docs = gdp
    out = render_answer(answer, "zh", docs, CONTACT)
    assert_safe(out)
    shown, _, more = out.partition('<details class="qa-more">')
    assert shown.count('class="qa-cite"') == 3 and more.count('class="qa-cite"') == len(answer.passages) - 3
    assert "更多出处（2 条）" in out
    quote = out.split('<blockquote class="qa-quote">', 1)[1].split("</blockquote>", 1)[0]
    first = shown.split('<div class="qa-cite-text">', 1)[1].split("</div>", 1)[0]
    assert "即上方引用的原句" in first and "7%左右" not in first and "7%左右" in quote


def test_notes_are_shown_in_the_pages_language(gdp):
    answer, docs = gdp
    noted = replace(answer, notes=("报告没有给出地区生产总值的排名 / the report does not give it",))
    zh, en = render_answer(noted, "zh", docs, CONTACT), render_answer(noted, "en", docs, CONTACT)
    assert "报告没有给出地区生产总值的排名" in zh and "the report does not give it" not in zh
    assert "the report does not give it" in en and "报告没有给出" not in en
    assert "the report does not give it" not in plain_text(noted, "zh", docs)


def test_a_question_not_understood_shows_examples_not_passages(gdp):
    from qa.understand import UNCLEAR

    answer, docs = gdp
    unclear = replace(answer, status="not_found", found=False, figures=(), passages=(), notes=(UNCLEAR,),
                      text="没能理解这个问题，请换个说法", related=("2023年地区生产总值是多少？",))
    out = render_answer(unclear, "zh", docs, CONTACT)
    assert_safe(out)
    assert "没能理解这个问题" in out and "您可以这样问" in out and "qa-cite" not in out
    assert "报告中没有找到" not in out and "the question could not be understood" not in out
    assert "The question could not be understood" in render_answer(unclear, "en", docs, CONTACT)


def test_the_default_contact_line_has_an_english_version():
    from qa.config import Settings
    from qa.web.labels import contact

    assert "12345" in contact("en", Settings.contact_line) and contact("en", Settings.contact_line).isascii()
    assert contact("zh", Settings.contact_line) == Settings.contact_line
    assert contact("en", "请拨打 88888888") == "请拨打 88888888"  # a deployment's own line, as written
