from __future__ import annotations

import os
from pathlib import Path

import pytest

# No machine here reaches a model hub: a test that names a model not on disk fails at once, instead of
# retrying the hub for ~20 s from a loader thread that outlives the test (tests/test_ui.py's empty
# corpus) and logging its retries into later tests' closed streams. Tests of the offline path set it too.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "corpus" / "donghu-2024-work-report.txt"


@pytest.fixture(scope="session")
def report_path() -> Path:
    return REPORT


@pytest.fixture(scope="session")
def report():
    from qa.ingest import load_document

    return load_document(REPORT)


@pytest.fixture(scope="session")
def real_model():
    """The packaged embedding model on the product's default encoder (Settings.encoder: ONNX Runtime),
    converted and exported once into the user cache, then loaded from it; so an index built here is
    fresh for the `qa` command too."""
    from qa.embedding import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def real_assistant(real_model, tmp_path_factory):
    """The real thing: the report, the real model, a real FAISS + BM25 index built in a temp folder."""
    from qa import Assistant

    return Assistant.load(corpus_dir=ROOT / "corpus", index_dir=tmp_path_factory.mktemp("index"), model=real_model)


# `make test` runs the suite on two workers (pytest-xdist: -n 2 --dist loadfile --no-loadscope-reorder), each
# file on one worker so that its module fixtures (a Ray cluster, a server, a browser) are set up once. The
# files that take longest are queued first: started last, one of them would run alone at the end. The order
# within a file is kept; a file not named here keeps its place after them.
LONGEST_FIRST = ("test_cluster.py", "test_reliability.py", "test_onnx_encoder.py", "test_embedding.py",
                 "test_ui_page.py", "test_answer.py", "test_query_int8.py", "test_ui_browser.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
