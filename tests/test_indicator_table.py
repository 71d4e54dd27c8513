"""The key indicators table through the Assistant and `qa figures --indicators`, on the real index."""
from __future__ import annotations

import json

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_assistant_indicator_table(real_assistant):
    rows = real_assistant.indicator_table()
    cell = {(r.indicator, r.aspect, r.period.label): r.figure.text for r in rows}
    assert cell[("地区生产总值", "总量", "2023年实绩")] == "2715亿元"
    assert cell[("地区生产总值", "增速", "2024年目标")] == "7%左右"
    assert all(r.sentence and r.figure.text in r.sentence for r in rows)
    assert real_assistant.indicator_table(doc="no-such-doc") == ()


def test_cli_prints_the_same_table(real_assistant, capsys):
    from qa.cli import main

    code = main(["figures", "--indicators", "--json", "--corpus", str(ROOT / "corpus")])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed == [r.to_dict() for r in real_assistant.indicator_table()]
    code = main(["figures", "--indicators", "--period", "2024年目标", "--corpus", str(ROOT / "corpus")])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[0].split("\t")[:4] == ["indicator", "aspect", "period", "value"]
    assert all(line.split("\t")[2] == "2024年目标" for line in lines[1:]) and len(lines) > 10
    assert any(line.startswith("地区生产总值\t增速\t2024年目标\t7%左右\t") for line in lines)
