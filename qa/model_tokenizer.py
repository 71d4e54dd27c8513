"""The embedding model's tokenizer (a 250k-piece Unigram), ready in ~0.1 s instead of ~0.8 s.

Why: `tokenizers.Tokenizer.from_file` spends ~0.8 s building the trie of all 250,002 pieces, and it
holds the GIL while doing so, so the cold start's other work (reading the index, jieba) stalls
behind it. A Unigram segmentation of a text only ever uses pieces that occur inside that text's
pre-tokens, so for each call a small tokenizer is built (in microseconds) with the same normaliser,
pre-tokeniser, post-processor and special tokens, and a vocabulary of just those pieces; its ids are
mapped back to the model's.

The result equals the full tokenizer's (tests/test_model_tokenizer.py, on the real tokenizer):
- every piece that is a substring of a pre-token is included (a superset changes nothing: the
  lattice only holds pieces found in the text);
- the piece with the lowest score is always included, because an unknown character's penalty is
  derived from the vocabulary's minimum score;
- the Viterbi search breaks ties by position and length, never by id, so renumbering is harmless.

The pieces are kept beside tokenizer.json, written with the export: sorted in a fixed-width numpy
array (pieces.npy, memory-mapped, searched with `np.searchsorted`), with their ids (piece_ids.npy),
the scores by id (scores.npy) and the rest of the pipeline (pipeline.json). Opening them reads
almost nothing (~10 ms, against ~0.15 s for a dict of 250k pieces).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PIECES = "pieces.npy"  # every piece, sorted (fixed-width unicode)
PIECE_IDS = "piece_ids.npy"  # int32: the id of each sorted piece
SCORES = "scores.npy"  # float64, the Unigram log-probabilities, in id order
PIPELINE = "pipeline.json"  # tokenizer.json without its vocabulary
FILES = (PIECES, PIECE_IDS, SCORES, PIPELINE)


def write_pieces(tokenizer_json: Path, folder: Path) -> bool:
    """FILES from a Unigram tokenizer.json (at export time); False, nothing written, for another
    kind of tokenizer (which then loads whole)."""
    data = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    model = data.get("model") or {}
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        return False
    pieces = [p for p, _ in model["vocab"]]
    # numpy's fixed-width strings drop trailing NULs; a piece must also be unique to be found
    if any(not p or "\0" in p for p in pieces) or len(set(pieces)) != len(pieces):
        return False
    order = sorted(range(len(pieces)), key=pieces.__getitem__)
    np.save(folder / PIECES, np.array([pieces[i] for i in order], dtype=f"<U{max(map(len, pieces))}"))
    np.save(folder / PIECE_IDS, np.array(order, dtype=np.int32))
    np.save(folder / SCORES, np.array([s for _, s in model["vocab"]], dtype=np.float64))
    model["vocab"] = []
    (folder / PIPELINE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return True


@dataclass(frozen=True)
class Encoded:
    """What the encoder reads of a `tokenizers.Encoding`."""

    ids: list[int]


class PieceTokenizer:
    """`encode` and `encode_batch` as the full tokenizer does them (ids only)."""

    def __init__(self, folder: Path, max_length: int) -> None:
        from tokenizers import AddedToken, Tokenizer

        folder = Path(folder)
        data = json.loads((folder / PIPELINE).read_text(encoding="utf-8"))
        self._sorted = np.load(folder / PIECES, mmap_mode="r")
        self._ids = np.load(folder / PIECE_IDS, mmap_mode="r")
        self._scores = np.load(folder / SCORES)  # 2 MB, read whole: a gather per call
        n = len(self._sorted)
        if len(self._ids) != n or len(self._scores) != n:
            raise ValueError(f"the piece files in {folder} disagree")
        self._where = np.empty(n, dtype=np.int64)  # id -> position in the sorted array
        self._where[self._ids] = np.arange(n)
        self._longest = self._sorted.dtype.itemsize // 4
        self.unk_id = int(data["model"]["unk_id"])
        added = sorted(data.get("added_tokens", []), key=lambda t: t["id"])
        # ids every small tokenizer keeps: the special tokens (the post-processor's <s> and </s> are
        # written as fixed ids, so the ones below the first ordinary piece keep their places), then
        # the lowest-scoring piece (the unknown-character penalty is measured from it)
        fixed = [t["id"] for t in added]
        head = 0
        while head in fixed:
            head += 1
        self._fixed = list(range(head)) + [i for i in fixed if i >= head] + [int(np.argmin(self._scores))]
        self._fixed = list(dict.fromkeys(self._fixed))
        self._added = [AddedToken(t["content"], single_word=t["single_word"], lstrip=t["lstrip"], rstrip=t["rstrip"],
                                  normalized=t["normalized"], special=t["special"]) for t in added]
        self._added_re = re.compile("|".join(re.escape(t["content"]) for t in added)) if added else None
        # the pipeline without a model: what the small tokenizers share
        data["model"]["vocab"] = [[self._piece(i), float(self._scores[i])] for i in self._fixed]
        data["model"]["unk_id"] = self._fixed.index(self.unk_id)
        data["added_tokens"] = []
        data["truncation"] = data["padding"] = None
        self._front = Tokenizer.from_str(json.dumps(data))
        self.max_length = max_length

    def encode(self, text: str) -> Encoded:
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: Sequence[str]) -> list[Encoded]:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        rows = list(self._fixed)
        seen = set(rows)
        for text in texts:
            for i in self._found(text):
                if i not in seen:
                    seen.add(i)
                    rows.append(i)
        pieces = self._sorted[self._where[rows]].tolist()  # one gather each, not one memmap read per piece
        scores = self._scores[rows].tolist()
        model = Unigram(list(zip(pieces, scores)), unk_id=rows.index(self.unk_id), byte_fallback=False)
        tok = Tokenizer(model)
        tok.normalizer = self._front.normalizer
        tok.pre_tokenizer = self._front.pre_tokenizer
        tok.post_processor = self._front.post_processor
        tok.add_special_tokens(self._added)
        tok.enable_truncation(self.max_length)
        back = np.array(rows, dtype=np.int64)
        return [Encoded(back[e.ids].tolist()) for e in tok.encode_batch(list(texts))]

    def _piece(self, i: int) -> str:
        return str(self._sorted[self._where[i]])

    def _found(self, text: str) -> list[int]:
        """Ids of every piece inside the text's pre-tokens (and those of each stretch between
        special tokens, which are normalised and pre-tokenised apart)."""
        stretches = [text] + (self._added_re.split(text) if self._added_re and self._added_re.search(text) else [])
        candidates: set[str] = set()
        longest = self._longest
        for stretch in stretches:
            normal = self._front.normalizer.normalize_str(stretch)
            for word, _ in self._front.pre_tokenizer.pre_tokenize_str(normal):
                n = len(word)
                for a in range(n):
                    candidates.update(word[a:b] for b in range(a + 1, min(n, a + longest) + 1))
        candidates.discard("")
        if not candidates:
            return []
        wanted = np.array(sorted(candidates), dtype=self._sorted.dtype)
        at = np.minimum(np.searchsorted(self._sorted, wanted), len(self._sorted) - 1)
        hit = self._sorted[at] == wanted
        return self._ids[at[hit]].tolist()
