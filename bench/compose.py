"""``python -m bench.compose``: how fast the composer writes 16 bars, against deepjazz's way.

Fast path: :class:`model.compose.Composer` with the shipped model, 16 bars for 20 seeds (p50/p90/p95;
``--rounds`` times over, the seeds interleaved, to see through a busy machine), the same "like Parker"
(a styled piece steps a second, unstyled row for guidance), and eight pieces batched through
:meth:`~model.compose.Composer.compose_many`. Naive path: the same sampler and model, but every token
asks Keras' ``model.predict`` for the next-token distribution over the last ``window`` steps (the
training window), as deepjazz did; only a few pieces, it is slow. The load average is printed before
and after: the server is shared, and the fast path is bound by memory traffic (its weights do not fit a
core's L2), so neighbours slow it down even when it has a core to itself. ``--against DIR`` times
another checkout's composer (e.g. main's worktree, in a subprocess) on the same seeds, piece by piece
alternating with this one, so that a before/after ratio sees the same neighbours. ``--model DIR`` times
a trained model folder instead of the shipped one (both paths), and ``--against-model DIR`` times
another model folder with this checkout's composer, alternating piece by piece in the same process
(e.g. a smaller network against the shipped one). The same 16-bar pieces are then arranged for the
band (:func:`model.arrange.arrange`), the other half of what a clip waits for before rendering.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from model.arrange import arrange
from model.compose import Composer, ComposeRequest
from model.fast_lstm import FastLSTM, FloatArray, IntArray, LSTMState
from model.paths import DEFAULT_MODEL_DIR

BARS = 16


class KerasPerToken(FastLSTM):
    """The network behind the same interface, one ``model.predict`` call per token (batch of 1)."""

    def __init__(self, model: Any, weights: dict[str, Any], window: int) -> None:
        super().__init__(weights)
        self._model = model
        self._window = window
        self._history: list[IntArray] = []

    def initial_state(self, batch: int = 1, pairs: Sequence[int] = ()) -> LSTMState:
        if batch != 1 or pairs:
            raise ValueError("the naive path composes one unstyled piece at a time")
        self._history = []
        return super().initial_state(1)

    def step(
        self,
        ids: IntArray,
        state: LSTMState,
        blocks: Sequence[int] | None = None,
        outputs: Collection[int] | None = None,
    ) -> FloatArray:
        self._history.append(ids[0].copy())
        window = np.stack(self._history[-self._window :])[None]
        probabilities = self._model.predict(window, verbose=0)[0, -1].astype(np.float32)
        logits: FloatArray = np.log(np.maximum(probabilities, 1e-30))[None, :]
        return logits


def _timed(function: Callable[[], Any], repeats: int) -> tuple[list[float], list[Any]]:
    """Seconds per call and what each call returned."""
    times, results = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        results.append(function())
        times.append(time.perf_counter() - started)
    return times, results


def _pieces(
    composer: Composer, seeds: int, like: str | None = None, rounds: int = 1
) -> tuple[list[float], float]:
    """Seconds per 16-bar piece for seeds 0.. (each ``rounds`` times), and the mean tokens per piece."""
    times, pieces = [], []
    for _ in range(rounds):
        for seed in range(seeds):
            elapsed, piece = _timed(functools.partial(composer.compose, BARS, seed=seed, like=like), 1)
            times += elapsed
            pieces += piece
    return times, statistics.mean(len(p.extra["tokens"].replace("|", " ").split()) for p in pieces)


def _arrangements(composer: Composer, seeds: int, rounds: int = 1) -> list[float]:
    """Seconds to arrange each 16-bar piece of seeds 0.. for the band (:func:`model.arrange.arrange`,
    default options: what a clip does after composing), each ``rounds`` times."""
    pieces = [composer.compose(BARS, seed=seed) for seed in range(seeds)]
    times: list[float] = []
    for _ in range(rounds):
        for piece in pieces:
            times += _timed(functools.partial(arrange, piece), 1)[0]
    return times


_OTHER_CHECKOUT = """
import sys, time
from model.compose import Composer
composer = Composer.load()
composer.compose(16, seed=0)
print("ready", flush=True)
for line in sys.stdin:
    seed, like = line.rstrip("\\n").split("\\t")
    started = time.perf_counter()
    composer.compose(16, seed=int(seed), like=like or None)
    print(time.perf_counter() - started, flush=True)
"""


class _Opponent(Protocol):
    """What the per-piece comparison times against: one 16-bar piece per call, in seconds."""

    label: str

    def compose(self, seed: int, like: str | None) -> float: ...

    def close(self) -> None: ...


class _OtherModel:
    """Another model folder composed by this checkout's composer, in this process."""

    def __init__(self, model_dir: Path) -> None:
        self._composer = Composer.load(model_dir)
        self._composer.compose(BARS, seed=0)
        self.label = f"{self._composer.name} ({model_dir})"

    def compose(self, seed: int, like: str | None) -> float:
        return _timed(functools.partial(self._composer.compose, BARS, seed=seed, like=like), 1)[0][0]

    def close(self) -> None:
        pass


class _OtherCheckout:
    """``checkout``'s own ``model`` package in a subprocess that composes one 16-bar piece per request
    and answers with the seconds it took."""

    def __init__(self, checkout: Path) -> None:
        self.label = str(checkout)
        self._process = subprocess.Popen(
            [sys.executable, "-c", _OTHER_CHECKOUT],
            cwd=checkout,
            env={**os.environ, "PYTHONPATH": str(checkout)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._ask("ready")

    def _ask(self, expected: str | None = None) -> str:
        assert self._process.stdout is not None
        answer = self._process.stdout.readline().strip()
        if not answer or (expected is not None and answer != expected):
            raise RuntimeError(f"the other checkout's composer stopped (exit code {self._process.poll()})")
        return answer

    def compose(self, seed: int, like: str | None) -> float:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{seed}\t{like or ''}\n")
        self._process.stdin.flush()
        return float(self._ask())

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()


def _compare(composer: Composer, other: _Opponent, seeds: int, rounds: int) -> None:
    """This composer against ``other``, piece by piece: each seed is composed by both, one right
    after the other (who goes first alternates), so that both see the same neighbours; the median of
    the per-seed ratios is the figure to quote on a busy machine."""
    try:
        for like in (None, "Parker"):
            ours: list[float] = []
            theirs: list[float] = []
            for round_ in range(rounds):
                for seed in range(seeds):
                    if (seed + round_) % 2:
                        theirs.append(other.compose(seed, like))
                    ours += _timed(functools.partial(composer.compose, BARS, seed=seed, like=like), 1)[0]
                    if not (seed + round_) % 2:
                        theirs.append(other.compose(seed, like))
            ratio = _percentile(ours, 0.5) / _percentile(theirs, 0.5)
            paired = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
            print(f"{like or 'plain'}: {other.label} {_spread(theirs)}")
            print(
                f"{' ' * len(like or 'plain')}  {composer.name} {_spread(ours)}  "
                f"(p50 ratio {ratio:.3f}, median of per-piece ratios {paired:.3f})"
            )
    finally:
        other.close()
    print(f"load average {_load()} after the comparison")


def _spread(seconds: Sequence[float]) -> str:
    return "  ".join(f"p{share} {_percentile(seconds, share / 100) * 1e3:.1f} ms" for share in (50, 90, 95))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _percentile(values: Sequence[float], share: float) -> float:
    return float(np.percentile(values, share * 100))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compose", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="pieces timed on the fast path")
    parser.add_argument("--rounds", type=int, default=1, help="times over the seeds on the fast path")
    parser.add_argument("--naive", type=int, default=3, help="pieces timed on the naive path (0: none)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="model folder to time")
    others = parser.add_mutually_exclusive_group()
    others.add_argument("--against", type=Path, help="another checkout to time on the same seeds")
    others.add_argument("--against-model", type=Path, help="another model folder to time on the same seeds")
    args = parser.parse_args(argv)

    print(f"load average {_load()} at the start")
    composer = Composer.load(args.model)
    composer.compose(BARS, seed=0)  # first call pays for imports and caches
    fast, tokens = _pieces(composer, args.seeds, rounds=args.rounds)
    styled, _ = _pieces(composer, args.seeds, like="Parker", rounds=args.rounds)
    batched, _ = _timed(lambda: composer.compose_many([ComposeRequest(BARS, seed=s) for s in range(8)]), 5)
    arranged = _arrangements(composer, args.seeds, args.rounds)
    p50 = _percentile(fast, 0.5)
    print(f"model {composer.name}: {tokens:.0f} tokens per piece")
    print(f"fast   16 bars x {len(fast)} pieces: {_spread(fast)}")
    print(f"styled 16 bars like Parker (two rows per step): {_spread(styled)}")
    print(f"batch  8 x 16 bars (compose_many): p50 {_percentile(batched, 0.5) * 1e3:.1f} ms per batch")
    print(f"arrange 16 bars x {len(arranged)} pieces (model.arrange, the default band): {_spread(arranged)}")
    print(f"load average {_load()} after the fast path")
    if args.against is not None:
        _compare(composer, _OtherCheckout(args.against), args.seeds, args.rounds)
    if args.against_model is not None:
        _compare(composer, _OtherModel(args.against_model), args.seeds, args.rounds)
    if args.naive <= 0:
        return 0

    import keras

    import model.network
    from model.fast_lstm import keras_weights

    meta = json.loads((args.model / "meta.json").read_text())
    model = keras.saving.load_model(args.model / "model.keras", compile=False)
    naive_network = KerasPerToken(model, keras_weights(model), meta["options"]["window"])
    naive_composer = Composer(naive_network, composer.vocab, meta, "naive")
    naive, naive_tokens = _pieces(naive_composer, args.naive)
    per_token = statistics.mean(naive) / naive_tokens
    print(
        f"naive  16 bars x {len(naive)} pieces (model.predict per token over {meta['options']['window']} "
        f"steps): p50 {_percentile(naive, 0.5):.2f} s ({per_token * 1e3:.1f} ms per token)"
    )
    print(f"speed-up p50: {_percentile(naive, 0.5) / p50:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
