"""The feedback store (qa/feedback.py) on a real SQLite file: what it keeps, concurrent writers
from threads and from processes, bad input, and `qa feedback --export csv`."""
from __future__ import annotations

import csv
import io
import multiprocessing as mp
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.cli import main as cli_main  # noqa: E402
from qa.feedback import COLUMNS, FeedbackStore  # noqa: E402


def test_rows_round_trip_and_keep_nothing_personal(tmp_path):
    path = tmp_path / "sub" / "feedback.sqlite3"
    store = FeedbackStore(path)
    assert not path.exists() and store.rows() == []  # nothing is created before the first rating
    a = store.add("今年GDP预期增长多少？", "figure", "donghu-2024-work-report#40", "up")
    b = store.add("火星上有多少人口", "not_found", "", "down", "没有回答")
    assert path.exists() and a != b
    rows = store.rows()
    assert [(r.question, r.status, r.top_passage, r.rating, r.comment) for r in rows] == [
        ("今年GDP预期增长多少？", "figure", "donghu-2024-work-report#40", "up", ""),
        ("火星上有多少人口", "not_found", "", "down", "没有回答")]
    assert all(r.created.endswith("+00:00") for r in rows)
    # the table holds these columns and no other (no IP, session, browser, account)
    with sqlite3.connect(path) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(feedback)")]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert tuple(cols) == COLUMNS
    assert store.update(a, rating="down") and store.update(a, comment="数字不对")
    assert (store.rows()[0].rating, store.rows()[0].comment) == ("down", "数字不对")
    assert not store.update(999, rating="up")


def test_bad_input_is_refused_and_nothing_written(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    for args in (("q", "figure", "", "meh"), ("q", "maybe", "", "up")):
        with pytest.raises(ValueError):
            store.add(*args)
    assert not (tmp_path / "f.sqlite3").exists()
    row = store.add("q" * 5000 + "\ud800", "passage", "x", "up", "c" * 5000)
    r = store.rows()[0]
    assert r.id == row and len(r.question) == 500 and len(r.comment) == 1000  # clipped, lone surrogate gone
    with pytest.raises(ValueError):
        store.update(row, rating="sideways")


def test_concurrent_writers_in_threads(tmp_path):
    """16 threads, 50 ratings and 25 comment updates each, on one file: every write lands once."""
    store = FeedbackStore(tmp_path / "f.sqlite3")
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(50):
                row = store.add(f"问题 {n}-{i}", "figure", f"doc#{i}", "up" if i % 2 else "down")
                if i % 2:
                    assert store.update(row, comment=f"意见 {n}-{i}")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    rows = store.rows()
    assert len(rows) == 800 and len({r.id for r in rows}) == 800
    assert {r.question for r in rows} == {f"问题 {n}-{i}" for n in range(16) for i in range(50)}
    assert sum(bool(r.comment) for r in rows) == 400
    assert all(r.comment == r.question.replace("问题", "意见") for r in rows if r.comment)


def _process_writer(path: str, n: int, count: int, go) -> None:
    go.wait()
    store = FeedbackStore(path, timeout=60)
    for i in range(count):
        row = store.add(f"进程 {n}-{i}", "passage", "", "up")
        store.update(row, rating="down")


def test_concurrent_writers_in_processes(tmp_path):
    """6 processes writing at once (as several server workers would): no lost or doubled row,
    no 'database is locked'."""
    path = tmp_path / "f.sqlite3"
    FeedbackStore(path).add("先建表", "figure", "", "up")
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    procs = [ctx.Process(target=_process_writer, args=(str(path), n, 40, go)) for n in range(6)]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 6
    rows = FeedbackStore(path).rows()
    assert len(rows) == 1 + 240
    assert {r.question for r in rows[1:]} == {f"进程 {n}-{i}" for n in range(6) for i in range(40)}
    assert all(r.rating == "down" for r in rows[1:])


def test_cli_exports_csv(tmp_path, capsys, monkeypatch):
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path)
    store.add('含逗号,和"引号"的问题\n第二行', "figure", "doc#1", "up", "好")
    store.add("第二个问题", "not_found", "", "down")
    assert cli_main(["feedback", "--export", "csv", "--path", str(path)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == COLUMNS
    assert [r[2:] for r in rows[1:]] == [['含逗号,和"引号"的问题\n第二行', "figure", "doc#1", "up", "好"],
                                         ["第二个问题", "not_found", "", "down", ""]]
    monkeypatch.setenv("QA_FEEDBACK_PATH", str(path))
    assert cli_main(["feedback"]) == 0
    assert "2 条反馈" in capsys.readouterr().out
    # no file yet: an empty export with its header, and no file created
    empty = tmp_path / "none.sqlite3"
    assert cli_main(["feedback", "--export", "csv", "--path", str(empty)]) == 0
    assert capsys.readouterr().out.strip() == ",".join(COLUMNS) and not empty.exists()
