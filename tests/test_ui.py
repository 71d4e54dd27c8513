"""The web page (ui.py): its pure rendering functions, then the real server through gradio_client.

Rendering runs on a FakeEmbedder-backed Assistant (fast); the API and concurrency tests start the
real app on a free port of 127.0.0.1 with the real model (`real_assistant` from conftest.py).
"""
from __future__ import annotations

import html
import random
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),  # inside Gradio's queue, not ours
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

import ui  # noqa: E402
from qa import Answer, Assistant, Figure, Passage, Period, QuestionError  # noqa: E402

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

# (question, figure the answer must lead with / its top passage must hold, words of the top passage's section)
REAL_QUESTIONS = [
    ("今年光谷地区生产总值预期增长多少？", "7%左右", "二、2024年重点工作"),
    ("2023年固定资产投资多少？", "超1200亿元", "(一)千方百计稳住经济增长基本盘"),
    ("已建、在建国家大科学装置有几个？", "5个", "(二)加力提速打好科技创新攻坚战"),
    ("今年新增城镇就业人数目标是多少？", "3.5万人以上", "(七)凝心聚力打造民生福祉普惠共享家园"),
    ("2023年新增多少家上市企业？", "7家", "(一)千方百计稳住经济增长基本盘"),
]


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_assistant(tmp_path_factory):
    return Assistant.load(corpus_dir=ROOT / "corpus", index_dir=tmp_path_factory.mktemp("ui-index"),
                          model=FakeEmbedder())


@pytest.fixture(scope="module")
def xss_assistant(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("xss-corpus")
    (corpus / "xss-report.txt").write_text(XSS_REPORT, encoding="utf-8")
    return Assistant.load(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("xss-index"), model=FakeEmbedder())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app) -> str:
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(), quiet=True)
    return app.local_url


@pytest.fixture(scope="module")
def real_server(real_assistant):
    app = ui.build_app(real_assistant)
    url = start(app)
    yield url
    app.close()


def client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


# --- what the HTML may contain ----------------------------------------------------------------------

OUR_TAGS = {"div", "span", "strong", "blockquote", "a", "ol", "li", "details", "summary", "mark", "h2", "h3", "p",
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
            assert "javascript:" not in (value or "").lower()
    assert "<script" not in markup and "<img" not in markup and "<svg" not in markup


# --- highlighting -----------------------------------------------------------------------------------


def fig(text: str, start: int, doc: str = "d", period: Period | None = None, subject: str = "") -> Figure:
    return Figure(text=text, value=0.0, unit="", kind="count", subject=subject, start=start, end=start + len(text),
                  doc=doc, period=period)


def test_highlight_marks_terms_and_figures():
    text = "地区生产总值增长7%左右,高新技术产业增加值增长10%"
    f = fig("7%左右", 1000 + text.index("7%"))
    out = ui.highlight(text, 1000, [f], ["生产总值", "增长"], best=f)
    assert '<mark class="qa-term">生产总值增长</mark>' in out
    assert '<mark class="qa-fig qa-best">7%左右</mark>' in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text


def test_highlight_escapes_text_and_terms():
    text = f"预算{SCRIPT}收入<b>增长</b>{IMG}5%"
    out = ui.highlight(text, 0, [fig("5%", text.index("5%"))], ["script", "<b>", "增长", "onerror"])
    assert_safe(out)
    assert "&lt;" in out and "<mark" in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text


def test_highlight_numbers_fallback_only_without_figures():
    text = "新增就业岗位3.5万个以上,建成养老服务中心12家"
    out = ui.highlight(text, 0, [], [], numbers=True)
    assert '<mark class="qa-fig">3.5万个以上</mark>' in out and '<mark class="qa-fig">12家</mark>' in out
    f = fig("12家", text.index("12家"))
    assert "3.5万" not in re.findall(r"<mark[^>]*>([^<]*)</mark>", ui.highlight(text, 0, [f], [], numbers=True))


@hsettings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&\"' 预算增长5%abc/=")), max_size=40),
       st.lists(st.text(alphabet=st.sampled_from(list("<>&\"预算增长5%ab")), min_size=1, max_size=4), max_size=4),
       st.integers(0, 40), st.integers(0, 6))
def test_highlight_is_always_the_escaped_text(text, terms, a, n):
    figures = [fig(text[a:a + n], a)] if text[a:a + n] else []
    out = ui.highlight(text, 0, figures, terms, best=figures[0] if figures else None, numbers=True)
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text
    tags = re.findall(r"<[^>]*>", out)
    assert all(t in ('<mark class="qa-term">', '<mark class="qa-fig">', '<mark class="qa-fig qa-best">', "</mark>")
               for t in tags)


# --- the answer -------------------------------------------------------------------------------------


def test_render_real_answer(fake_assistant):
    answer = fake_assistant.ask("今年光谷地区生产总值预期增长多少？")
    docs = {d.id: d for d in fake_assistant.documents}
    out = ui.render_answer(answer, "zh", docs)
    assert_safe(out)
    assert answer.found and answer.figures and answer.figures[0].text == "7%左右"
    # the direct answer first: the figure large, then its sentence with the figure marked, cited [n]
    assert out.index('class="qa-big">7%左右<') < out.index('class="qa-cites"')
    assert '<mark class="qa-fig qa-best">7%左右</mark>' in out
    assert "全年" not in out.split('class="qa-cites"')[0]  # the quoted sentence is the target's, not 2023's
    # numbered citations with section, period badge, expandable paragraph, and the time taken
    for i, p in enumerate(answer.passages, 1):
        assert f'href="#{ui.anchor(p.chunk_id)}"' in out and f">[{i}]</a>" in out
    assert "二、2024年重点工作" in out and 'qa-badge-targets">2024年目标<' in out
    assert "<details" in out and "展开全段" in out
    assert re.search(r"用时 \d+ 毫秒", out)
    en = ui.render_answer(answer, "en", docs)
    assert "2024 targets" in en and re.search(r"\d+ ms", en) and "Sources" in en


def test_render_not_found_offers_closest_passages(fake_assistant):
    base = fake_assistant.ask("今年光谷地区生产总值预期增长多少？")
    answer = Answer(question="火星上有多少人口？", found=False, passages=base.passages[:2], figures=(),
                    text="报告中没有找到这个问题的答案。", mode="hybrid", elapsed_ms=3.2)
    out = ui.render_answer(answer, "zh", {d.id: d for d in fake_assistant.documents})
    assert_safe(out)
    assert "报告中没有找到这个问题的答案" in out and "可能相关" in out
    assert "qa-direct" not in out and "qa-big" not in out
    assert out.count('class="qa-cite"') == 2
    empty = ui.render_answer(Answer(question="x", found=False, passages=()), "en", {})
    assert "does not answer" in empty and "qa-cite" not in empty


def test_render_answer_without_figures_quotes_top_passage(fake_assistant):
    base = fake_assistant.ask("今年光谷地区生产总值预期增长多少？")
    answer = Answer(question="q", found=True, passages=base.passages, figures=(), text=base.passages[0].text)
    out = ui.render_answer(answer, "zh", {})
    assert "qa-direct" in out and "qa-big" not in out and ">[1]</a>" in out


def test_payloads_are_escaped_everywhere(xss_assistant):
    docs = {d.id: d for d in xss_assistant.documents}
    answer = xss_assistant.ask(XSS_QUESTION)
    assert answer.found and any(SCRIPT in p.text or IMG in p.text for p in answer.passages)
    noted = Answer(question=XSS_QUESTION, found=answer.found, passages=answer.passages, figures=answer.figures,
                   text=answer.text, notes=(SCRIPT + IMG,))
    for lang in ("zh", "en"):
        out = ui.render_answer(noted, lang, docs)
        assert_safe(out)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
        assert "&lt;img src=x onerror=alert(1)&gt;" in out  # the section name (一)<img ...>
        source = ui.render_source(xss_assistant.documents, xss_assistant.index.chunks, lang)
        assert_safe(source)
        assert source.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # title, source line, heading, text
        for p in answer.passages:
            assert f'id="{ui.anchor(p.chunk_id)}"' in source
    question = ui.render_question(XSS_QUESTION)
    assert_safe(question)
    assert "<" not in question.replace('<span class="qa-q">', "").replace("</span>", "")
    assert_safe(ui.render_error(f"{SCRIPT}{IMG}"))
    rows = ui.figure_rows(xss_assistant.figures(), docs, "120亿元")
    assert rows and any(IMG in cell for cell in rows[0])  # the table gets plain text: Gradio shows it as text


def test_anchor_ids_are_safe():
    for chunk_id in ("donghu-2024-work-report#12", 'a"b<c>#1', "报告#3"):
        a = ui.anchor(chunk_id)
        assert re.fullmatch(r"qa-src-[A-Za-z0-9_-]+", a)
    assert ui.anchor("a#1") != ui.anchor("a_1")


def test_source_links_every_chunk(fake_assistant):
    out = ui.render_source(fake_assistant.documents, fake_assistant.index.chunks, "zh")
    assert_safe(out)
    for c in fake_assistant.index.chunks:
        assert f'id="{ui.anchor(c.id)}"' in out
    assert "一、2023年工作回顾" in out and "二、2024年重点工作" in out and "目录" in out
    # the text shown is the document's own text, in order
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    doc = fake_assistant.documents[0]
    assert doc.paragraphs[1].text in text and doc.paragraphs[-1].text in text


def test_figure_table_filters(fake_assistant):
    docs = {d.id: d for d in fake_assistant.documents}
    figures = fake_assistant.figures()
    assert figures, "the figure extractor found nothing"
    rows = ui.figure_rows(figures, docs)
    assert len(rows) == len(figures)
    gdp = ui.figure_rows(figures, docs, "地区生产总值")
    assert any(r[0] == "7%左右" and r[3] == "2024年目标" for r in gdp)
    targets = ui.figure_rows(figures, docs, period="2024年目标")
    assert targets and all(r[3] == "2024年目标" for r in targets)
    part = ui.figure_rows(figures, docs, section="一、2023年工作回顾")
    assert part and all(r[4].startswith("一、2023年工作回顾") for r in part)
    assert ui.figure_rows(figures, docs, "没有这个词xyz") == []
    en = ui.figure_rows(figures, docs, "地区生产总值", lang="en")
    assert any(r[3] == "2024 targets" for r in en)


def test_several_documents(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "donghu-2024-work-report.txt").write_text((ROOT / "corpus" / "donghu-2024-work-report.txt")
                                                        .read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "xss-report.txt").write_text(XSS_REPORT, encoding="utf-8")
    assistant = Assistant.load(corpus_dir=corpus, index_dir=tmp_path / "index", model=FakeEmbedder())
    assert len(assistant.documents) == 2
    app = ui.build_app(assistant)
    doc_filter = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "qa-doc")
    assert doc_filter.visible and len(doc_filter.choices) == 3  # 全部文档 + one per document
    docs = {d.id: d for d in assistant.documents}
    answer = assistant.ask("预算收入增长多少？", doc="xss-report")
    assert answer.passages and all(p.doc == "xss-report" for p in answer.passages)
    out = ui.render_answer(answer, "zh", docs)
    assert_safe(out)
    assert "qa-doc-name" in out and "东湖测试区2024年工作报告" in out  # several documents: each citation names its own
    source = ui.render_source(assistant.documents, assistant.index.chunks)
    assert_safe(source)
    assert source.count('class="qa-doc"') == 2


def test_parser_defaults_to_localhost():
    args = ui.build_parser().parse_args([])
    assert args.host == "127.0.0.1" and args.port == 7860
    args = ui.build_parser().parse_args(["--port", "9000", "--corpus", "c", "--index", "i", "--model", "m"])
    assert (args.port, str(args.corpus), str(args.index), args.model) == (9000, "c", "i", "m")


def test_main_reports_an_empty_corpus(tmp_path, capsys):
    assert ui.main(["--corpus", str(tmp_path), "--index", str(tmp_path / "index"), "--model", "unused"]) == 1
    assert "error" in capsys.readouterr().err


# --- the real server, through gradio_client -------------------------------------------------------


def check_answer(result: dict, question: str, expected: str, section: str) -> None:
    assert "error" not in result, result
    assert result["question"] == question
    assert result["found"] is True
    assert result["figures"], result["text"]
    top = result["passages"][0]
    assert expected in top["text"], (question, top["text"])
    assert section in top["section"], (question, top["section"])
    for p in result["passages"]:
        assert p["section"] and p["chunk_id"] and p["paragraph"]
        assert p["period"] is None or p["period"]["label"]


@pytest.mark.slow
def test_api_answers_five_questions(real_server):
    c = client(real_server)
    assert "/ask" in c.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for question, expected, section in REAL_QUESTIONS:
        result = c.predict(question, 5, "hybrid", api_name="/ask")
        check_answer(result, question, expected, section)
        assert len(result["passages"]) == 5
    first = c.predict(REAL_QUESTIONS[0][0], 3, "hybrid", api_name="/ask")
    assert first["figures"][0]["text"] == "7%左右"
    assert first["figures"][0]["period"]["label"] == "2024年目标"
    assert len(first["passages"]) == 3
    for mode in ("dense", "bm25"):
        assert c.predict(REAL_QUESTIONS[0][0], 5, mode, api_name="/ask")["mode"] == mode


@pytest.mark.slow
def test_api_bad_questions_return_error_json(real_server):
    c = client(real_server)
    for question, mode in (("", "hybrid"), ("   ", "hybrid"), ("？？？!!!", "hybrid"), ("地区生产总值", "nonsense")):
        result = c.predict(question, 5, mode, api_name="/ask")
        assert isinstance(result, dict) and result.get("error"), result
        assert re.search(r"[\u4e00-\u9fff]", result["error"]) and re.search(r"[a-z]{3}", result["error"])
        assert result["error_zh"] and result["error_en"]
    # the server still answers afterwards
    check_answer(c.predict(*REAL_QUESTIONS[0][:1], 5, "hybrid", api_name="/ask"), *REAL_QUESTIONS[0])


@pytest.mark.slow
def test_api_concurrent_questions(real_server):
    jobs = REAL_QUESTIONS * 4
    random.Random(6).shuffle(jobs)
    local = threading.local()

    def one(job):
        if not hasattr(local, "client"):
            local.client = client(real_server)
        question, expected, section = job
        return job, local.client.predict(question, 5, "hybrid", api_name="/ask")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(one, jobs))
    assert len(results) == 20
    for (question, expected, section), result in results:
        check_answer(result, question, expected, section)
    assert time.perf_counter() - t0 < 60


class SlowAssistant:
    """An Assistant that takes its time, to fill the queue."""

    def __init__(self, inner, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.documents = inner.documents
        self.index = inner.index
        self.settings = inner.settings
        self.figures = inner.figures

    def ask(self, *args, **kwargs):
        time.sleep(self.delay)
        return self.inner.ask(*args, **kwargs)


def test_full_queue_says_busy(fake_assistant):
    from gradio_client.utils import QueueError

    app = ui.build_app(SlowAssistant(fake_assistant, 0.8), concurrency=1, max_queue=1)
    url = start(app)
    try:
        clients = [client(url) for _ in range(5)]
        jobs = [c.submit("今年光谷地区生产总值预期增长多少？", 5, "hybrid", api_name="/ask") for c in clients]
        answered, busy = 0, 0
        for job in jobs:
            try:
                result = job.result(timeout=30)
                assert result["found"] and result["question"] == "今年光谷地区生产总值预期增长多少？"
                answered += 1
            except QueueError as e:
                assert "full" in str(e).lower() or "try again" in str(e).lower()
                busy += 1
        assert answered >= 1 and busy >= 1, (answered, busy)
    finally:
        app.close()
