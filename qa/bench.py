"""`qa bench`: a thin door to the benchmark harness, which lives beside the package in bench/
(latency, startup, server, scale, peer, report, run) so that the runtime package carries none of it.

The harness needs the repository checkout (the gold questions, the corpus) and the bench extras:
pip install -e '.[bench]'.
"""
from __future__ import annotations

import argparse
import sys

from .config import ROOT, Settings
from .errors import QAError


def main(args: argparse.Namespace, settings: Settings) -> int:
    if not (ROOT / "bench" / "run.py").is_file():
        raise QAError(f"没有找到基准测试 / the benchmark harness is not here: {ROOT / 'bench'} (run from a checkout)")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.run import main as run_main

    return run_main(args, settings)
