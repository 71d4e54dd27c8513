"""The web server as users meet it: time from `python ui.py` to a page that answers, then 20 clients
asking 1,000 distinct questions through the named /ask endpoint (the HTTP API the page documents).

The server runs in its own process (as in production); the clients are threads here, each with its
own HTTP connection, asking back to back. Every question text is new (the gold questions cycled with a
prefix or suffix), so the server's query cache never answers for the model.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from qa.config import ROOT

from .common import _child_env, say, stats


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(corpus_dir: str, index_dir: str, env_extra: dict[str, str] | None = None,
                 timeout: float = 600.0) -> tuple[subprocess.Popen, str, float]:
    """`python ui.py` on a free port; returns the process, its URL and seconds from launch until the
    API answered its first question."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "ui.py"), "--port", str(port), "--corpus", corpus_dir,
                             "--index", index_dir], cwd=str(ROOT), env=_child_env(env_extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with httpx.Client(timeout=30) as c:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ui.py exited ({proc.returncode}): {(proc.stderr.read() or '')[-2000:]}")
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                raise RuntimeError("ui.py did not answer in time")
            try:
                if c.get(url + "/").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        page_s = time.perf_counter() - t0
        status, event, _ = ask(c, url, "今年光谷地区生产总值预期增长多少？")
        answered_s = time.perf_counter() - t0
    if status != 200 or event != "complete":
        proc.kill()
        raise RuntimeError(f"the first question failed: {status} {event}")
    return proc, url, {"page_s": page_s, "first_answer_s": answered_s}


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _sse(text: str) -> list[tuple[str, Any]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.strip().splitlines() if ": " in line)
        if "event" in fields:
            out.append((fields["event"], json.loads(fields.get("data", "null"))))
    return out


def ask(client: Any, url: str, question: str, top_k: int = 5, mode: str = "hybrid",
        session: str | None = None) -> tuple[int, str | None, Any]:
    """POST /gradio_api/call/ask, then read its event stream. `session`: the caller's session hash,
    which gradio_client sends (one per Client) and a browser tab keeps; without it (curl) Gradio
    builds a fresh session state, from the config of every block of the page, for each request."""
    payload: dict[str, Any] = {"data": [question, top_k, mode]}
    if session is not None:
        payload["session_hash"] = session
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    r = client.post(f"{url}/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    if r.status_code != 200:
        return r.status_code, None, r.text
    r = client.get(f"{url}/gradio_api/call/ask/{r.json()['event_id']}")
    final = [(e, d) for e, d in _sse(r.text) if e in ("complete", "error")]
    if not final:
        return r.status_code, None, r.text[:300]
    event, data = final[-1]
    return 200, event, data[0] if event == "complete" and data else data


def ask_json(client: Any, url: str, question: str, top_k: int = 5, mode: str = "hybrid",
             session: str | None = None) -> tuple[int, str | None, Any]:
    """POST /api/ask (qa/http_api.py): one request, the answer as JSON."""
    body = json.dumps({"question": question, "top_k": top_k, "mode": mode}, ensure_ascii=False).encode("utf-8")
    r = client.post(f"{url}/api/ask", content=body, headers={"content-type": "application/json"})
    data = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
    return r.status_code, "complete" if r.status_code == 200 else None, data


def ask_curl(client: Any, url: str, question: str, top_k: int = 5, mode: str = "hybrid",
             session: str | None = None) -> tuple[int, str | None, Any]:
    """The Gradio endpoint as curl calls it: no session hash, a new session per request."""
    return ask(client, url, question, top_k, mode, None)


# gradio: a session per client, as gradio_client; gradio-curl: none; json: POST /api/ask
ENDPOINTS = {"gradio": ask, "gradio-curl": ask_curl, "json": ask_json}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (all its threads): a cost per request that a busy
    shared machine does not inflate the way it inflates wall-clock latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_test(url: str, questions: Sequence[str], clients: int = 20, progress: bool = True,
              endpoint: str = "gradio", pid: int | None = None) -> dict[str, Any]:
    """Each client asks its share back to back; latency per request, errors, throughput, and the
    server's CPU time per request when its pid is given."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    shares = [list(questions[i::clients]) for i in range(clients)]
    done = [0]
    call = ENDPOINTS[endpoint]

    def client(mine: list[str]) -> None:
        session = uuid.uuid4().hex
        with httpx.Client(timeout=120) as c:
            for q in mine:
                t = time.perf_counter()
                try:
                    status, event, data = call(c, url, q, session=session)
                    ok = status == 200 and event == "complete" and isinstance(data, dict) and "error" not in data
                    why = "" if ok else f"{status} {event} {str(data)[:120]}"
                except Exception as e:  # noqa: BLE001 - counted as an error
                    ok, why = False, repr(e)[:160]
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(ms)
                    if not ok:
                        errors.append(why)
                    done[0] += 1
                    if progress and done[0] % 200 == 0:
                        say(f"  load: {done[0]}/{len(questions)}")

    cpu0 = cpu_seconds(pid) if pid else None
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, shares))
    wall = time.perf_counter() - t0
    cpu_ms = (cpu_seconds(pid) - cpu0) * 1000 / len(questions) if pid else None
    return {"endpoint": endpoint, "requests": len(questions), "clients": clients, "wall_s": wall, "req_per_s": len(questions) / wall,
            "latency": stats(latencies), "server_cpu_ms_per_request": cpu_ms, "errors": len(errors), "error_samples": errors[:5],
            "loadavg": list(os.getloadavg())}


def server_bench(corpus_dir: str, index_dir: str, questions: Sequence[str], clients: int = 20,
                 ready_runs: int = 3, env_extra: dict[str, str] | None = None) -> dict[str, Any]:
    """Ready time (median of `ready_runs` launches), then the load test on the last server, each
    endpoint with its own half of `questions`."""
    ready = []
    proc = None
    try:
        for i in range(ready_runs):
            proc, url, r = start_server(corpus_dir, index_dir, env_extra)
            ready.append(r)
            r["loadavg"] = os.getloadavg()[0]
            say(f"server ready run {i + 1}/{ready_runs}: page {r['page_s']:.2f} s, first answer {r['first_answer_s']:.2f} s, "
                f"load average {r['loadavg']:.1f}")
            if i < ready_runs - 1:
                stop_server(proc)
                proc = None
        result = {}
        share = len(questions) // len(ENDPOINTS)  # each endpoint its own questions: no cache hits across
        for i, endpoint in enumerate(ENDPOINTS):
            mine = questions[i * share:(i + 1) * share]
            say(f"load on the {endpoint} endpoint: {len(mine)} questions from {clients} clients")
            result[endpoint] = load_test(url, mine, clients, endpoint=endpoint, pid=proc.pid)
            r = result[endpoint]
            say(f"  {r['req_per_s']:.1f} req/s, p50 {r['latency']['p50']:.0f} ms, p95 {r['latency']['p95']:.0f} ms, "
                f"errors {r['errors']}, server CPU {r['server_cpu_ms_per_request']:.1f} ms per request")
    finally:
        if proc is not None:
            stop_server(proc)
    order = sorted(ready, key=lambda r: r["first_answer_s"])
    return {"ready_runs": ready, "ready_s": order[len(order) // 2]["first_answer_s"],
            "page_s": order[len(order) // 2]["page_s"], "load": result}


if __name__ == "__main__":  # python -m bench.server [N] [CLIENTS] [READY_RUNS]: ready time and load, printed
    from qa.config import Settings

    from .common import bench_questions, load_gold_items

    s = Settings.from_env()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    qs = [q for q, _, _ in bench_questions(load_gold_items(s), n)]
    r = server_bench(str(s.corpus_dir), str(s.index_dir), qs, int(sys.argv[2]) if len(sys.argv) > 2 else 20,
                     ready_runs=int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    print(json.dumps(r, indent=1, ensure_ascii=False))
    sys.exit(0 if Path(s.index_dir).exists() else 1)
