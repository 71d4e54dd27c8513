"""The real server (ui.build_app on 127.0.0.1, in this process) under load, past capacity and under
attack: 500 questions from 20 clients with no cross-talk and stable memory; a tiny queue that says
"busy"; the bind address; paths outside the app; payloads in questions and documents; huge request
bodies; and what is (not) logged. What each test proves is listed in docs/SERVICE.md.
"""
from __future__ import annotations

import io
import json
import logging
import os
import random
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

import ui  # noqa: E402
from qa import Assistant, Settings  # noqa: E402
from qa.index import live_build  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

GOLD = ROOT / "corpus" / "gold" / "donghu-2024-work-report.jsonl"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PAYLOAD_REPORT = f"""东湖测试区2024年工作报告{SCRIPT}

一、2023年工作回顾{IMG}

(一){SCRIPT}预算安排稳步推进。全年预算收入增长5%,总量达到{IMG}120亿元,其中税收收入增长8%。"><svg onload=alert(1)>

(二)民生保障持续加强。新增就业岗位3万个,<a href="javascript:alert(1)">建成</a>养老服务中心12家。

二、2024年重点工作

今年全区预算收入预期增长6%左右,新增就业岗位3.5万个以上,<b onmouseover=alert(1)>加快</b>建设人才公寓5000套。
"""


# --- helpers -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(assistant, **kw):
    app = ui.build_app(assistant, **kw)
    port = free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    return app, f"http://127.0.0.1:{port}"


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def sse_events(text: str) -> list[tuple[str, object]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.strip().splitlines() if ": " in line)
        if "event" in fields:
            out.append((fields["event"], json.loads(fields.get("data", "null"))))
    return out


def ask(client: httpx.Client, base: str, question, top_k=5, mode="hybrid", body: bytes | None = None):
    """POST /gradio_api/call/ask, then read its event stream: (HTTP status, event, data)."""
    if body is None:
        body = json.dumps({"data": [question, top_k, mode]}, ensure_ascii=False).encode("utf-8")
    r = client.post(f"{base}/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    if r.status_code != 200:
        return r.status_code, None, r.text
    r = client.get(f"{base}/gradio_api/call/ask/{r.json()['event_id']}")
    final = [(e, d) for e, d in sse_events(r.text) if e in ("complete", "error")]
    assert final, r.text[:300]
    event, data = final[-1]
    return 200, event, data[0] if event == "complete" else data


def raw_get(port: int, path: str, extra: bytes = b"") -> tuple[int, bytes]:
    """A GET with the path exactly as written (no client-side normalisation of ../ or %2e)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode() + extra + b"\r\n")
        data = b""
        try:
            while chunk := s.recv(1 << 16):
                data += chunk
        except ConnectionResetError:  # the server refused the request by closing the connection
            pass
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


def chat(client: httpx.Client, base: str, app, question: str) -> str:
    """Send `question` through the page's own chat handler (the queue, as the browser does) and
    return the HTML of the chat messages it sends back."""
    fn_index, fn = next((i, fn) for i, fn in app.fns.items() if fn.name == "respond")
    values = {"qa-question": question, "qa-topk": 5, "qa-mode": "hybrid", "qa-doc": "", "qa-english": False}
    data = [values.get(getattr(block, "elem_id", None)) for block in fn.inputs]  # session state: None
    session = uuid.uuid4().hex
    r = client.post(f"{base}/gradio_api/queue/join", json={
        "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None})
    assert r.status_code == 200, r.text
    with client.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and "process_completed" in line:
                msg = json.loads(line[5:])
                assert msg["success"], msg
                history = msg["output"]["data"][1]
                return "\n".join(part["text"] for m in history for part in m["content"] if part.get("type") == "text")
    raise AssertionError("no answer")


# --- the real server -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(real_assistant):
    """The real index and model behind a fresh Assistant (its query cache empty), served on 127.0.0.1."""
    fresh = Assistant(real_assistant.index, real_assistant.model, real_assistant.settings)
    app, url = launch(fresh)
    yield app, url, fresh
    app.close()


def gold_questions(n: int, seed: int = 9) -> list[str]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = sorted({r["question"] for r in rows})
    random.Random(seed).shuffle(questions)
    return questions[:n]


@pytest.mark.slow
def test_500_questions_from_20_clients(server, real_assistant):
    """500 questions (60 distinct gold questions, top_k 1-10) from 20 concurrent clients: no errors,
    each answer is the one for its own question (the question echoed, the passages those the API
    gives for it asked alone), RSS at the end <= 1.2x RSS after the first 50. Prints throughput and
    latency percentiles."""
    app, url, _ = server
    questions = gold_questions(60)
    # the answer to each question asked alone, by another Assistant (its own cache) on the same index
    alone = Assistant(real_assistant.index, real_assistant.model, real_assistant.settings)
    expected = {q: [p.chunk_id for p in alone.ask(q, top_k=10).passages] for q in questions}
    rng = random.Random(500)
    jobs = [(rng.choice(questions), rng.randint(1, 10)) for _ in range(500)]
    per_client = [jobs[i::20] for i in range(20)]
    done, lock = [0], threading.Lock()
    rss = {}
    latencies: list[float] = []
    failures: list[str] = []

    def client_run(my_jobs):
        with httpx.Client(timeout=120) as c:
            for question, top_k in my_jobs:
                t0 = time.perf_counter()
                try:
                    status, event, data = ask(c, url, question, top_k)
                except Exception as e:  # noqa: BLE001 - counted as a failure
                    status, event, data = -1, None, repr(e)
                elapsed = time.perf_counter() - t0
                ok = (status == 200 and event == "complete" and isinstance(data, dict) and "error" not in data
                      and data["question"] == question
                      and [p["chunk_id"] for p in data["passages"]] == expected[question][:top_k])
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        failures.append(f"{question!r} k={top_k}: {status} {event} {str(data)[:200]}")
                    done[0] += 1
                    if done[0] == 50:
                        rss["first50"] = rss_mb()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(client_run, per_client))
    wall = time.perf_counter() - t0
    rss["end"] = rss_mb()
    latencies.sort()
    p50, p95, p99 = (latencies[int(len(latencies) * q) - 1] for q in (0.5, 0.95, 0.99))
    print(f"\nload: 500 requests, 20 clients, {wall:.1f} s, {500 / wall:.1f} req/s, latency p50 {p50 * 1000:.0f} ms "
          f"p95 {p95 * 1000:.0f} ms p99 {p99 * 1000:.0f} ms max {latencies[-1] * 1000:.0f} ms, "
          f"RSS {rss['first50']:.0f} MB after 50 -> {rss['end']:.0f} MB, errors {len(failures)}")
    assert not failures, failures[:5]
    assert len(latencies) == 500
    assert rss["end"] <= 1.2 * rss["first50"], rss
    assert wall < 240


@pytest.mark.slow
def test_server_still_answers_after_bad_requests(server):
    """A burst of malformed and hostile requests, then a normal question still gets its answer."""
    app, url, assistant = server
    bodies = [b"", b"{", b"[]", b'{"data": null}', b'{"data": [1, 2, 3, 4, 5, 6]}', b"\x00" * 1000,
              json.dumps({"data": ["\x00\ud800" * 100, "5", "hybrid"]}).encode(),
              json.dumps({"data": ["GDP", 10**100, "dense"]}).encode(),
              json.dumps({"data": [{"$gt": ""}, 5, "hybrid"]}).encode(),
              json.dumps({"data": ["GDP", 5, "../../etc/passwd"]}).encode()]
    with httpx.Client(timeout=60) as c:
        for body in bodies:
            status, event, data = ask(c, url, None, body=body)
            assert status in (200, 400, 422), (body[:40], status, data)
            if status == 200 and event == "complete":
                assert isinstance(data, dict) and (data.get("error") or data.get("passages") is not None)
        status, event, data = ask(c, url, "2023年地区生产总值是多少？")
    assert (status, event) == (200, "complete") and data["found"] and "2715亿元" in data["passages"][0]["text"]


# --- past capacity ---------------------------------------------------------------------------------------


class SlowAssistant:
    def __init__(self, inner, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.documents, self.index, self.settings, self.figures = inner.documents, inner.index, inner.settings, inner.figures

    def ask(self, *args, **kwargs):
        time.sleep(self.delay)
        return self.inner.ask(*args, **kwargs)


@pytest.fixture(scope="module")
def fake_assistant(tmp_path_factory):
    return Assistant.load(corpus_dir=ROOT / "corpus", index_dir=tmp_path_factory.mktemp("load-index"),
                          model=FakeEmbedder())


def test_full_queue_answers_busy_at_once(fake_assistant):
    """One answer at a time, two waiting: of 10 simultaneous requests the ones past capacity get
    HTTP 503 "Queue is full" within seconds (not a silent timeout), the rest are answered, and the
    server answers normally afterwards."""
    app, url = launch(SlowAssistant(fake_assistant, 0.6), concurrency=1, max_queue=2)
    try:
        results = []

        def one(i):
            t0 = time.perf_counter()
            with httpx.Client(timeout=60) as c:
                status, event, data = ask(c, url, f"2023年地区生产总值是多少 {i}")
            results.append((status, event, data, time.perf_counter() - t0))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(results) == 10
        busy = [r for r in results if r[0] == 503]
        answered = [r for r in results if r[0] == 200]
        assert busy and answered and len(busy) + len(answered) == 10, [(r[0], str(r[2])[:80]) for r in results]
        for status, _, data, elapsed in busy:
            assert "Queue is full" in data and elapsed < 15
        for status, event, data, _ in answered:
            assert event == "complete" and data["passages"]
        with httpx.Client(timeout=60) as c:
            assert ask(c, url, "新增学位")[1] == "complete"
    finally:
        app.close()


# --- security: where it listens, what it serves ------------------------------------------------------


def test_binds_loopback_by_default(fake_assistant, monkeypatch):
    """`python ui.py` and `qa serve` listen on 127.0.0.1 unless told otherwise, and a launched
    server has a listening socket on 127.0.0.1 only (read from /proc/net, no traffic sent)."""
    from qa.cli import build_parser

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    seen = {}
    from qa.web import app as web_app, serve

    monkeypatch.setattr(serve.Assistant, "load", classmethod(lambda cls, **kw: fake_assistant))
    monkeypatch.setattr(web_app.QABlocks, "launch", lambda self, *a, **kw: seen.update(kw))
    assert ui.main([]) == 0
    assert seen["server_name"] == "127.0.0.1" and not seen.get("share")
    monkeypatch.undo()

    app, url = launch(fake_assistant)
    try:
        port = int(url.rsplit(":", 1)[1])
        listening = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            if not os.path.exists(table):
                continue
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                addr, hexport = cols[1].rsplit(":", 1)
                if int(hexport, 16) == port and cols[3] == "0A":  # LISTEN
                    listening.append(addr)
        assert listening == ["0100007F"], listening  # 127.0.0.1, and not 0.0.0.0 or ::
    finally:
        app.close()


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("payload-corpus")
    (corpus / "payload-report.txt").write_text(PAYLOAD_REPORT, encoding="utf-8")
    index = tmp_path_factory.mktemp("payload-index")
    assistant = Assistant.load(corpus_dir=corpus, index_dir=index, model=FakeEmbedder())
    app, url = launch(assistant)
    yield app, url, corpus, index
    app.close()


def test_no_file_outside_the_app_is_served(payload_site):
    """../ in every spelling, /file= with absolute paths, the index and corpus files by URL, the
    model cache, /proc, file:// and URL fetches: 4xx, and never the file's content."""
    app, url, corpus, index = payload_site
    port = int(url.rsplit(":", 1)[1])
    build = live_build(index)
    manifest = build / "manifest.json"
    doc = corpus / "payload-report.txt"
    model_cache = Settings().model_cache_dir
    secrets = [b"root:x:0:0", b"model_fingerprint", "预算安排稳步推进".encode(), b"def build_app", b"PATH="]
    targets = ["/etc/passwd", str(manifest), str(build / "chunks" / "pool_blob.npy"), str(index / "CURRENT"), str(doc),
               str(ROOT / "ui.py"), "ui.py", "corpus/donghu-2024-work-report.txt", "index/CURRENT",
               "/proc/self/environ", "/proc/self/cmdline", str(model_cache), "file:///etc/passwd",
               f"http://127.0.0.1:{port}/config"]
    paths = []
    for t in targets:
        paths += [f"/gradio_api/file={t}", f"/file={t}", f"/gradio_api/file={t.replace('/', '%2F')}"]
    paths += [
        "/../../../../etc/passwd", "/..%2f..%2f..%2fetc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
        "/static/../../../../etc/passwd", "/assets/../../../../../etc/passwd", "/assets/..%2f..%2f..%2fui.py",
        "/gradio_api/file=../../../../etc/passwd", "/gradio_api/file=..%2f..%2f..%2fetc%2fpasswd",
        "/gradio_api/file=%252e%252e%252f%252e%252e%252fetc%252fpasswd", "/gradio_api/file=//etc/passwd",
        "/gradio_api/file=/tmp/gradio/../../etc/passwd", "/gradio_api/file=/tmp/gradio/%2e%2e/%2e%2e/etc/passwd",
        f"/gradio_api/file=/tmp/gradio/../..{manifest}", "/gradio_api/file=\\..\\..\\etc\\passwd",
        f"/gradio_api/proxy=http://127.0.0.1:{port}/config", "/gradio_api/file=%00/etc/passwd",
        "/gradio_api/file=" + "../" * 40 + "etc/passwd", f"/gradio_api/file={str(ROOT / 'corpus')}/",
    ]
    for path in paths:
        status, data = raw_get(port, path)
        assert 400 <= status < 500, (path, status, data[:200])
        for s in secrets:
            assert s not in data, (path, s)
    # the page itself and its API description are served
    assert raw_get(port, "/")[0] == 200 and raw_get(port, "/gradio_api/info")[0] == 200


SAFE_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "button", "section", "div", "span", "strong", "blockquote", "a", "ol", "li", "details", "summary", "mark", "h1", "h2", "h3",
             "p", "article", "nav", "ul", "em", "br"}


def assert_inert(markup: str) -> None:
    """Only the page's own tags, no event handler, no javascript: URL, no raw payload tag."""
    from html.parser import HTMLParser

    tags: list[tuple[str, list]] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, attrs))

    P(convert_charrefs=True).feed(markup)
    for tag, attrs in tags:
        assert tag in SAFE_TAGS, f"<{tag}> in the HTML"
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction"):  # data-* attributes (the copy text) hold text
                assert "javascript:" not in (value or "").lower(), (tag, name, value)
    for raw in ("<script", "<img", "<svg", "<b ", "<a href=\"javascript"):
        assert raw not in markup, raw


def test_payloads_are_escaped_on_the_wire(payload_site):
    """Script and event-handler payloads in a question and in a document come back from the live
    server (the chat handler and the page config) as text: &lt;script&gt;, never a raw tag."""
    app, url, _, _ = payload_site
    question = f"{SCRIPT}预算收入增长多少？{IMG}"
    with httpx.Client(timeout=60) as c:
        html_out = chat(c, url, app, question)
        config = c.get(f"{url}/config").json()
    assert "&lt;script&gt;alert" in html_out and "&lt;img src=x onerror" in html_out
    assert "预算" in html_out and "qa-cite" in html_out  # the payload document's passages are in the answer
    assert_inert(html_out)
    # every HTML component of the page (the report, banner, notices) holds the payloads escaped
    htmls = [c["props"].get("value") for c in config["components"] if c.get("type") == "html"]
    page = "\n".join(h for h in htmls if isinstance(h, str))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert_inert(page)


def test_huge_request_bodies(payload_site):
    """20 MB request bodies: a 20 MB question is answered from its first 500 characters with a
    note, 20 MB of garbage is refused with 4xx, a 20 MB upload is refused with 413; the server
    keeps answering, within seconds, and its memory comes back down."""
    app, url, _, _ = payload_site
    mb20 = 20 * 2**20
    with httpx.Client(timeout=180) as c:
        base_rss = rss_mb()
        t0 = time.perf_counter()
        status, event, data = ask(c, url, "预算收入" + "增" * (mb20 // 3))  # 20 MB of UTF-8
        assert (status, event) == (200, "complete"), (status, str(data)[:200])
        assert any("500" in n for n in data["notes"]) and data["passages"]
        assert time.perf_counter() - t0 < 90
        status, _, data = ask(c, url, None, body=b"{" * mb20)
        assert 400 <= status < 500
        uploads = Path(app.server_app.uploaded_file_dir)
        stored = sorted(uploads.rglob("*")) if uploads.exists() else []
        r = c.post(f"{url}/gradio_api/upload", files={"files": ("big.bin", b"\x00" * mb20, "application/octet-stream")})
        assert r.status_code == 413, (r.status_code, r.text[:200])
        assert (sorted(uploads.rglob("*")) if uploads.exists() else []) == stored  # nothing kept
        status, event, data = ask(c, url, "新增就业岗位多少")
        assert (status, event) == (200, "complete") and data["passages"]
    # headers too large or too many: refused by the HTTP layer, not a crash
    port = int(url.rsplit(":", 1)[1])
    status, _ = raw_get(port, "/", b"X-Big: " + b"a" * (256 * 1024) + b"\r\n")
    assert status in (0, 400, 413, 431)
    assert raw_get(port, "/gradio_api/info")[0] == 200
    assert rss_mb() < base_rss + 600


# --- logging ----------------------------------------------------------------------------------------------

MARKER = "私密标记-7f3a9c"


def test_questions_are_not_logged_unless_asked(payload_site, fake_assistant, caplog, capfd):
    """With log_questions off (the default) no log record and no output of the server holds the
    text of a question, on any path: the API, the chat handler, the web /ask endpoint, and a failing
    answer. With log_questions on, the API logs it."""
    app, url, _, _ = payload_site
    question = f"{MARKER} 预算收入增长多少"
    caplog.set_level(logging.DEBUG)
    assert fake_assistant.settings.log_questions is False
    fake_assistant.ask(question)
    with httpx.Client(timeout=60) as c:
        assert ask(c, url, question)[1] == "complete"
        chat(c, url, app, question)
    # an answer that fails inside the page: logged with its traceback, without the question
    broken = SlowAssistant(fake_assistant, 0)
    broken.ask = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
    app2, url2 = launch(broken)
    try:
        with httpx.Client(timeout=60) as c:
            assert "error" in ask(c, url2, question)[2]
            assert "qa-error" in chat(c, url2, app2, question)
    finally:
        app2.close()
    assert any("boom" in (r.exc_text or "") or "failed" in r.getMessage() for r in caplog.records)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    out, err = capfd.readouterr()
    for where in (logged, out, err):
        assert MARKER not in where
    caplog.clear()
    talkative = Assistant(fake_assistant.index, fake_assistant.model, fake_assistant.settings.with_(log_questions=True))
    talkative.ask(question)
    assert any(MARKER in r.getMessage() for r in caplog.records)


def test_logging_survives_odd_unicode(fake_assistant, capsys):
    """Questions with lone surrogates, NUL, RTL marks, emoji logged (log_questions on) through a
    handler writing strict UTF-8: no logging error, and the odd characters appear escaped."""
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("qa")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    talkative = Assistant(fake_assistant.index, fake_assistant.model, fake_assistant.settings.with_(log_questions=True))
    try:
        for q in ("地区生产总值\ud800是多少", "\x00GDP\x00", "\u202e\u200f预算\u202c", "😀 新增学位 \U0010ffff", "a" * 10_000):
            talkative.ask(q)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert "Logging error" not in capsys.readouterr().err
    text = stream.buffer.getvalue().decode("utf-8")
    assert "\\ud800" in text and "\\x00" in text and "\\u202e" in text and "😀" in text
    assert max(len(line) for line in text.splitlines()) < 2500  # long questions are cut in the log
