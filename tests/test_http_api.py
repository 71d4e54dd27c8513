"""POST /api/ask and GET /api/documents (qa/http_api.py) on a real server (fake model): answers as the
Assistant gives them, a question limited to one report, bad requests refused with a bilingual message and
nothing answered, busy past the queue, the loaded reports listed as the page lists them."""
from __future__ import annotations

import json
import shutil
import socket
import sys
import threading
from pathlib import Path

import httpx
import pytest

from fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ui  # noqa: E402
from qa import Assistant  # noqa: E402
from qa.http_api import api_routes, parse_request  # noqa: E402
from qa.errors import QuestionError  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    return Assistant.load(corpus_dir=ROOT / "corpus", index_dir=tmp_path_factory.mktemp("index"), model=FakeEmbedder())


def _serve(assistant, **kw):
    app = ui.build_app(assistant)
    port = _port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
               app_kwargs={"routes": api_routes(assistant, **kw)})
    return app, f"http://127.0.0.1:{port}"


def test_answers_equal_the_assistants(assistant):
    app, url = _serve(assistant)
    try:
        with httpx.Client(timeout=60) as c:
            for q, k, mode in (("2023年地区生产总值是多少", 3, "hybrid"), ("新增学位", 5, "bm25"), ("高企总数", 1, "dense")):
                r = c.post(f"{url}/api/ask", json={"question": q, "top_k": k, "mode": mode})
                assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
                data = r.json()
                want = assistant.ask(q, top_k=k, mode=mode).to_dict()
                assert data["question"] == q and data["mode"] == mode
                assert [p["chunk_id"] for p in data["passages"]] == [p["chunk_id"] for p in want["passages"]]
                assert data["text"] == want["text"]
            assert c.get(f"{url}/").status_code == 200  # the page is still there
    finally:
        app.close()


@pytest.mark.parametrize("body, why", [
    (b"{", "JSON"), (b"[]", "question"), (json.dumps({"question": 3}).encode(), "question"),
    (json.dumps({"question": "光谷", "top_k": 0}).encode(), "top_k"),
    (json.dumps({"question": "光谷", "top_k": True}).encode(), "top_k"),
    (json.dumps({"question": "光谷", "mode": "sql"}).encode(), "mode"),
    ("\ufeff".encode("utf-16"), "JSON"),
])
def test_bad_requests_are_refused(body, why):
    with pytest.raises(QuestionError, match=why):
        parse_request(body)


def test_refusals_on_the_wire_and_busy(assistant):
    app, url = _serve(assistant, concurrency=1, max_queue=0)
    gate, started = threading.Event(), threading.Event()
    real_ask = assistant.ask

    def slow_ask(*a, **kw):  # holds the one worker until the test lets it go
        started.set()
        gate.wait(30)
        return real_ask(*a, **kw)

    try:
        with httpx.Client(timeout=60) as c:
            r = c.post(f"{url}/api/ask", json={"question": "   "})
            assert r.status_code == 400 and r.json()["error_zh"] and r.json()["error_en"]
            r = c.post(f"{url}/api/ask", content=b"not json", headers={"content-type": "application/json"})
            assert r.status_code == 400 and "JSON" in r.json()["error"]
            assistant.ask = slow_ask  # one answer in progress fills concurrency 1 with no queue
            first = threading.Thread(target=lambda: httpx.post(f"{url}/api/ask", json={"question": "新增学位"}, timeout=60))
            first.start()
            assert started.wait(30)
            r = c.post(f"{url}/api/ask", json={"question": "高企总数"})
            assert r.status_code == 503 and "busy" in r.json()["error_en"]
            gate.set()
            first.join()
            assistant.ask = real_ask
            assert c.post(f"{url}/api/ask", json={"question": "高企总数"}).status_code == 200
    finally:
        gate.set()
        assistant.ask = real_ask
        app.close()


def test_context_is_read_like_the_pages():
    assert parse_request(json.dumps({"question": "那增速呢？"}).encode()).context is None
    assert parse_request(json.dumps({"question": "那增速呢？", "context": "2023年GDP是多少？"}).encode()).context \
        == "2023年GDP是多少？"
    assert parse_request(json.dumps({"question": "今年呢？", "context": ["2023年GDP是多少？", "那增速呢？"]}).encode()).context \
        == ["2023年GDP是多少？", "那增速呢？"]
    for bad in (3, {"q": 1}, [1, 2], ["x"] * 21):
        with pytest.raises(QuestionError, match="context"):
            parse_request(json.dumps({"question": "那增速呢？", "context": bad}).encode())


def test_follow_up_over_json(assistant):
    app, url = _serve(assistant)
    try:
        with httpx.Client(timeout=60) as c:
            for context in ("2023年光谷GDP是多少？", ["2023年光谷GDP是多少？"]):
                r = c.post(f"{url}/api/ask", json={"question": "那增速呢？", "context": context})
                assert r.status_code == 200
                want = assistant.ask("那增速呢？", context="2023年光谷GDP是多少？").to_dict()
                assert r.json()["text"] == want["text"] and r.json()["status"] == want["status"]
            third = c.post(f"{url}/api/ask", json={"question": "今年呢？",
                                                   "context": ["2023年光谷GDP是多少？", "那增速呢？"]}).json()
            want = assistant.ask("今年呢？", context=assistant.analyse("那增速呢？", "2023年光谷GDP是多少？")).to_dict()
            assert third["text"] == want["text"]
    finally:
        app.close()


# --- one report of several: "doc", and GET /api/documents -------------------------------------------


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory):
    """The 光谷 report and the 2021 national one: two areas, two years, so a limit to one report shows."""
    folder = tmp_path_factory.mktemp("two-reports")
    for path in (ROOT / "corpus" / "donghu-2024-work-report.txt",
                 ROOT / "corpus" / "reports" / "national-2021-work-report.txt"):
        shutil.copyfile(path, folder / path.name)
    return Assistant.load(corpus_dir=folder, index_dir=folder / "index", model=FakeEmbedder())


@pytest.mark.parametrize("doc, why", [
    (3, "doc must be the id"), (["donghu-2024-work-report"], "doc must be the id"), ({"id": "x"}, "doc must be"),
    (True, "doc must be"), ("", "no loaded document"), ("national-2022-work-report", "no loaded document"),
    ("donghu-2024-work-report.txt", "no loaded document"), ("x" * 5000, "no loaded document"),
])
def test_a_doc_that_is_not_a_loaded_reports_id_is_refused(doc, why):
    body = json.dumps({"question": "地区生产总值增长多少", "doc": doc}).encode()
    with pytest.raises(QuestionError, match=why) as e:
        parse_request(body, documents={"donghu-2024-work-report"})
    assert len(str(e.value)) < 300  # a long id is not echoed whole
    asked = parse_request(json.dumps({"question": "地区生产总值增长多少", "doc": "donghu-2024-work-report"}).encode(),
                          documents={"donghu-2024-work-report"})
    assert asked.doc == "donghu-2024-work-report"
    assert parse_request(json.dumps({"question": "光谷", "doc": None}).encode(), documents=set()).doc is None


def test_doc_limits_the_answer_to_that_report(two_reports):
    app, url = _serve(two_reports)
    ids = sorted(two_reports.index.documents)
    question = "国内生产总值增长多少"
    try:
        with httpx.Client(timeout=60) as c:
            free = c.post(f"{url}/api/ask", json={"question": question, "top_k": 10}).json()
            assert {p["doc"] for p in free["passages"]} == set(ids)  # both reports answer when no doc is named
            for doc in ids:
                r = c.post(f"{url}/api/ask", json={"question": question, "top_k": 10, "doc": doc})
                assert r.status_code == 200
                data = r.json()
                assert data["passages"] and {p["doc"] for p in data["passages"]} == {doc}
                assert all(f["doc"] == doc for f in data["figures"])
                want = two_reports.ask(question, top_k=10, doc=doc).to_dict()
                assert [p["chunk_id"] for p in data["passages"]] == [p["chunk_id"] for p in want["passages"]]
            # an unknown id, or one that is not text: 400, the same body as every other refusal, nothing answered
            calls = []
            real_ask = two_reports.ask
            two_reports.ask = lambda *a, **kw: calls.append(a) or real_ask(*a, **kw)
            try:
                for doc in ("national-2022-work-report", 2021, ["donghu-2024-work-report"]):
                    r = c.post(f"{url}/api/ask", json={"question": question, "doc": doc})
                    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
                    data = r.json()
                    assert set(data) == {"error", "error_zh", "error_en"}
                    assert data["error"] == f"{data['error_zh']} / {data['error_en']}" and "doc" in data["error_en"]
                assert calls == []
            finally:
                two_reports.ask = real_ask
    finally:
        app.close()


def test_documents_are_listed_as_the_page_lists_them(two_reports):
    from qa.profile import profile_of

    app, url = _serve(two_reports)
    try:
        with httpx.Client(timeout=60) as c:
            r = c.get(f"{url}/api/documents")
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
            data = r.json()
            assert c.post(f"{url}/api/documents", json={}).status_code == 405
    finally:
        app.close()
    docs = two_reports.documents
    assert data["count"] == 2 and [d["id"] for d in data["documents"]] == [d.id for d in docs]  # the page's order
    for entry, d in zip(data["documents"], docs):
        p = profile_of(d)
        assert (entry["title"], entry["date"], entry["issuer"], entry["area"], entry["level"], entry["year"]) == \
            (d.title, d.date, p.issuer, p.area, p.level, p.year)
        assert entry["forms"] == list(p.forms) and len(entry["parts"]) == len(p.parts)
    by_id = {e["id"]: e for e in data["documents"]}
    assert (by_id["national-2021-work-report"]["area"], by_id["national-2021-work-report"]["year"]) == ("中国", 2021)
    assert by_id["national-2021-work-report"]["issuer"] == "国务院"
    assert by_id["donghu-2024-work-report"]["year"] == 2024
    assert data["years"] == [2021, 2024] and sorted(data["areas"]) == sorted({e["area"] for e in data["documents"]})
    # every id listed is one "doc" takes
    for entry in data["documents"]:
        assert parse_request(json.dumps({"question": "光谷", "doc": entry["id"]}).encode(),
                             documents=two_reports.index.documents).doc == entry["id"]
