"""The trained network run one step at a time in NumPy: the composer's fast path.

Keras' ``predict`` re-reads a whole window per token. Here the two LSTM layers keep their state
``(h, c)`` between steps and only the newest step goes in. The input is multi-hot (the previous
token plus one slot per conditioning group), so the first layer's input product is a sum of rows of
a table folded once at load time (``input_rows @ lstm_1/kernel + bias``). Several sequences step
together as a batch. Gate order and activations are Keras' (i, f, c, o; sigmoid and tanh), so the
output equals the Keras model's own for the same ids (tested to 1e-5).

The arithmetic is float32, as trained: a 256 x 1024 vector-matrix product costs ~20 us in float32
against ~60-120 us in float64 on the 2-core server, and a 16-bar piece takes ~150 steps of three such
products. At 2 x 192 units a step reads 2.4 MB of weights, more than a core's 2 MB L2, so it is bound by
memory traffic (the products take ~33 us with the weights in L2, ~55 us from L3 on a quiet machine,
twice that when the neighbours are busy); everything else a step does works in buffers kept in the
state, in the same order of operations as before they were kept (the logits are bit for bit the
same, and so is every piece).

A batch is stepped block by block. A block is one row, or a pair of rows (a styled piece and its
guidance shadow: :meth:`model.compose.Composer.compose_many`) that goes through ONE 2-row matrix
product per weight matrix: the weights are read once for both rows, which takes about half the time
of two vector products (docs/BENCHMARKS.md, "Composer steps, session 10"). A matrix product rounds
differently from vector products (within float32 rounding; about one styled piece in 200 has a draw
tipped), so what a row goes through is fixed by its own request, never by the batch around it: a
styled piece's pair is always stepped as a pair, every other row always alone with the same vector
products as ever (unstyled pieces are bit for bit what they were). A piece composed in a batch is
therefore bit for bit the piece composed alone. Unrelated rows are not stacked into one product:
their number would then decide how each is rounded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Self

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
add, multiply, tanh, matmul = np.add, np.multiply, np.tanh, np.matmul  # module globals: one lookup a call

WEIGHT_NAMES = (
    "input_rows/kernel",
    "lstm_1/kernel",
    "lstm_1/recurrent_kernel",
    "lstm_1/bias",
    "lstm_2/kernel",
    "lstm_2/recurrent_kernel",
    "lstm_2/bias",
    "next_token/kernel",
    "next_token/bias",
)


class Block(NamedTuple):
    """The views one step of a block works on (made once per state): its rows of the state (1-D for
    a single row, 2-D for a pair) and the gate buffers of its width."""

    rows: int | slice  # its row, or its pair of rows: how ``ids`` is indexed
    axis: int  # the axis of ``rows1.take(ids[rows])`` that holds the active ids
    h: FloatArray
    h1: FloatArray
    c1: FloatArray
    h2: FloatArray
    c2: FloatArray
    logits: FloatArray
    recurrent: FloatArray
    cell: tuple[FloatArray, ...]  # pre-activations, tanh, gate values, a product and the gates' views


@dataclass(slots=True)
class LSTMState:
    """Hidden and cell state of both layers for a batch of sequences (``h[:, :units]`` is layer 1's,
    ``h[:, units:]`` layer 2's, so layer 2 reads ``h`` whole), plus the buffers a step works in;
    owned by one caller."""

    h: FloatArray
    c: FloatArray
    logits: FloatArray  # batch x vocabulary: what the last step returned
    recurrent: FloatArray  # batch x (4 * units): layer 1's h @ its recurrent kernel, for the next step
    blocks: list[Block] = field(default_factory=list)  # what a step steps (FastLSTM.initial_state)
    early: bool = True  # the next block stepped takes its recurrent product early (FastLSTM.step)


def keras_weights(model: Any) -> dict[str, npt.NDArray[np.float32]]:
    """The weights of a :func:`model.network.build_model` network by :data:`WEIGHT_NAMES`."""
    weights: dict[str, npt.NDArray[np.float32]] = {}
    for layer_name in ("input_rows", "lstm_1", "lstm_2", "next_token"):
        layer = model.get_layer(layer_name)
        for variable in layer.weights:
            weights[f"{layer_name}/{variable.name}"] = np.asarray(variable.numpy(), dtype=np.float32)
    missing = set(WEIGHT_NAMES) - set(weights)
    if missing:
        raise ValueError(f"model lacks weights {sorted(missing)}")
    return weights


class FastLSTM:
    """Immutable weights plus a pure step function; safe to share between threads."""

    def __init__(self, weights: Mapping[str, npt.ArrayLike]) -> None:
        # OpenBLAS splits even a 256 x 1024 vector product over threads; on a busy 2-core server the
        # threads wait for each other (16 bars: 1.7 s instead of 60 ms, measured while a training ran),
        # and the split could round differently from one thread's. One BLAS thread for the process:
        # the bot does no other linear algebra, and training (TensorFlow) has its own thread pool.
        threadpool_limits(1, user_api="blas")
        w = {name: np.asarray(weights[name], dtype=np.float32) for name in WEIGHT_NAMES}
        self.units = w["lstm_1/recurrent_kernel"].shape[0]
        self.vocab_size = w["next_token/bias"].shape[0]
        self.inputs = w["input_rows/kernel"].shape[0]
        # Multi-hot input: each active id (1 + groups per step) adds its row of the folded table.
        folded = w["input_rows/kernel"].astype(np.float64) @ w["lstm_1/kernel"].astype(np.float64)
        # sigmoid(x) = (1 + tanh(x / 2)) / 2: one tanh call covers all four gates. Everything that adds
        # up to a layer's pre-activations has its i, f and o columns stored halved, so the sums come
        # out as x / 2 directly; halving is exact (short of subnormal weights, of which the shipped
        # model has none), so each sum is exactly half of the unhalved one, bit for bit.
        scale = np.full(4 * self.units, 0.5, dtype=np.float32)
        scale[2 * self.units : 3 * self.units] = 1.0
        self._rows1 = folded.astype(np.float32) * scale
        self._bias1 = w["lstm_1/bias"] * scale
        self._recurrent1 = w["lstm_1/recurrent_kernel"] * scale
        # Layer 2 reads [h1, h2] through its input and recurrent kernels stacked: one product.
        self._stacked2 = np.concatenate([w["lstm_2/kernel"], w["lstm_2/recurrent_kernel"]]) * scale
        self._bias2 = w["lstm_2/bias"] * scale
        self._dense = w["next_token/kernel"]
        self._dense_bias = w["next_token/bias"]
        self._half = np.float32(0.5)
        self._rows1, self._recurrent1, self._stacked2, self._dense = _on_huge_pages(
            [self._rows1, self._recurrent1, self._stacked2, self._dense]
        )

    @classmethod
    def load(cls, path: Path) -> Self:
        with np.load(path) as data:
            return cls({name: data[name] for name in WEIGHT_NAMES})

    def initial_state(self, batch: int = 1, pairs: Sequence[int] = ()) -> LSTMState:
        """A zero state for ``batch`` rows. Each row ``r`` in ``pairs`` steps together with row
        ``r + 1`` as one block (one 2-row product per weight matrix), every other row alone; blocks
        are numbered in row order (with no pairs, block ``b`` is row ``b``)."""
        u = self.units
        shape = (batch, 2 * u)
        state = LSTMState(
            np.zeros(shape, dtype=np.float32),
            np.zeros(shape, dtype=np.float32),
            np.zeros((batch, self.vocab_size), dtype=np.float32),
            np.empty((batch, 4 * u), dtype=np.float32),
        )
        # Views made once, not per step: per block (h, layer 1's h and c, layer 2's h and c, logits,
        # the recurrent product), and of the gate buffers of its width (shared by the blocks of that
        # width): pre-activations, tanh, gate values, a product, then the input, forget and output
        # gates' values and the candidate's tanh.
        single = _cell_views(np.empty((4, 4 * u), dtype=np.float32), u)
        pair = _cell_views(np.empty((4, 2, 4 * u), dtype=np.float32), u) if pairs else single
        h, c, logits, recurrent = state.h, state.c, state.logits, state.recurrent
        paired = set(pairs)
        starts = []
        row = 0
        while row < batch:
            starts.append(row)
            row += 2 if row in paired else 1
        if row != batch or not paired <= set(starts):
            raise ValueError(f"pairs {sorted(paired)} do not tile a batch of {batch} rows")
        for start in starts:
            rows, cell, axis = (slice(start, start + 2), pair, 1) if start in paired else (start, single, 0)
            views = h[rows], h[rows, :u], c[rows, :u], h[rows, u:], c[rows, u:], logits[rows], recurrent[rows]
            state.blocks.append(Block(rows, axis, *views, cell))
        for block in state.blocks:
            matmul(block.h1, self._recurrent1, out=block.recurrent)
        return state

    def _cell(self, h: FloatArray, c: FloatArray, cell: tuple[FloatArray, ...]) -> None:
        """One LSTM layer's update of ``h`` and ``c`` in place from the pre-activations ``cell[0]``."""
        z, t, g, product, input_gate, forget_gate, output_gate, candidate = cell
        tanh(z, out=t)
        multiply(t, self._half, out=g)
        add(g, self._half, out=g)
        multiply(forget_gate, c, out=c)
        multiply(input_gate, candidate, out=product)
        add(c, product, out=c)
        tanh(c, out=h)
        multiply(h, output_gate, out=h)

    def step(
        self,
        ids: IntArray,
        state: LSTMState,
        blocks: Sequence[int] | None = None,
        outputs: Collection[int] | None = None,
    ) -> FloatArray:
        """Feed one step per sequence (``ids``: batch x (1 + groups), offset like the Keras input),
        update ``state`` in place, return next-token logits (block by block: see above). Only
        ``blocks`` are stepped when given (finished pieces of a batch are left alone, their logits
        rows are stale), and only ``outputs`` of them go through the output layer when given (the
        others' next token does not come from the network; their logits rows are stale too). The
        logits are ``state.logits``, overwritten by the next step.

        Layer 1's recurrent product for the next step is taken as soon as its ``h`` is known: for
        every other block stepped (counting on across calls) before the other two products, else
        after them. The weights (more than a core's L2) are then read recurrent, stacked, dense,
        stacked, dense, recurrent, ..., an order in which the cache keeps more of them than in a plain
        cycle (~10% faster on the server). Every product is the same, and so are the logits."""
        every = state.blocks
        early = state.early
        for block in range(len(every)) if blocks is None else blocks:
            rows, axis, h, h1, c1, h2, c2, logits, recurrent, cell = every[block]
            z = cell[0]
            # z = ((sum of the active ids' rows, first to last) + bias) + h1 @ recurrent: the order
            # the pieces were always composed with (another order rounds differently)
            add.reduce(self._rows1.take(ids[rows], axis=0), axis=axis, out=z)
            add(z, self._bias1, out=z)
            add(z, recurrent, out=z)
            self._cell(h1, c1, cell)
            if early:
                matmul(h1, self._recurrent1, out=recurrent)
            matmul(h, self._stacked2, out=z)
            add(z, self._bias2, out=z)
            self._cell(h2, c2, cell)
            if outputs is None or block in outputs:
                matmul(h2, self._dense, out=logits)
                add(logits, self._dense_bias, out=logits)
            if not early:
                matmul(h1, self._recurrent1, out=recurrent)
            early = not early
        state.early = early
        return state.logits

    def predict_sequences(self, ids: IntArray) -> npt.NDArray[np.float64]:
        """Next-token probabilities at every step of each row (batch x steps x (1 + groups) ids),
        from a zero state, as the Keras model's ``predict`` gives them."""
        state = self.initial_state(ids.shape[0])
        steps = [softmax(self.step(ids[:, column], state)) for column in range(ids.shape[1])]
        return np.stack(steps, axis=1)


def _cell_views(gates: FloatArray, u: int) -> tuple[FloatArray, ...]:
    """Views of gate buffers (4 x [rows x] 4 units) in the order :meth:`FastLSTM._cell` reads them."""
    z, t, g, product = gates
    return (z, t, g, product[..., :u], g[..., :u], g[..., u : 2 * u], g[..., 3 * u :], t[..., 2 * u : 3 * u])


HUGE_PAGE = 2 << 20


def _on_huge_pages(arrays: Sequence[FloatArray]) -> list[FloatArray]:
    """Read-only copies of ``arrays`` side by side in one buffer aligned to 2 MB pages.

    Every step reads all of the weights (2.4 MB at 2 x 192 units, more than a core's 2 MB L2), so
    they come from L3 each time; on transparent huge pages (NumPy asks for them on buffers this
    large) that costs a handful of TLB entries instead of ~1,300 pages' (the three products ~7% faster
    on the server). Same values, same strides: the products round exactly as before."""
    sizes = [-(-a.nbytes // 64) * 64 for a in arrays]
    buffer = np.empty((-(-sum(sizes) // HUGE_PAGE) + 1) * HUGE_PAGE, dtype=np.uint8)
    offset = -buffer.ctypes.data % HUGE_PAGE
    copies = []
    for array, size in zip(arrays, sizes, strict=True):
        copy = buffer[offset : offset + array.nbytes].view(np.float32).reshape(array.shape)
        copy[...] = array
        copy.setflags(write=False)
        copies.append(copy)
        offset += size
    return copies


def softmax(logits: FloatArray, temperature: float = 1.0) -> npt.NDArray[np.float64]:
    """Row-wise softmax of ``logits / temperature`` in float64 (sums to 1 within rounding)."""
    scaled = logits.astype(np.float64) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    result: npt.NDArray[np.float64] = exp / exp.sum(axis=-1, keepdims=True)
    return result
