"""光谷智能问答: retrieval question answering over Chinese government work reports.

    from qa import Assistant
    answer = Assistant.load().ask("2023年光谷地区生产总值是多少？")
"""
from .answer import Assistant
from .config import Settings
from .errors import CorruptIndexError, DocumentError, QAError, QuestionError, StaleIndexError
from .types import Answer, Chunk, Document, Figure, Paragraph, Passage, Period, Section

__all__ = [
    "Assistant", "Settings", "Answer", "Chunk", "Document", "Figure", "Paragraph", "Passage", "Period", "Section",
    "QAError", "QuestionError", "DocumentError", "StaleIndexError", "CorruptIndexError",
]
__version__ = "0.1.0"
