"""A styled piece and its guidance shadow step as a pair: one 2-row product per weight matrix."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

import numpy as np
import pytest

from model.compose import Composer, ComposeRequest
from model.conditioning import Conditioning
from model.fast_lstm import FastLSTM, FloatArray, IntArray, LSTMState
from model.paths import DEFAULT_MODEL_DIR


@pytest.fixture(scope="module")
def fast() -> FastLSTM:
    return FastLSTM.load(DEFAULT_MODEL_DIR / "weights.npz")


def _random_ids(fast: FastLSTM, rows: int, steps: int, seed: int = 0) -> IntArray:
    """Valid inputs: one token (or the start token) and one slot of every conditioning group."""
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text())
    conditioning = Conditioning(meta["conditioning"]["soloists"])
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, fast.vocab_size + 1, size=(rows, steps, 1))
    slots = [
        fast.vocab_size + 1 + offset + rng.integers(0, size, size=(rows, steps, 1))
        for offset, size in zip(conditioning.offsets, conditioning.group_sizes, strict=True)
    ]
    return np.concatenate([tokens, *slots], axis=2)


def test_a_pair_steps_like_its_two_rows_to_float32_rounding(fast: FastLSTM) -> None:
    """The 2-row product rounds differently from two vector products, by no more than float32's
    rounding; the state stays as close over many steps."""
    ids = _random_ids(fast, 2, 40)
    pair, rows = fast.initial_state(2, pairs=[0]), fast.initial_state(2)
    differs = False
    for column in range(ids.shape[1]):
        paired = fast.step(ids[:, column], pair)
        single = fast.step(ids[:, column], rows)
        np.testing.assert_allclose(paired, single, atol=1e-5, rtol=0)
        differs |= not np.array_equal(paired, single)
    np.testing.assert_allclose(pair.h, rows.h, atol=1e-5, rtol=0)
    np.testing.assert_allclose(pair.c, rows.c, atol=1e-5, rtol=1e-6)  # |c| grows past 1
    assert differs  # else this would not be testing the matrix product


def test_a_pair_in_a_batch_steps_like_the_pair_alone(fast: FastLSTM) -> None:
    """Bit for bit, wherever the pair sits in the batch, whatever steps beside it (single rows,
    another pair) and in whichever order its products are taken (it alternates from block to
    block); the single rows too."""
    ids = _random_ids(fast, 6, 30, seed=1)
    batch = fast.initial_state(6, pairs=[1, 4])  # blocks: row 0, rows 1-2, row 3, rows 4-5
    alone = [
        (slice(0, 1), fast.initial_state(1)),
        (slice(1, 3), fast.initial_state(2, pairs=[0])),
        (slice(3, 4), fast.initial_state(1)),
        (slice(4, 6), fast.initial_state(2, pairs=[0])),
    ]
    for column in range(ids.shape[1]):
        logits = fast.step(ids[:, column], batch)
        for rows, state in alone:
            np.testing.assert_array_equal(logits[rows], fast.step(ids[rows, column], state))


@pytest.mark.parametrize("pairs", [[], [1]])
def test_blocks_left_out_of_a_step_keep_their_state(fast: FastLSTM, pairs: list[int]) -> None:
    """A finished piece of a batch (a single row, or a styled row and its shadow) is left alone while
    the others go on: the step works in the state's own buffers, which must not leak between rows."""
    ids = _random_ids(fast, 3, 6, seed=2)
    state = fast.initial_state(3, pairs=pairs)
    alone = fast.initial_state(1)
    for column in range(3):
        fast.step(ids[:, column], state)
        fast.step(ids[:1, column], alone)
    frozen = state.h[1:].copy(), state.c[1:].copy()
    for column in range(3, 6):
        logits = fast.step(ids[:, column], state, blocks=[0])
        np.testing.assert_array_equal(logits[0], fast.step(ids[:1, column], alone)[0])
    np.testing.assert_array_equal(state.h[1:], frozen[0])
    np.testing.assert_array_equal(state.c[1:], frozen[1])
    np.testing.assert_array_equal(state.h[0], alone.h[0])


@pytest.mark.parametrize(("batch", "pairs"), [(2, [1]), (3, [0, 1]), (1, [0]), (4, [-1])])
def test_pairs_must_tile_the_batch(fast: FastLSTM, batch: int, pairs: list[int]) -> None:
    with pytest.raises(ValueError, match="do not tile"):
        fast.initial_state(batch, pairs)


class _Recording(FastLSTM):
    """The shipped network, keeping a copy of every block's logits rows at every step."""

    seen: dict[int, list[FloatArray | None]]  # None: the block skipped the output layer

    def initial_state(self, batch: int = 1, pairs: Sequence[int] = ()) -> LSTMState:
        self.seen = {}
        return super().initial_state(batch, pairs)

    def step(
        self,
        ids: IntArray,
        state: LSTMState,
        blocks: Sequence[int] | None = None,
        outputs: Collection[int] | None = None,
    ) -> FloatArray:
        logits = super().step(ids, state, blocks, outputs)
        for block in range(len(state.blocks)) if blocks is None else blocks:
            fresh = outputs is None or block in outputs
            self.seen.setdefault(block, []).append(logits[state.blocks[block].rows].copy() if fresh else None)
        return logits


def test_a_styled_piece_in_a_batch_hears_what_it_hears_alone() -> None:
    """Every logit of every step, styled row and shadow, is the same number in a batch as alone (a
    difference would seldom tip a draw, so the pieces alone would not show it)."""
    network = _Recording.load(DEFAULT_MODEL_DIR / "weights.npz")
    vocab = json.loads((DEFAULT_MODEL_DIR / "vocab.json").read_text())
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text())
    composer = Composer(network, vocab, meta, "recording")
    requests = [
        ComposeRequest(6, seed=11),
        ComposeRequest(8, seed=12, like="Parker"),
        ComposeRequest(4, seed=13, like="cool"),
        ComposeRequest(5, seed=14),
        ComposeRequest(7, seed=15, like="Coltrane"),
    ]
    batched = composer.compose_many(requests)
    in_batch = network.seen
    for index, request in enumerate(requests):
        assert composer.compose_many([request]) == [batched[index]]
        (alone,) = network.seen.values()
        assert len(alone) == len(in_batch[index])
        heard = [logits for logits in alone if logits is not None]
        assert heard[0].shape == ((len(vocab),) if request.like is None else (2, len(vocab)))
        for heard_alone, heard_in_batch in zip(alone, in_batch[index], strict=True):
            assert (heard_alone is None) == (heard_in_batch is None)
            if heard_alone is not None:
                np.testing.assert_array_equal(heard_alone, heard_in_batch)
