from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "corpus" / "donghu-2024-work-report.txt"


@pytest.fixture(scope="session")
def report_path() -> Path:
    return REPORT


@pytest.fixture(scope="session")
def report():
    from qa.ingest import load_document

    return load_document(REPORT)
