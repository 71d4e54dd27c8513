"""The embedding model's tokenizer built per text from the pieces it can use (qa/model_tokenizer.py)
gives the full `tokenizers` tokenizer's ids, on the real model's tokenizer: the report's lines, random
text over CJK, ASCII, full-width, emoji, combining and invisible characters, special tokens written in
the text, doubled spaces, empty text and text past the 512-token cut."""
from __future__ import annotations

import random

import pytest

from qa.model_tokenizer import FILES, PieceTokenizer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair(real_model):
    from tokenizers import Tokenizer

    folder = real_model.folder
    assert all((folder / f).is_file() for f in FILES), "the export carries the pieces (layout 2)"
    full = Tokenizer.from_file(str(folder / "tokenizer.json"))
    full.no_padding()
    full.enable_truncation(real_model.config.max_length)
    return full, PieceTokenizer(folder, real_model.config.max_length), real_model


def texts(report_text: str) -> list[str]:
    lines = [line for line in report_text.splitlines() if line.strip()]
    rng = random.Random(14)
    alphabet = [chr(c) for c in [*range(32, 127), *range(0x4E00, 0x4E00 + 3000), 0x3000, 0xFF01, 0xFF21, 0x1F680,
                                 0x200B, 0xE000, 0x0301, 0x2028, 0x85, 0xFEFF, 0xA0]]
    out = list(lines)
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(1500)]
    for _ in range(300):
        a = rng.choice(lines)
        i = rng.randint(0, len(a))
        out.append(a[:i] + rng.choice(["<s>", "</s>", "<mask>", "<unk>", "<pad>", "  ", "\t", "\n", " <s> "]) + a[i:])
    return out + ["", " ", "光" * 900, "a" * 3000, "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ：１２３４５！", "emoji 🚀 and 中文"]


def test_same_ids_as_the_full_tokenizer(pair, report):
    full, pieces, model = pair
    wrong = []
    for text in texts(report.text):
        for prompt in (model.config.query_prompt, model.config.document_prompt):
            if full.encode(prompt + text).ids != pieces.encode(prompt + text).ids:
                wrong.append(text[:40])
    assert not wrong, wrong[:5]


def test_a_batch_equals_its_texts(pair, report):
    full, pieces, _ = pair
    batch = texts(report.text)[:64]
    assert [e.ids for e in pieces.encode_batch(batch)] == [e.ids for e in full.encode_batch(batch)]
    assert pieces.encode_batch([]) == []


def test_the_encoder_uses_it(pair):
    """The export (layout 2) loads the piece tokenizer, not the 0.8 s full one."""
    assert isinstance(pair[2].tokenizer, PieceTokenizer)
