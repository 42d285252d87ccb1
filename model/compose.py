"""The composer: the shipped LSTM sampled bar by bar over a chord progression, in NumPy.

A :class:`Composer` is loaded once (weights, vocabulary, masks) and is immutable afterwards; every
call keeps its state (LSTM state, random generator, notes) in locals, so one instance serves many
threads. It never imports TensorFlow, Keras or music21.

Sampling (per piece): the network is primed with the bar token, then draws tokens at the given
temperature, non-harmonic notes at reduced odds (:data:`NON_HARMONIC_ODDS`). Only tokens that end
on a sixteenth or triplet onset from which the bar can still be filled exactly are allowed, so
every bar ends exactly on its bar line; when a bar is full the bar token is fed without drawing.
The first note is a first-note token (``*`` step), later ones never are, as in the corpus. Each
note token becomes a pitch against the chord sounding at its onset
(:func:`model.grammar.realise_pitch`). Random draws happen strictly in time order and never look
ahead, so composing more bars with the same seed repeats the shorter piece and continues it
(the bot's Extend button).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from model.errors import InputError
from model.fast_lstm import FastLSTM, FloatArray
from model.grammar import (
    BAR_TOKEN,
    FIRST_STEP,
    GRID,
    GRID_PER_BAR,
    is_rest,
    realise_pitch,
    token_class,
    token_duration,
)
from model.paths import DEFAULT_MODEL_DIR
from model.piece import TICKS_PER_QUARTER, Chord, Note, Piece
from model.progressions import Progression, chords_for, library
from model.theory import Key, parse_key
from model.tunes import resolve

MIN_BARS, MAX_BARS = 1, 64
MIN_TEMPO, MAX_TEMPO = 40, 320
MAX_TEMPERATURE = 3.0
MAX_SEED = 2**63 - 1
NON_HARMONIC_ODDS = 2.0
"""Approach (``A``) and other (``X``) note tokens are drawn at 1/2 the odds the network gives them.
The network never sees the chords, so it cannot tell when a non-chord-scale note will clash; at
temperature 1.0 it plays ~88% chord-or-scale tones where its corpus has 91%. Halving those odds
gives ~94% (200 pieces, three trainings): inside the corpus' style, and above deepjazz's 91.8%."""
ACCENT_VELOCITY, OFFBEAT_VELOCITY = 100, 86  # notes on the beat a little louder than between


class ComposeError(InputError):
    """A compose request outside what the composer supports; the message says what would work."""


@dataclass(frozen=True, slots=True)
class ComposeRequest:
    """The arguments of :meth:`Composer.compose`, for :meth:`Composer.compose_many`."""

    bars: int = 16
    tempo: int = 120
    key: str | Key | None = None  # None: the tune's (or library progression's) own key
    progression: str | None = None
    temperature: float = 1.0
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class _Plan:
    """A validated request: everything but the melody."""

    bars: int
    tempo: int
    key: Key
    progression: str
    chords: tuple[Chord, ...]
    temperature: float
    seed: int


@dataclass(slots=True)
class _Voice:
    """One piece being sampled: its draws, position and notes. Lives for one call only."""

    plan: _Plan
    rng: np.random.Generator
    tokens: list[str] = field(default_factory=lambda: [BAR_TOKEN])
    notes: list[Note] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # token ids still to feed the network
    bar: int = 0
    position: int = 0  # grid units into the current bar
    chord_index: int = 0
    previous: int | None = None
    done: bool = False

    @property
    def time(self) -> int:
        return (self.bar * GRID_PER_BAR + self.position) * GRID

    def chord_now(self) -> Chord:
        chords = self.plan.chords
        while self.chord_index + 1 < len(chords) and chords[self.chord_index + 1].start <= self.time:
            self.chord_index += 1
        return chords[self.chord_index]


def onset_grid() -> npt.NDArray[np.bool_]:
    """onset[p]: a note or rest may start (or the bar end) at grid position p: on a sixteenth or an
    eighth-note triplet. 99.4% of the corpus' onsets are; the rest are not worth the odd rhythms."""
    positions = np.arange(GRID_PER_BAR + 1)
    return (positions % 3 == 0) | (positions % 4 == 0)


def drawable(durations: npt.NDArray[np.int64], onsets: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """drawable[p, t]: token t (of ``durations`` grid units; 0 = not drawable) may start at position p:
    it ends on an onset from which some chain of tokens reaches the bar line exactly."""
    reachable = np.zeros(GRID_PER_BAR + 1, dtype=bool)
    reachable[GRID_PER_BAR] = True
    result = np.zeros((GRID_PER_BAR, len(durations)), dtype=bool)
    for position in range(GRID_PER_BAR - 1, -1, -1):
        end = position + durations
        fits = (durations > 0) & (end <= GRID_PER_BAR)
        fits[fits] &= onsets[end[fits]] & reachable[end[fits]]
        result[position] = fits
        reachable[position] = onsets[position] and bool(fits.any())
    return result


def _prefer(mask: npt.NDArray[np.bool_], fallback: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``mask``, except rows it leaves empty come from ``fallback`` (tiny vocabularies)."""
    return np.where(mask.any(axis=1, keepdims=True), mask, fallback)


class Composer:
    """The shipped (or any trained) model, ready to compose; see the module docstring."""

    def __init__(self, network: FastLSTM, vocab: Sequence[str], name: str) -> None:
        if len(vocab) != network.vocab_size or BAR_TOKEN not in vocab:
            raise ValueError(f"vocabulary of {len(vocab)} tokens does not fit the network or lacks '|'")
        self._network = network
        self._vocab = tuple(vocab)
        self._name = name
        self._bar_id = self._vocab.index(BAR_TOKEN)
        self._grid = np.array([token_duration(t) // GRID for t in self._vocab])
        fits = drawable(self._grid, onset_grid())
        if not fits[0].any():
            raise ValueError("the vocabulary's durations cannot fill a bar")
        # allowed[first note still to come, grid position in the bar] -> tokens that may be drawn;
        # the first note is a "*" token (as every song's is in training), later notes never are.
        first = np.array([t.endswith(":" + FIRST_STEP) for t in self._vocab])
        rest = np.array([is_rest(t) for t in self._vocab])
        self._allowed = np.stack([_prefer(fits & ~first, fits), _prefer(fits & (first | rest), fits)])
        self._allowed.setflags(write=False)
        non_harmonic = np.array([token_class(t) in ("A", "X") for t in self._vocab])
        self._bias = np.where(non_harmonic, -np.log(NON_HARMONIC_ODDS), 0.0)

    @classmethod
    def load(cls, model_dir: Path = DEFAULT_MODEL_DIR) -> Composer:
        """Read ``weights.npz`` and ``vocab.json`` written by ``python -m model.train``."""
        weights = model_dir / "weights.npz"
        if not weights.is_file():
            raise FileNotFoundError(
                f"no trained model in {model_dir}; run `python -m model.train --out {model_dir}`"
            )
        network = FastLSTM.load(weights)
        vocab = json.loads((model_dir / "vocab.json").read_text())
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:8]
        return cls(network, vocab, f"lstm-2x{network.units} {digest}")

    @property
    def name(self) -> str:
        """Architecture and a hash of the weights, e.g. ``"lstm-2x128 1a2b3c4d"``."""
        return self._name

    @property
    def vocab(self) -> tuple[str, ...]:
        return self._vocab

    def compose(
        self,
        bars: int = 16,
        tempo: int = 120,
        key: str | Key | None = None,
        progression: str | None = None,
        temperature: float = 1.0,
        seed: int | None = None,
    ) -> Piece:
        """A melody of ``bars`` bars over ``progression`` (a library name or a chart like ``"| Dm7 G7 |"``,
        None: picked by the seed) in ``key``. ``seed`` None draws one, recorded in the piece."""
        return self.compose_many([ComposeRequest(bars, tempo, key, progression, temperature, seed)])[0]

    def compose_many(self, requests: Sequence[ComposeRequest]) -> list[Piece]:
        """Several pieces stepped through the network together (one matrix product per step)."""
        voices = [_Voice(plan, np.random.default_rng(plan.seed)) for plan in map(_plan, requests)]
        if not voices:
            return []
        state = self._network.initial_state(len(voices))
        inputs = np.full(len(voices), self._bar_id)
        while True:
            logits = self._network.step(inputs, state)
            for row, voice in enumerate(voices):
                if not voice.done and not voice.pending:
                    self._draw(voice, logits[row])
            if all(voice.done for voice in voices):
                break
            for row, voice in enumerate(voices):
                inputs[row] = voice.pending.pop(0) if voice.pending else self._bar_id
        return [self._piece(voice) for voice in voices]

    def _draw(self, voice: _Voice, logits: FloatArray) -> None:
        """Draw the next token for ``voice``, realise it and queue what the network must read next."""
        allowed = self._allowed[int(voice.previous is None), voice.position]
        scaled = np.where(allowed, (logits + self._bias) / voice.plan.temperature, -np.inf)
        weights = np.exp(scaled - scaled.max())
        cumulative = np.cumsum(weights)
        token_id = int(np.searchsorted(cumulative, voice.rng.random() * cumulative[-1], side="right"))
        token = self._vocab[token_id]
        chord = voice.chord_now()
        pitch = realise_pitch(token, chord.symbol, voice.previous, voice.rng)
        duration = int(self._grid[token_id]) * GRID
        if pitch is not None:
            start = voice.time
            velocity = ACCENT_VELOCITY if start % TICKS_PER_QUARTER == 0 else OFFBEAT_VELOCITY
            voice.notes.append(Note(pitch, start, duration, velocity))
            voice.previous = pitch
        voice.tokens.append(token)
        voice.position += int(self._grid[token_id])
        voice.pending.append(token_id)
        if voice.position == GRID_PER_BAR:
            voice.bar += 1
            voice.position = 0
            voice.done = voice.bar == voice.plan.bars
            voice.pending.append(self._bar_id)
            if not voice.done:
                voice.tokens.append(BAR_TOKEN)

    def _piece(self, voice: _Voice) -> Piece:
        plan = voice.plan
        return Piece(
            melody=tuple(voice.notes),
            chords=plan.chords,
            bars=plan.bars,
            tempo=plan.tempo,
            key=plan.key,
            progression=plan.progression,
            seed=plan.seed,
            temperature=plan.temperature,
            model=self._name,
            extra={"tokens": " ".join(voice.tokens)},
        )


def _plan(request: ComposeRequest) -> _Plan:
    """Validate a request (every problem is a :class:`ComposeError` or another InputError)."""
    bars, tempo, temperature, seed = request.bars, request.tempo, request.temperature, request.seed
    if not _is_int(bars) or not MIN_BARS <= bars <= MAX_BARS:
        raise ComposeError(f"bars must be a whole number from {MIN_BARS} to {MAX_BARS}, not {bars!r}.")
    if not _is_int(tempo) or not MIN_TEMPO <= tempo <= MAX_TEMPO:
        raise ComposeError(
            f"tempo must be a whole number of bpm from {MIN_TEMPO} to {MAX_TEMPO}, not {tempo!r}."
        )
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not 0 < temperature <= MAX_TEMPERATURE
    ):
        raise ComposeError(
            f"temperature must be above 0 and at most {MAX_TEMPERATURE:g} (1.0 is the model's own "
            f"taste, lower is tamer, higher is wilder), not {temperature!r}."
        )
    if seed is None:
        seed = secrets.randbelow(2**31)
    elif not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        raise ComposeError(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")
    asked = request.key if isinstance(request.key, Key | None) else parse_key(str(request.key))
    progression, label, key = _progression(request.progression, seed, asked)
    return _Plan(bars, tempo, key, label, chords_for(progression, key, bars), float(temperature), seed)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _progression(text: str | None, seed: int, asked: Key | None) -> tuple[Progression, str, Key]:
    """The progression, how the piece names it (a slug, or the chart as typed) and its key: the asked
    tonic in the progression's mode (a minor blues stays minor in any key: "C" is Cm), or the
    tune's own key when none is asked."""
    if text is None:
        slugs = sorted(library())
        slug = slugs[int(np.random.default_rng([seed, 1]).integers(len(slugs)))]
        progression = library()[slug]
        tonic = progression.key.tonic if asked is None else asked.tonic
        return progression, slug, Key(tonic, progression.key.minor)
    if not isinstance(text, str) or not text.strip():
        raise ComposeError("progression must be a name like 'blues' or a chart like '| Dm7 G7 | Cmaj7 |'.")
    resolved = resolve(text, asked)
    return resolved.progression, resolved.label, resolved.key
