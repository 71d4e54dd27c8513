"""Error types. Each says what went wrong and what to do, in Chinese and English."""
from __future__ import annotations


class QAError(Exception):
    """Base of every error this package raises on purpose."""


class DocumentError(QAError):
    """A document that cannot be read or parsed; the other documents still load."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"文档无法读取 / cannot read document {path}: {reason}")


class QuestionError(QAError, ValueError):
    """A question that cannot be answered as asked (empty, only symbols, ...)."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")


class IndexError_(QAError):
    """Base for index problems (named with a trailing underscore to keep the builtin usable)."""


class StaleIndexError(IndexError_):
    """The index was built from other documents, another model or other settings."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(
            "索引已过期，请运行 `qa build` / index is stale, run `qa build`: " + "; ".join(reasons)
        )


class CorruptIndexError(IndexError_):
    """An index file is missing, truncated or unreadable."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(
            f"索引损坏，请运行 `qa build --force` / index is corrupt at {path}: {reason}; "
            "rebuild with `qa build --force`"
        )


class ModelError(QAError):
    """The embedding model cannot be converted or loaded."""


class LexiconError(QAError, ValueError):
    """A lexical resource (the glossary file, the thesaurus data) that cannot be read as written."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"词表无法读取 / cannot read lexicon {where}: {reason}")
