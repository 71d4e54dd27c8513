"""Residents' 👍/👎 on answers, kept in one SQLite file.

SQLite because it is embedded (stdlib, no server to run), one file to back up, and safe for the
page's concurrent writers: WAL lets readers and one writer work at once, `busy_timeout` makes a
second writer wait for the lock instead of failing, and each write is one short transaction on its
own connection (connections are never shared between threads).

What is kept is what judging the answer needs and nothing about who asked: the question, the
answer's status, its top passage, the rating, an optional comment, the time. No IP, session,
browser or account. The file is created on the first rating, not before.
"""
from __future__ import annotations

import csv
import sqlite3
import threading
from contextlib import closing
from dataclasses import astuple, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterator

RATINGS = ("up", "down")
STATUSES = ("figure", "passage", "not_found", "error")
MAX_QUESTION = 500
MAX_COMMENT = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created     TEXT NOT NULL,
    question    TEXT NOT NULL,
    status      TEXT NOT NULL,
    top_passage TEXT NOT NULL DEFAULT '',
    rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment     TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created: str  # UTC, ISO 8601 to the second
    question: str
    status: str  # figure | passage | not_found | error
    top_passage: str  # chunk id of the first cited passage, '' when none
    rating: str  # up | down
    comment: str


COLUMNS = tuple(f.name for f in fields(FeedbackRow))


class FeedbackStore:
    """One SQLite file. Every method opens its own short-lived connection, so the store can be
    shared by the server's worker threads and by several processes."""

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._init_lock = threading.Lock()
        self._ready = False

    def _connect(self, create: bool) -> sqlite3.Connection:
        if create and not self._ready:
            with self._init_lock:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with closing(sqlite3.connect(self.path, timeout=self.timeout)) as con:
                        con.execute("PRAGMA journal_mode=WAL")
                        with con:
                            con.execute(SCHEMA)
                    self._ready = True
        con = sqlite3.connect(self.path if create else f"file:{self.path}?mode=ro", timeout=self.timeout,
                              uri=not create)
        con.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        return con

    def add(self, question: str, status: str, top_passage: str, rating: str, comment: str = "") -> int:
        """Store one rating; returns its id (to attach a comment or change the rating later)."""
        _check(status, rating)
        row = (_now(), _clip(question, MAX_QUESTION), status, _clip(top_passage, 200), rating,
               _clip(comment, MAX_COMMENT))
        with closing(self._connect(create=True)) as con, con:
            cur = con.execute("INSERT INTO feedback (created, question, status, top_passage, rating, comment) "
                              "VALUES (?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid)

    def update(self, row_id: int, rating: str | None = None, comment: str | None = None) -> bool:
        """Change a rating or set its comment; False when there is no such row."""
        if rating is not None and rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}: {rating!r}")
        sets, args = [], []
        if rating is not None:
            sets.append("rating = ?")
            args.append(rating)
        if comment is not None:
            sets.append("comment = ?")
            args.append(_clip(comment, MAX_COMMENT))
        if not sets:
            return False
        with closing(self._connect(create=True)) as con, con:
            cur = con.execute(f"UPDATE feedback SET {', '.join(sets)} WHERE id = ?", (*args, int(row_id)))
            return cur.rowcount == 1

    def rows(self) -> list[FeedbackRow]:
        return list(self.iter_rows())

    def iter_rows(self) -> Iterator[FeedbackRow]:
        if not self.path.exists():
            return
        with closing(self._connect(create=False)) as con:
            for r in con.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id"):
                yield FeedbackRow(*r)

    def export_csv(self, out: IO[str]) -> int:
        """Every row as CSV with a header line; returns the number of rows."""
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        n = 0
        for row in self.iter_rows():
            writer.writerow(astuple(row))
            n += 1
        return n


def _check(status: str, rating: str) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}: {rating!r}")
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}: {status!r}")


def _clip(text: str | None, n: int) -> str:
    text = "" if text is None else str(text)
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be stored as UTF-8
    return text[:n]


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
