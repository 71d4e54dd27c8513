"""Sanity checks for the hand-written gold evaluation sets in corpus/gold/*.jsonl.

A gold file corpus/gold/<stem>.jsonl or corpus/gold/<stem>.<set>.jsonl belongs to the document
corpus/<stem>.txt (the document is the part of the file name before the first dot).  The <set>
part names the evaluation set (""=the original tune/heldout set, "trust", "colloquial", and the
development sets "trustdev", "colloquialdev"); each set has its own rules in SET_RULES (counts,
allowed types/groups/splits, evidence length, coverage).

These tests check the gold data only (schema, evidence grounding, counts, split, period);
they do not import or run the QA system.  Standard library + pytest only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "corpus" / "gold"
GOLD_FILES = sorted(GOLD_DIR.glob("*.jsonl"))

TYPES = {"figure", "fact", "paraphrase", "year", "multi", "none", "nofigure"}
ANSWERABLE_TYPES = {"figure", "year", "fact", "paraphrase", "multi"}
LANGS = {"zh", "en"}
FIGURE_KINDS = {"amount", "growth", "share", "count", "rank", "multiple", "rate"}
PERIODS = {"2023年实绩", "2024年目标", None}
SPLITS = {"tune", "heldout", "blind"}
STATUSES = {"figure", "passage", "not_found"}
FIELDS = {
    "id": str,
    "question": str,
    "type": str,
    "lang": str,
    "evidence": list,
    "answer": str,
    "value": (int, float, type(None)),
    "unit": (str, type(None)),
    "figure_kind": (str, type(None)),
    "period": (str, type(None)),
    "split": str,
}
OPTIONAL_FIELDS = {"group": str, "status": str}
NOT_FOUND_ANSWER = "报告未提及"

# Original set (corpus/gold/<stem>.jsonl): minimum questions per type.
MIN_COUNTS = {"figure": 40, "paraphrase": 15, "year": 10, "multi": 5, "none": 10}
MIN_EN = 5
HELDOUT_RANGE = (0.25, 0.40)

SET_RULES: dict[str, dict] = {
    # the original tune/heldout set
    "": {
        "id_prefix": "dh",
        "splits": {"tune", "heldout"},
        "min_types": MIN_COUNTS,
        "need_fact": True,
        "min_en": MIN_EN,
        "heldout_split": True,
        "evidence_len": (5, 120),
        "status_required": False,
    },
    # trust set: does the assistant show a figure only when it truly answers?
    "trust": {
        "id_prefix": "tr",
        "splits": {"blind"},
        "min_total": 120,
        "groups": {"figure", "unanswerable", "neighbours"},
        "min_groups": {"figure": 60, "unanswerable": 30, "neighbours": 30},
        "types": {"figure", "nofigure", "none"},
        "min_en": 10,
        "evidence_len": (10, 80),
        "status_required": True,
        "year_cues": True,
        "trust_groups": True,
    },
    # colloquial set: everyday wording, all answerable
    "colloquial": {
        "id_prefix": "co",
        "splits": {"blind"},
        "min_total": 80,
        "groups": {"colloquial"},
        "types": {"paraphrase"},
        "statuses": {"figure", "passage"},
        "min_en": 8,
        "evidence_len": (10, 80),
        "status_required": True,
        "year_cues": True,
        "cover_parts": True,
    },
    # development sets for tuning beside the blind sets (same schema, split "tune")
    "trustdev": {
        "id_prefix": "td",
        "splits": {"tune"},
        "min_total": 70,
        "groups": {"figure", "unanswerable", "neighbours"},
        "min_groups": {"figure": 30, "unanswerable": 20, "neighbours": 20},
        "types": {"figure", "nofigure", "none"},
        "min_en": 10,
        "evidence_len": (10, 80),
        "status_required": True,
        "year_cues": True,
        "trust_groups": True,
    },
    "colloquialdev": {
        "id_prefix": "cd",
        "splits": {"tune"},
        "min_total": 70,
        "groups": {"colloquial"},
        "types": {"paraphrase"},
        "statuses": {"figure", "passage"},
        "min_en": 10,
        "evidence_len": (10, 80),
        "status_required": True,
        "year_cues": True,
        "cover_parts": True,
    },
}

# second blind sets (session 2): written by a fresh author before that session's code changed; same rules
SET_RULES["trust2"] = {**SET_RULES["trust"], "id_prefix": "t2"}
SET_RULES["colloquial2"] = {**SET_RULES["colloquial"], "id_prefix": "c2"}
# third blind trust set (session 3): a fresh author again, before that session's code changed
SET_RULES["trust3"] = {**SET_RULES["trust"], "id_prefix": "t3"}
# fourth blind trust and third blind colloquial sets (session 3, after the second run of trust3)
SET_RULES["trust4"] = {**SET_RULES["trust"], "id_prefix": "t4"}
SET_RULES["colloquial3"] = {**SET_RULES["colloquial"], "id_prefix": "c3"}
# development sets weighted to the hard kinds (competing neighbours, questions the report does not answer)
SET_RULES["trustdev2"] = {
    **SET_RULES["trustdev"],
    "id_prefix": "tw",
    "min_total": 100,
    "min_groups": {"figure": 20, "unanswerable": 40, "neighbours": 40},
}
SET_RULES["trustdev3"] = {**SET_RULES["trustdev2"], "id_prefix": "tx"}
SET_RULES["colloquialdev2"] = {**SET_RULES["colloquialdev"], "id_prefix": "cx", "min_total": 100}
# session 4: a fifth blind trust set (fresh author, before that session's code changed) and a fourth development set
SET_RULES["trust5"] = {**SET_RULES["trust"], "id_prefix": "t5"}
SET_RULES["trustdev4"] = {**SET_RULES["trustdev2"], "id_prefix": "ty"}
# a development set shaped like the blind trust sets (to estimate them without running them)
SET_RULES["trustdev5"] = {**SET_RULES["trust"], "id_prefix": "tv", "splits": {"tune"}}
SET_RULES["trustdev6"] = {**SET_RULES["trust"], "id_prefix": "tu", "splits": {"tune"}}

# Chinese numerals / fractions written in words: answers like 第四, 两倍, 五分之一, 前四
CJK_NUMERAL = re.compile(r"[一二两三四五六七八九十百千万]")

# year cues in a question -> the period a figure answer must come from
YEAR_CUES = {
    "2023年实绩": ("2023", "23年", "二〇二三", "去年", "last year"),
    "2024年目标": ("2024", "24年", "二〇二四", "今年", "this year"),
}

# part / section markers of a work report: 一、 二、 三、 at line start, (一) (二) … at line start
PART_RE = re.compile(r"(?m)^([一二三四五六七八九十])、")
SECTION_RE = re.compile(r"(?m)^\(([一二三四五六七八九十]+)\)")
MIN_OPENING_CHARS = 400  # a part's text before its first (一) counts as a section if at least this long


def load(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:  # pragma: no cover - reported as failure
                    pytest.fail(f"{path.name}:{n}: invalid JSON: {e}")
    return rows


def doc_stem(path: Path) -> str:
    """corpus/gold/<stem>[.<set>].jsonl -> <stem> (the part before the first dot)."""
    return path.name.split(".")[0]


def set_name(path: Path) -> str:
    """corpus/gold/<stem>.<set>.jsonl -> <set>; "" for corpus/gold/<stem>.jsonl."""
    return ".".join(path.name.split(".")[1:-1])


def rules_for(path: Path) -> dict:
    return SET_RULES.get(set_name(path), {})


def document_for(path: Path) -> str:
    doc = ROOT / "corpus" / f"{doc_stem(path)}.txt"
    assert doc.exists(), f"no document {doc} for gold file {path.name}"
    return doc.read_text(encoding="utf-8")


def fmt_number(v: float) -> str:
    """The number as it would be written in the report: 2715, 4.7, 1.55 (no trailing .0)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return repr(v) if isinstance(v, float) else str(v)


def answer_is_arabic(answer: str) -> bool:
    """True when the answer states its number with Arabic digits (not 第四 / 两倍 / 1/4 / 五分之一)."""
    return bool(re.search(r"\d", answer)) and "/" not in answer


def sections(doc: str) -> list[tuple[int, int, str]]:
    """(start, end, label) for every part and numbered section of the document.

    Labels: "一" … for a part's opening text (before its first numbered section, or the whole
    part when it has none) and "一(一)" … for numbered sections.  Empty when there are no parts.
    """
    parts = [(m.start(), m.group(1)) for m in PART_RE.finditer(doc)]
    out = []
    for i, (start, label) in enumerate(parts):
        end = parts[i + 1][0] if i + 1 < len(parts) else len(doc)
        secs = [(m.start(), m.group(1)) for m in SECTION_RE.finditer(doc, start, end)]
        first = secs[0][0] if secs else end
        if not secs or first - start >= MIN_OPENING_CHARS:
            out.append((start, first, label))
        for j, (s, sl) in enumerate(secs):
            e = secs[j + 1][0] if j + 1 < len(secs) else end
            out.append((s, e, f"{label}({sl})"))
    return out


def test_gold_files_exist():
    assert GOLD_FILES, f"no gold files in {GOLD_DIR}"


@pytest.fixture(params=GOLD_FILES, ids=[p.name for p in GOLD_FILES])
def gold(request):
    path = request.param
    return path, load(path), document_for(path)


def test_set_has_rules(gold):
    path, _, _ = gold
    assert set_name(path) in SET_RULES, (
        f"{path.name}: set {set_name(path)!r} has no entry in SET_RULES (add its counts and rules)")


def test_schema(gold):
    path, rows, _ = gold
    rules = rules_for(path)
    assert rows, f"{path.name} is empty"
    for r in rows:
        rid = r.get("id", "?")
        keys = set(r)
        assert set(FIELDS) <= keys <= set(FIELDS) | set(OPTIONAL_FIELDS), (
            f"{rid}: fields {sorted(r)} != {sorted(FIELDS)} (+ optional {sorted(OPTIONAL_FIELDS)})")
        if rules.get("status_required"):
            assert keys == set(FIELDS) | set(OPTIONAL_FIELDS), f"{rid}: needs fields group and status"
        for key, typ in {**FIELDS, **OPTIONAL_FIELDS}.items():
            if key in r:
                assert isinstance(r[key], typ), f"{rid}: {key}={r[key]!r} is not {typ}"
        assert not isinstance(r["value"], bool), f"{rid}: value must be a number"
        assert re.fullmatch(r"[a-z][a-z0-9]*-\d{3}", r["id"]), f"{rid}: bad id"
        if "id_prefix" in rules:
            assert r["id"].startswith(rules["id_prefix"] + "-"), f"{rid}: id prefix should be {rules['id_prefix']}"
        assert r["question"].strip() and r["answer"].strip(), f"{rid}: empty question/answer"
        assert r["type"] in TYPES, f"{rid}: type {r['type']!r}"
        assert r["lang"] in LANGS, f"{rid}: lang {r['lang']!r}"
        assert r["split"] in SPLITS, f"{rid}: split {r['split']!r}"
        assert r["split"] in rules.get("splits", SPLITS), f"{rid}: split {r['split']!r} not allowed in this set"
        assert r["period"] in PERIODS, f"{rid}: period {r['period']!r}"
        assert r["figure_kind"] is None or r["figure_kind"] in FIGURE_KINDS, f"{rid}: figure_kind"
        assert all(isinstance(e, str) and e for e in r["evidence"]), f"{rid}: evidence must be non-empty strings"
        has_cjk = bool(re.search(r"[\u4e00-\u9fff]", r["question"]))
        assert has_cjk == (r["lang"] == "zh"), f"{rid}: lang {r['lang']} does not match question script"
        if "status" in r:
            assert r["status"] in STATUSES, f"{rid}: status {r['status']!r}"
        if "types" in rules:
            assert r["type"] in rules["types"], f"{rid}: type {r['type']!r} not allowed in this set"
        if "groups" in rules:
            assert r.get("group") in rules["groups"], f"{rid}: group {r.get('group')!r} not allowed in this set"
        if "statuses" in rules:
            assert r.get("status") in rules["statuses"], f"{rid}: status {r.get('status')!r} not allowed in this set"


def test_ids_in_order(gold):
    path, rows, _ = gold
    rules = rules_for(path)
    if "id_prefix" not in rules or set_name(path) == "":
        pytest.skip("id numbering checked for the new sets only")
    want = [f"{rules['id_prefix']}-{i:03d}" for i in range(1, len(rows) + 1)]
    assert [r["id"] for r in rows] == want, f"{path.name}: ids should run {want[0]} … {want[-1]} in file order"


def test_unique_ids_and_questions(gold):
    path, rows, _ = gold
    ids = Counter(r["id"] for r in rows)
    assert not [i for i, c in ids.items() if c > 1], f"duplicate ids in {path.name}"
    qs = Counter(r["question"] for r in rows)
    assert not [q for q, c in qs.items() if c > 1], f"duplicate questions in {path.name}"


def test_evidence_occurs_in_document(gold):
    _, rows, doc = gold
    missing = [(r["id"], e) for r in rows for e in r["evidence"] if e not in doc]
    assert not missing, f"evidence not found verbatim in the document: {missing}"


def test_evidence_is_short(gold):
    path, rows, _ = gold
    lo, hi = rules_for(path).get("evidence_len", (5, 120))
    bad = [(r["id"], len(e), e) for r in rows for e in r["evidence"] if not lo <= len(e) <= hi]
    assert not bad, f"evidence spans should be short clauses of {lo}-{hi} chars: {bad}"


def test_none_vs_answerable_evidence(gold):
    _, rows, _ = gold
    for r in rows:
        if r["type"] == "none":
            assert r["evidence"] == [], f"{r['id']}: none question with evidence"
            assert r["value"] is None and r["figure_kind"] is None, f"{r['id']}: none question with a figure"
            assert r["period"] is None, f"{r['id']}: none question with a period"
        else:
            assert r["evidence"], f"{r['id']}: answerable question without evidence"
        if r["type"] == "multi":
            assert len(r["evidence"]) >= 2, f"{r['id']}: multi question needs evidence from two places"


def test_status_consistent_with_type(gold):
    """status says what a trustworthy answer must be; it must agree with type and the figure fields.

    figure/year/fact/paraphrase/multi are answerable (status figure or passage; figure and year
    always have a figure answer); none => not_found with no evidence; nofigure => passage with
    evidence.  A status-figure row has value/unit/figure_kind/period; other statuses have none.
    """
    path, rows, _ = gold
    with_status = [r for r in rows if "status" in r]
    if not with_status:
        pytest.skip(f"{path.name} has no status field")
    for r in with_status:
        rid, st, ty = r["id"], r["status"], r["type"]
        if ty in ANSWERABLE_TYPES:
            assert st in {"figure", "passage"}, f"{rid}: answerable type {ty} with status {st}"
        if ty in {"figure", "year"}:
            assert st == "figure", f"{rid}: type {ty} needs status figure"
        if ty == "none":
            assert st == "not_found", f"{rid}: type none needs status not_found"
        if ty == "nofigure":
            assert st == "passage", f"{rid}: type nofigure needs status passage"
        if st == "not_found":
            assert ty == "none", f"{rid}: status not_found needs type none"
            assert r["evidence"] == [], f"{rid}: not_found with evidence"
            assert r["answer"] == NOT_FOUND_ANSWER, f"{rid}: not_found answer should be {NOT_FOUND_ANSWER}"
        else:
            assert r["evidence"], f"{rid}: status {st} without evidence"
        if st == "figure":
            assert isinstance(r["value"], (int, float)), f"{rid}: status figure without numeric value"
            assert isinstance(r["unit"], str), f"{rid}: status figure without unit string"
            assert r["figure_kind"] in FIGURE_KINDS, f"{rid}: status figure without figure_kind"
            assert r["period"] in {"2023年实绩", "2024年目标"}, f"{rid}: status figure without period"
        else:
            assert r["value"] is None and r["unit"] is None and r["figure_kind"] is None, (
                f"{rid}: status {st} must not carry value/unit/figure_kind")
            assert r["period"] is None, f"{rid}: status {st} must not carry a period"


def test_figure_fields(gold):
    _, rows, _ = gold
    for r in rows:
        if "status" in r:
            continue  # rows with a status are checked by test_status_consistent_with_type
        if r["type"] == "figure":
            assert isinstance(r["value"], (int, float)), f"{r['id']}: figure without numeric value"
            assert isinstance(r["unit"], str), f"{r['id']}: figure without unit string"
            assert r["figure_kind"] in FIGURE_KINDS, f"{r['id']}: figure without figure_kind"
        elif r["type"] != "year":
            assert r["value"] is None and r["unit"] is None and r["figure_kind"] is None, (
                f"{r['id']}: value/unit/figure_kind only for figure and year questions")
        if r["value"] is not None:
            assert isinstance(r["unit"], str), f"{r['id']}: value without unit"


def test_figure_value_in_evidence(gold):
    """The value, written as in the report, occurs in the answer and in some evidence span.

    Answers written with Chinese numerals or fractions (第四, 两倍, 前四, 1/4, 五分之一) cannot be
    matched digit-for-digit; they are skipped here but counted, and must still look numeric.
    """
    _, rows, _ = gold
    checked, skipped = 0, []
    for r in rows:
        if r["value"] is None:
            continue
        if answer_is_arabic(r["answer"]):
            num = fmt_number(r["value"])
            assert num in r["answer"], f"{r['id']}: value {num} not in answer {r['answer']!r}"
            pat = re.compile(r"(?<![\d.])" + re.escape(num) + r"(?![\d])")
            assert any(pat.search(e) for e in r["evidence"]), (
                f"{r['id']}: value {num} not written in any evidence span {r['evidence']}")
            if r["unit"]:
                assert any(num + r["unit"] in e or (num in e and r["unit"] in e) for e in r["evidence"]), (
                    f"{r['id']}: unit {r['unit']!r} not with value {num} in evidence")
            checked += 1
        else:
            assert CJK_NUMERAL.search(r["answer"]) or "/" in r["answer"], (
                f"{r['id']}: non-Arabic figure answer {r['answer']!r} has no numeral")
            skipped.append(r["id"])
    assert checked > 0
    # non-Arabic figure answers should stay the exception
    assert len(skipped) <= max(3, checked // 5), f"too many non-Arabic figure answers: {skipped}"


def test_minimum_counts(gold):
    path, rows, _ = gold
    rules = rules_for(path)
    by_type = Counter(r["type"] for r in rows)
    for t, n in rules.get("min_types", {}).items():
        assert by_type[t] >= n, f"{path.name}: {by_type[t]} {t} questions < {n}"
    if rules.get("need_fact"):
        assert by_type["fact"] > 0
    if "min_total" in rules:
        assert len(rows) >= rules["min_total"], f"{path.name}: {len(rows)} questions < {rules['min_total']}"
    by_group = Counter(r.get("group") for r in rows)
    for g, n in rules.get("min_groups", {}).items():
        assert by_group[g] >= n, f"{path.name}: {by_group[g]} {g!r} questions < {n}"
    n_en = sum(r["lang"] == "en" for r in rows)
    min_en = rules.get("min_en", MIN_EN)
    assert n_en >= min_en, f"{path.name}: {n_en} English questions < {min_en}"


def test_trust_groups(gold):
    """trust set: figure questions are answered by a figure; unanswerable ones are not."""
    path, rows, _ = gold
    if set_name(path) != "trust" and not rules_for(path).get("trust_groups"):
        pytest.skip("trust sets only")
    for r in rows:
        if r["group"] == "figure":
            assert r["status"] == "figure", f"{r['id']}: figure-group question must have a figure answer"
        if r["group"] == "unanswerable":
            assert r["status"] in {"passage", "not_found"}, f"{r['id']}: unanswerable question with a figure"
    statuses = Counter(r["status"] for r in rows)
    assert all(statuses[s] for s in STATUSES), f"{path.name}: every status should occur: {dict(statuses)}"
    groups_en = {r["group"] for r in rows if r["lang"] == "en"}
    assert {"figure", "unanswerable"} <= groups_en, f"{path.name}: English questions in figure and unanswerable"


def test_heldout_split(gold):
    path, rows, _ = gold
    if not rules_for(path).get("heldout_split"):
        assert {r["split"] for r in rows} <= rules_for(path).get("splits", SPLITS)
        pytest.skip(f"{path.name} is not a tune/heldout set")
    frac = sum(r["split"] == "heldout" for r in rows) / len(rows)
    lo, hi = HELDOUT_RANGE
    assert lo <= frac <= hi, f"{path.name}: heldout fraction {frac:.2f} outside [{lo}, {hi}]"
    heldout_types = {r["type"] for r in rows if r["split"] == "heldout"}
    assert heldout_types == {r["type"] for r in rows}, (
        f"types missing from heldout: {sorted({r['type'] for r in rows} - heldout_types)}")


def test_year_questions(gold):
    """year questions are about a quantity reported in both parts; the period must say which."""
    _, rows, _ = gold
    years = [r for r in rows if r["type"] == "year"]
    if not years:
        pytest.skip("no year questions in this file")
    for r in years:
        assert r["period"] in {"2023年实绩", "2024年目标"}, f"{r['id']}: year question without period"
    periods = Counter(r["period"] for r in years)
    assert periods["2023年实绩"] and periods["2024年目标"], "year questions should cover both periods"


def test_period_matches_part(gold):
    """Evidence for a 2023 answer lies in part 一, for a 2024 answer in part 二."""
    _, rows, doc = gold
    p2 = doc.find("二、2024年重点工作")
    p3 = doc.find("三、从严从实加强管委会自身建设")
    if p2 < 0 or p3 < 0:
        pytest.skip("document has no part markers")
    for r in rows:
        for e in r["evidence"]:
            starts = [m.start() for m in re.finditer(re.escape(e), doc)]
            if r["period"] == "2023年实绩":
                assert any(s < p2 for s in starts), f"{r['id']}: 2023 evidence not in part 一: {e}"
            elif r["period"] == "2024年目标":
                assert any(p2 <= s < p3 for s in starts), f"{r['id']}: 2024 evidence not in part 二: {e}"


def test_year_cue_matches_period(gold):
    """A figure question that names one year (2023/去年/… or 2024/今年/…) gets that year's period."""
    path, rows, _ = gold
    if not rules_for(path).get("year_cues"):
        pytest.skip("year-cue check applies to the trust and colloquial sets (and their dev sets)")
    for r in rows:
        if r.get("status") != "figure":
            continue
        q = r["question"].lower()
        named = {p for p, cues in YEAR_CUES.items() if any(c in q for c in cues)}
        if len(named) == 1:
            assert r["period"] in named, f"{r['id']}: question names {named} but period is {r['period']}"


def test_covers_every_part_and_section(gold):
    """colloquial set: evidence from every part (一/二/三) and every numbered section."""
    path, rows, doc = gold
    if not rules_for(path).get("cover_parts"):
        pytest.skip("coverage check applies to the colloquial sets")
    secs = sections(doc)
    if not secs:
        pytest.skip("document has no part markers")
    covered = set()
    for r in rows:
        for e in r["evidence"]:
            s = doc.find(e)
            covered |= {label for a, b, label in secs if a <= s < b}
    parts = {label[0] for _, _, label in secs}
    assert parts <= {label[0] for label in covered}, f"parts not covered: {sorted(parts - {c[0] for c in covered})}"
    missing = [label for _, _, label in secs if label not in covered]
    assert not missing, f"{path.name}: sections without questions: {missing}"
