"""The web page's server (ui.py over qa/web): the entry point, the /ask API through gradio_client,
the queue, the security headers, several documents. The pure renderers are in test_web_render.py,
the page in a real browser in test_ui_browser.py.

The API and concurrency tests start the real app on a free port of 127.0.0.1 with the real model
(`real_assistant` from conftest.py); the rest use a FakeEmbedder-backed Assistant (fast).
"""
from __future__ import annotations

import random
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),  # inside Gradio's queue, not ours
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

import ui  # noqa: E402
from test_web_render import XSS_REPORT, assert_safe  # noqa: E402
from qa import Assistant  # noqa: E402
from qa.web.render import render_answer  # noqa: E402
from qa.web.source import render_source  # noqa: E402

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
    out = render_answer(answer, "zh", docs)
    assert_safe(out)
    assert "qa-doc-name" in out and "东湖测试区2024年工作报告" in out  # several documents: each citation names its own
    source = render_source(assistant.documents, assistant.index.chunks)
    assert_safe(source)
    assert source.count('class="qa-doc"') == 2


def test_parser_defaults_to_localhost():
    args = ui.build_parser().parse_args([])
    assert args.host == "127.0.0.1" and args.port == 7860
    args = ui.build_parser().parse_args(["--port", "9000", "--corpus", "c", "--index", "i", "--model", "m"])
    assert (args.port, str(args.corpus), str(args.index), args.model) == (9000, "c", "i", "m")


def test_server_settings_layer_defaults_env_and_flags(monkeypatch):
    """A server runs SERVER_DEFAULTS (a one-thread pass per core) unless
    a QA_* variable or a flag says otherwise; the CLI's defaults are not the server's."""
    from qa.config import SERVER_DEFAULTS, Settings
    from qa.web.serve import server_settings

    for name in ("QA_ENCODER", "QA_ENCODER_THREADS", "QA_ENCODER_LANES"):
        monkeypatch.delenv(name, raising=False)
    s = server_settings(ui.build_parser().parse_args([]))
    assert (s.encoder, s.encoder_threads, s.encoder_lanes) == ("onnx-query-int8", 1, 0)
    assert (s.encoder_threads, s.encoder_lanes) == tuple(SERVER_DEFAULTS.values())
    assert (Settings.from_env().encoder, Settings.from_env().encoder_threads) == ("onnx-query-int8", 0)
    monkeypatch.setenv("QA_ENCODER", "onnx")
    monkeypatch.setenv("QA_ENCODER_LANES", "3")
    s = server_settings(ui.build_parser().parse_args(["--encoder-threads", "2"]))
    assert (s.encoder, s.encoder_threads, s.encoder_lanes) == ("onnx", 2, 3)
    s = server_settings(ui.build_parser().parse_args(["--encoder", "onnx-int8", "--encoder-lanes", "1"]))
    assert (s.encoder, s.encoder_lanes) == ("onnx-int8", 1)


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


# --- security headers, uploads, follow-ups ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_server(fake_assistant, tmp_path_factory):
    from qa.feedback import FeedbackStore

    app = ui.build_app(fake_assistant, feedback=FeedbackStore(tmp_path_factory.mktemp("fb") / "f.sqlite3"))
    url = start(app).rstrip("/")
    yield app, url
    app.close()


def test_security_headers_on_every_response(fake_server):
    import httpx

    app, url = fake_server
    with httpx.Client(timeout=30) as c:
        responses = [c.get(url), c.get(f"{url}/config"), c.get(f"{url}/gradio_api/info"),
                     c.get(f"{url}/no-such-page"), c.post(f"{url}/gradio_api/call/ask", json={"data": ["GDP", 5, "hybrid"]})]
        asset = re.search(r'src="([^"]+\.js)"', responses[0].text)
        if asset:
            responses.append(c.get(url + "/" + asset.group(1).lstrip("./")))
    for r in responses:
        h = r.headers
        csp = h.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp and "object-src 'none'" in csp, r.url
        assert h.get("x-frame-options") == "SAMEORIGIN" and h.get("x-content-type-options") == "nosniff", r.url
        assert h.get("referrer-policy") == "strict-origin-when-cross-origin", r.url
    assert responses[0].status_code == 200 and responses[3].status_code == 404


def test_uploads_are_refused(fake_server):
    import httpx

    app, url = fake_server
    with httpx.Client(timeout=30) as c:
        for size in (2048, 2 * 2**20):
            r = c.post(f"{url}/gradio_api/upload", files={"files": ("x.txt", b"x" * size, "text/plain")})
            assert r.status_code == 413, (size, r.status_code)


@pytest.mark.slow
def test_api_follow_up_takes_the_previous_question(real_server):
    c = client(real_server)
    alone = c.predict("那去年呢？", 5, "hybrid", None, api_name="/ask")
    follow = c.predict("那去年呢？", 5, "hybrid", "今年光谷地区生产总值预期增长多少？", api_name="/ask")
    assert alone["status"] == "not_found"
    assert follow["status"] == "figure" and follow["figures"][0]["text"] == "4.7%", follow["text"]
    assert follow["figures"][0]["period"]["label"] == "2023年实绩"
    assert c.predict("那去年呢？", 5, "hybrid", api_name="/ask")["status"] == "not_found"  # context is optional
    first = c.predict("今年光谷地区生产总值预期增长多少？", 5, "hybrid", api_name="/ask")
    assert first["status"] == "figure" and first["related"]
