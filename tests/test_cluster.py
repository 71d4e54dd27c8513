"""qa.cluster on a real Ray cluster on this machine: a head and a worker node (separate raylets and
worker processes, 1 CPU each), builds compared with the local build, actors and nodes killed
mid-build, and the page served by Ray Serve with 1 and 2 replicas."""
from __future__ import annotations

import functools
import os
import signal
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="needs the cluster extra: pip install -e '.[cluster]'")

import fakes  # noqa: E402
from qa import Assistant  # noqa: E402
from qa.cluster import ClusterError  # noqa: E402
from qa.cluster.build import build_on_cluster  # noqa: E402
from qa.cluster.synthetic import write_corpus  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.index import CURRENT, build_index, load_index, save_index  # noqa: E402
from qa.ingest import load_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "corpus" / "donghu-2024-work-report.txt"
QUESTIONS = ["今年光谷地区生产总值预期增长多少？", "2023年固定资产投资多少？", "已建、在建国家大科学装置有几个？",
             "今年新增城镇就业人数目标是多少？", "减税降费及退税缓费多少？", "What is the GDP growth target for 2024?"]



@pytest.fixture(scope="module")
def cluster():
    """Head + one worker node, 1 CPU each; workers import qa from this checkout and the fakes by value."""
    from ray.cluster_utils import Cluster

    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([old] if old else []))
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    worker = c.add_node(num_cpus=1)
    ray.init(address=c.address, logging_level="ERROR", log_to_driver=False)
    ray.cloudpickle.register_pickle_by_value(fakes)
    c.worker = worker
    try:
        yield c
    finally:
        try:
            from ray import serve

            serve.shutdown()
        except Exception:  # noqa: BLE001 - Serve was not started
            pass
        ray.shutdown()
        c.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def settings_for(corpus: Path, index: Path, **kw) -> Settings:
    return Settings.from_env(corpus_dir=corpus, index_dir=index, **kw)


def assert_same_index(a, b, min_cos: float = 0.9999) -> None:
    assert a.chunks == b.chunks
    assert {k: d.sha256 for k, d in a.documents.items()} == {k: d.sha256 for k, d in b.documents.items()}
    assert a.embeddings.shape == b.embeddings.shape
    cos = np.sum(a.embeddings * b.embeddings, axis=1) / (
        np.linalg.norm(a.embeddings, axis=1) * np.linalg.norm(b.embeddings, axis=1))
    assert float(cos.min()) >= min_cos
    assert (a.manifest.n_chunks, a.manifest.faiss_kind, a.manifest.model_fingerprint) == \
        (b.manifest.n_chunks, b.manifest.faiss_kind, b.manifest.model_fingerprint)


def answers(index, model, settings, modes=("hybrid", "bm25", "dense")) -> list[dict]:
    a = Assistant(index, model, settings)
    out = []
    for q in QUESTIONS:
        for mode in modes:
            d = a.ask(q, top_k=5, mode=mode).to_dict()
            d.pop("elapsed_ms", None)
            out.append(d)
    return out


@pytest.mark.slow
def test_past_the_ann_threshold_cluster_build_equals_local(cluster, tmp_path):
    """20 documents (2.1k chunks) past an ANN threshold of 2,000: the path of a large corpus (HNSW with
    fp16 vectors, fp16 BM25 scores, many blocks on both actors) at a tenth of the default threshold's
    cost (200 documents past 20,000 took 100-260 s on this machine)."""
    corpus = tmp_path / "corpus"
    write_corpus(corpus, REPORT, 20)
    s = settings_for(corpus, tmp_path / "index", ann_threshold=2_000)
    r = build_on_cluster(s, "auto", model_factory=fakes.FakeEmbedder)
    assert r.built and r.actors == 2
    docs, _ = load_corpus(corpus)
    local = build_index(docs, fakes.FakeEmbedder(), s.chunk_min, s.chunk_max, s.ann_threshold)
    assert local.size > s.ann_threshold and local.manifest.faiss_kind == "hnsw"
    on_disk = load_index(s.index_dir)
    assert_same_index(on_disk, local)
    assert answers(on_disk, fakes.FakeEmbedder(), s) == answers(local, fakes.FakeEmbedder(), s)


@pytest.mark.slow
def test_real_model_cluster_build_equals_local(cluster, real_model, tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, REPORT, 1)
    (corpus / REPORT.name).write_bytes(REPORT.read_bytes())
    s = settings_for(corpus, tmp_path / "index")
    r = build_on_cluster(s, "auto")  # the configured (packaged) model, loaded once per actor
    assert r.built
    docs, _ = load_corpus(corpus)
    local = build_index(docs, real_model, s.chunk_min, s.chunk_max, s.ann_threshold)
    on_disk = load_index(s.index_dir)
    assert_same_index(on_disk, local)
    got, want = answers(on_disk, real_model, s), answers(local, real_model, s)
    for g, w in zip(got, want):
        assert [p["chunk_id"] for p in g["passages"]] == [p["chunk_id"] for p in w["passages"]]
        assert (g["found"], g["text"]) == (w["found"], w["text"])


ENCODER_ACTOR = "MapBatches(Encoder)"


def _actors(state: str | None = None) -> list[dict]:
    """Embedding actors from the GCS table (the state API would need the dashboard)."""
    from ray._private.state import actors

    return [a for a in actors(actor_state_name=state).values() if ENCODER_ACTOR in a.get("ActorClassName", "")]


def _build_in_thread(s: Settings, factory) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        try:
            result["build"] = build_on_cluster(s, "auto", force=True, model_factory=factory)
        except Exception as e:  # noqa: BLE001 - the test inspects it
            result["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, result


def _wait_for_actors(t: threading.Thread, timeout: float = 60) -> list[int]:
    deadline = time.time() + timeout
    while time.time() < deadline and t.is_alive():
        pids = [a["Pid"] for a in _actors("ALIVE") if a["Pid"]]
        if pids:
            return pids
        time.sleep(0.3)
    raise AssertionError("no embedding actor appeared")


@pytest.mark.slow
def test_killed_actor_loses_nothing(cluster, tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, REPORT, 8, seed=11)
    s = settings_for(corpus, tmp_path / "index")
    t, result = _build_in_thread(s, functools.partial(fakes.SlowFakeEmbedder, 0.3))
    pid = _wait_for_actors(t)[0]
    time.sleep(1.5)  # let it embed a few batches first
    assert t.is_alive(), "the build ended before the kill; make the fake slower"
    os.kill(pid, signal.SIGKILL)
    t.join(180)
    assert "error" not in result, result.get("error")
    assert any(a["NumRestarts"] >= 1 for a in _actors()), "the killed actor was not restarted"
    docs, _ = load_corpus(corpus)
    assert_same_index(load_index(s.index_dir), build_index(docs, fakes.FakeEmbedder()))
    # fresh now: a second run embeds nothing and leaves the live build alone
    live = (s.index_dir / CURRENT).read_text()
    again = build_on_cluster(s, "auto", model_factory=fakes.FakeEmbedder)
    assert not again.built and (s.index_dir / CURRENT).read_text() == live


@pytest.mark.slow
def test_lost_worker_node_loses_nothing(cluster, tmp_path):
    """A worker machine goes away mid-build and a replacement joins (as KubeRay would bring one):
    actors are restarted there, lost blocks recomputed, and the index is complete."""
    corpus = tmp_path / "corpus"
    write_corpus(corpus, REPORT, 8, seed=13)
    s = settings_for(corpus, tmp_path / "index")
    t, result = _build_in_thread(s, functools.partial(fakes.SlowFakeEmbedder, 0.3))
    _wait_for_actors(t)
    time.sleep(1.5)
    assert t.is_alive()
    cluster.remove_node(cluster.worker)
    cluster.worker = cluster.add_node(num_cpus=1)
    t.join(240)
    assert not t.is_alive(), "the build hung after losing a node"
    assert "error" not in result, result.get("error")
    docs, _ = load_corpus(corpus)
    assert_same_index(load_index(s.index_dir), build_index(docs, fakes.FakeEmbedder()))


@pytest.mark.slow
def test_failed_build_keeps_the_live_index(cluster, tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, REPORT, 2, seed=17)
    s = settings_for(corpus, tmp_path / "index")
    docs, _ = load_corpus(corpus)
    live = save_index(build_index(docs, fakes.FakeEmbedder()), s.index_dir)
    before = sorted(p.name for p in s.index_dir.iterdir())
    with pytest.raises(ClusterError, match="live index is unchanged"):
        build_on_cluster(s, "auto", force=True, model_factory=fakes.DyingEmbedder)
    assert sorted(p.name for p in s.index_dir.iterdir()) == before
    assert (s.index_dir / CURRENT).read_text().strip() == live.name
    assert load_index(s.index_dir).size == len(np.load(live / "chunks" / "chunks.npy"))


@pytest.fixture(scope="module")
def serve_port() -> int:
    """One port for the module: Serve's HTTP options are fixed once Serve runs on a cluster."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize("replicas", [1, 2])
def test_serve_replicas_answer_like_local(cluster, real_assistant, serve_port, replicas):
    from gradio_client import Client
    from ray import serve

    from qa.cluster.serve import serve_on_cluster, stop

    s = real_assistant.settings.with_(cluster_cpus=0.5)
    url = serve_on_cluster(s, "auto", replicas=replicas, port=serve_port, proxy_location="HeadOnly")
    try:
        status = serve.status().applications["qa"].deployments["Assistant"]
        assert status.replica_states.get("RUNNING") == replicas
        client = Client(url, verbose=False)
        for q in QUESTIONS[:3]:
            got = client.predict(q, 5, "hybrid", api_name="/ask")
            want = real_assistant.ask(q, top_k=5, mode="hybrid").to_dict()
            assert [p["chunk_id"] for p in got["passages"]] == [p["chunk_id"] for p in want["passages"]]
            assert got["text"] == want["text"] and got["figures"] == want["figures"]
        bad = client.predict("   ", 5, "hybrid", api_name="/ask")
        assert bad["found"] is False and "error_en" in bad
        import urllib.request

        page = urllib.request.urlopen(url, timeout=30).read().decode("utf-8")
        assert "智能问答" in page
    finally:
        stop()


def test_cli_refuses_bad_cluster_arguments_before_touching_anything(tmp_path, capsys):
    from qa.cli import main

    index = tmp_path / "index"
    assert main(["build", "--cluster", "local", "--actors", "0", "--index", str(index)]) == 1
    assert "--actors must be at least 1" in capsys.readouterr().err
    assert main(["serve", "--cluster", "local", "--replicas", "2", "--index", str(index)]) == 1
    assert "no index here" in capsys.readouterr().err
    assert not index.exists()


def test_build_index_with_given_chunks_and_bulk_encoder_equals_plain_build(report):
    """The two hooks qa.cluster uses: chunks cut elsewhere, all texts embedded in one call."""
    from qa.chunking import chunk_document

    calls = []
    fake = fakes.FakeEmbedder()

    def encode(texts):
        calls.append(len(texts))
        return fake.encode_documents(texts)

    chunks = chunk_document(report, 60, 200)
    hooked = build_index([report], fakes.FakeEmbedder(), chunks=chunks, encode=encode)
    plain = build_index([report], fakes.FakeEmbedder())
    assert calls == [len(chunks)]
    assert hooked.chunks == plain.chunks and np.array_equal(hooked.embeddings, plain.embeddings)
    # with a previous index of the same model, only changed texts reach the encoder: none here
    build_index([report], fakes.FakeEmbedder(), previous=plain, chunks=chunks, encode=encode)
    assert calls == [len(chunks)]
