"""The composer: the soloist network sampled token by token over a chord progression, in NumPy.

A :class:`Composer` is loaded once (weights, vocabulary, tables) and is immutable afterwards; every
call keeps its state (LSTM state, random generator, notes) in locals, so one instance serves many
threads. It never imports TensorFlow, Keras or music21.

Each step feeds the network the previous token and the conditioning of the token to draw
(:mod:`model.conditioning`), then draws from the tokens the mask allows. The mask is computed for
the whole vocabulary at once: every note token's pitch follows from the previous pitch, the chord
root, its pitch class and direction (:func:`model.tokens.resolve_many`), and only tokens whose pitch
lies in ``[low, high]``, whose length fits the bar (every bar exactly filled, onsets on sixteenths,
triplets and sextuplets) and, for ties, that continue a note sounding at the bar line are allowed. So
every drawn token is played as drawn; ``Piece.extra["fallbacks"]`` counts the draws where the mask
left nothing (none in tests over thousands of pieces).

Form: the piece is cut into 8-bar sections counted back from its end, and the last bar of each
section closes a phrase: the note that reaches its bar line starts by beat 3, is held at least two
beats and is a tone of the chord under it: a chord tone at the piece's end, a tone of the chord's
scale at a section's close inside it (a held ninth or thirteenth leaves the phrase open). Because
sections are counted from the end, a piece ``bars + 8`` long with the same seed has the same
sections where the shorter one had them, so it repeats the shorter piece exactly and continues it
(the bot's Extend); random draws happen strictly in time order and never look ahead.

Motifs: at a phrase start (a note after a rest) the composer restates, with probability
:data:`MOTIF_RATE`, an earlier cell of the piece (4..8 notes from an earlier phrase start): its first
note keeps its pitch class over the new chord's root (a sequence) or, for :data:`MOTIF_LITERAL` of
the cells, its own pitch class (a literal repeat, in the register the phrase moves to), the others
their intervals; each note keeps its length where the mask allows it, else takes the allowed length
nearest it, so a cell is bent to where the bar line falls instead of being cut short.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from model.arrange.instruments import LEADS
from model.conditioning import ERAS, Conditioning, next_changes
from model.errors import InputError
from model.fast_lstm import FastLSTM, FloatArray
from model.lead_centres import load_centres
from model.leaps import LeapLine, Leaps, load_leaps
from model.meter import parse_meter
from model.paths import DEFAULT_MODEL_DIR
from model.phrasing import Phrasing, TokenTable
from model.piece import BEATS_PER_BAR, METERS, TICKS_PER_QUARTER, Chord, Note, Piece, bar_ticks
from model.progressions import Progression, chords_for, in_meter, library
from model.style_priors import Priors, StylePrior, load_priors, token_class
from model.theory import Key, parse_key
from model.ties import Ties, load_ties
from model.tokens import (
    DIRECTIONS,
    FIRST,
    GRID,
    GRID_PER_BEAT,
    ONSET_POSITIONS,
    REST,
    SAME,
    TIE,
    Event,
    delta_table,
    encode_line,
    first_pitch,
    note_token,
    token_grid,
    token_kind,
    token_pc,
)
from model.tunes import pick_tune, resolve

MIN_BARS, MAX_BARS = 1, 64
MIN_TEMPO, MAX_TEMPO = 40, 320
MAX_TEMPERATURE = 3.0
MAX_SEED = 2**63 - 1
DEFAULT_LOW, DEFAULT_HIGH = 55, 84
LOWEST, HIGHEST = 21, 108
SECTION_BARS = 8
CADENCE_LATEST = 2 * GRID_PER_BEAT  # the closing note starts by beat 3 ...
CADENCE_LENGTHS = (24, 30, 36, 42, 48)  # ... and is held at least two beats, to the bar line
MOTIF_RATE = 0.5
"""Chance that a phrase start restates an earlier cell of the piece (tuned on the training side: the
lines' motif and contour recurrence match the training solos', docs/MODEL.md)."""
MOTIF_NOTES = (4, 8)
MOTIF_LITERAL = 0.5
"""Share of restated cells that keep their own pitch classes (a literal repeat, in another octave if
the register moved) instead of keeping their first note's class over the new chord's root."""
TEMPERATURE_SCALE = 0.85
"""A request's temperature 1.0 samples the network at 0.85: closer to the real solos' chord-tone share
and leap rate than the raw distribution (measured in docs/MODEL.md)."""
REGISTER_PULL = 1.0
"""Log-odds taken from a note per (octave away from the range's centre)^2: the line breathes around
the centre instead of drifting to one end of the range (tuned in docs/MODEL.md)."""
STYLE_GUIDANCE = 2.0
"""How far a style request pushes the draws beyond what the network gives for that style, away from
what it gives for no style (0 = the styled network as it is; tuned in docs/MODEL.md)."""
SILENT = 256
"""Where a token without a pitch (rest, tie) sounds in the composer's pitch tables: past every real
pitch, so one lookup answers "in range?" and "how far from the centre?" for every token at once."""
ACCENT_VELOCITY, OFFBEAT_VELOCITY = 100, 86  # notes on the beat a little louder than between
BAR = "|"
GRID_PER_BAR = 4 * GRID_PER_BEAT  # a 4/4 bar; a piece's own is _Plan.bar_grid

ERA_NAMES = {
    "traditional": "traditional",
    "trad": "traditional",
    "new orleans": "traditional",
    "dixieland": "traditional",
    "swing": "swing",
    "bebop": "bebop",
    "bop": "bebop",
    "cool": "cool",
    "cool jazz": "cool",
    "hardbop": "hardbop",
    "hard bop": "hardbop",
    "hard-bop": "hardbop",
    "postbop": "postbop",
    "post bop": "postbop",
    "post-bop": "postbop",
}


NICKNAMES = {
    "bird": "Charlie Parker",
    "trane": "John Coltrane",
    "prez": "Lester Young",
    "pres": "Lester Young",
}
NICKNAMES |= {"bean": "Coleman Hawkins", "newk": "Sonny Rollins", "brownie": "Clifford Brown"}
ERA_LABELS = {"hardbop": "hard bop", "postbop": "post-bop"}


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
    like: str | None = None
    low: int = DEFAULT_LOW
    high: int = DEFAULT_HIGH
    primer: tuple[Note, ...] | None = None  # the member's idea (model.primer): the piece starts with it
    meter: int | str | None = None  # beats per bar (model.meter.parse_meter: 3, "3/4"); None: the tune's
    lead: str | None = None  # the instrument (model.arrange.LEADS) the line is for: centred where its
    # real players sit (model.lead_centres); None: the range's middle moved by the style's offset


@dataclass(frozen=True, slots=True)
class Style:
    """What ``like`` resolved to: the era and soloist the network is told, and how to say it."""

    era: str | None
    soloist: str | None
    description: str


@dataclass(frozen=True, slots=True)
class _Plan:
    """A validated request: everything but the melody."""

    bars: int
    tempo: int
    key: Key
    progression: str
    chords: tuple[Chord, ...]
    context: tuple[Chord, ...]  # the chords plus those that would follow them (for lookahead)
    temperature: float
    seed: int
    style: Style
    low: int
    high: int
    primer: tuple[Event, ...]  # the idea's events (model.tokens.encode_line), played before any draw
    beats: int = BEATS_PER_BAR  # per bar (model.piece.METERS)
    centre: float | None = None  # the lead's centre for the style (None: the style prior's own)

    @property
    def bar_grid(self) -> int:
        """Grid units in one bar."""
        return self.beats * GRID_PER_BEAT


@dataclass(slots=True)
class _Voice:
    """One piece being sampled: its draws, position and notes. Lives for one call only."""

    plan: _Plan
    rng: np.random.Generator
    changes: list[int]
    style_ids: tuple[int, int, int]
    phrasing: Phrasing  # when phrases end and how long the rests between them last (model.phrasing)
    prior: StylePrior  # the style's rhythm, interval and register priors (model.style_priors)
    leap: LeapLine | None  # the leap prior (model.leaps): unstyled lines only
    tokens: list[int] = field(default_factory=list)
    pitches: list[int | None] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    phrase_starts: list[int] = field(default_factory=list)  # indices into tokens
    phrase_notes: list[int] = field(default_factory=list)  # notes played from each phrase start on
    replay: list[tuple[int, int | None]] = field(default_factory=list)  # (token, pitch) of a motif
    replay_first: bool = False  # the next replayed token is the cell's first note
    replay_literal: bool = False  # the cell comes back on its own pitch classes, not over the new root
    replay_origin: int | None = None  # the cell's pitch at the last note restated
    primed: int = 0  # primer events played so far
    time: int = 0  # grid units from the start
    chord_index: int = 0
    previous: int | None = None
    fallbacks: int = 0
    motifs: int = 0
    motif_notes: int = 0
    done: bool = False
    audible: npt.NDArray[np.bool_] = field(init=False)  # [pitch]: inside low..high (SILENT: yes)
    # (previous pitch, chord root) -> what every token would sound and whether that is audible
    reach: dict[tuple[int | None, int], tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]] = field(
        init=False, default_factory=dict
    )
    centre: float = field(init=False)  # the prior's, looked up once
    pull: npt.NDArray[np.float64] = field(init=False)  # [pitch]: log-odds the register pull takes
    bar_grid: int = field(init=False)  # the plan's, looked up once
    end: int = field(init=False)  # grid units in the piece
    divisor: float = field(init=False)  # what the scores are divided by: the sampling temperature

    def __post_init__(self) -> None:
        self.bar_grid = self.plan.bar_grid
        self.end = self.plan.bars * self.bar_grid
        self.divisor = self.plan.temperature * TEMPERATURE_SCALE
        self.centre = self.prior.centre
        pitch = np.arange(SILENT + 1)
        self.audible = ((pitch >= self.plan.low) & (pitch <= self.plan.high)) | (pitch == SILENT)
        self.pull = np.where(pitch == SILENT, 0.0, REGISTER_PULL / 144 * (pitch - self.centre) ** 2)

    def chord_now(self) -> int:
        chords = self.plan.context
        tick = self.time * GRID
        while self.chord_index + 1 < len(chords) and chords[self.chord_index + 1].start <= tick:
            self.chord_index += 1
        return self.chord_index


_Choice = tuple[int, npt.NDArray[np.bool_], npt.NDArray[np.int64]]
"""What :meth:`Composer._choose` found: the restated motif note (-1: none), the allowed tokens and the
pitch each would sound."""


@dataclass(frozen=True, slots=True)
class _BarMasks:
    """The masks that depend only on where in a bar of one meter a token starts (see Composer)."""

    fits: npt.NDArray[np.bool_]  # [p, t]
    plain_bar: npt.NDArray[np.bool_]  # [first, tie, p, t]
    closing_start: npt.NDArray[np.bool_]  # [first, tie, p, t]
    closing_note: npt.NDArray[np.bool_]  # [first, p, t]


def onset_grid(bar_grid: int = GRID_PER_BAR) -> npt.NDArray[np.bool_]:
    """onset[p]: a token may start (or the bar end) at grid position p of a bar ``bar_grid`` long."""
    positions = np.arange(bar_grid + 1)
    return np.isin(positions % GRID_PER_BEAT, ONSET_POSITIONS) | (positions == bar_grid)


def drawable(
    durations: npt.NDArray[np.int64], onsets: npt.NDArray[np.bool_], goal: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """drawable[p, t]: token t (of ``durations`` grid units; 0 = never) may start at position p: it
    ends on an onset from which some chain of tokens reaches a ``goal`` position (the bar line, or
    where a closing note may start); the bar is ``len(goal) - 1`` grid units long."""
    bar_grid = len(goal) - 1
    reachable = goal.copy()
    result = np.zeros((bar_grid, len(durations)), dtype=bool)
    for position in range(bar_grid - 1, -1, -1):
        end = position + durations
        fits = (durations > 0) & (end <= bar_grid)
        fits[fits] &= onsets[end[fits]] & reachable[end[fits]]
        result[position] = fits
        reachable[position] |= onsets[position] and bool(fits.any())
    return result


class Composer:
    """The shipped (or any trained) model, ready to compose; see the module docstring."""

    def __init__(
        self,
        network: FastLSTM,
        vocab: Sequence[str],
        meta: dict[str, Any],
        name: str,
        priors: Priors | None = None,
        leaps: Leaps | None = None,
        ties: Ties | None = None,
    ) -> None:
        if len(vocab) != network.vocab_size:
            raise ValueError(f"vocabulary of {len(vocab)} tokens does not fit the network")
        self._network = network
        self._vocab = tuple(vocab)
        self._index = {token: i for i, token in enumerate(self._vocab)}
        self._name = name
        # slot ids counted from the network input's first conditioning slot (after the start token)
        self._conditioning = Conditioning(tuple(meta["conditioning"]["soloists"]), len(vocab) + 1)
        if network.inputs != len(vocab) + 1 + self._conditioning.size:
            raise ValueError("the network's input does not fit the vocabulary and conditioning")
        self._performers: dict[str, dict[str, Any]] = meta.get("performers", {})
        self._normalised = {name: _normalise(name) for name in self._performers}  # what like is matched to
        kinds = np.array([token_kind(t) for t in self._vocab])
        self._grid = np.array([token_grid(t) for t in self._vocab], dtype=np.int64)
        self._pc = np.array([max(token_pc(t), 0) for t in self._vocab], dtype=np.int64)
        self._is_first = kinds == FIRST
        self._is_tie = kinds == TIE
        self._is_rest = kinds == REST
        self._is_moving = np.isin(kinds, DIRECTIONS)
        self._has_pitch = self._is_moving | self._is_first | (kinds == SAME)
        self._delta = np.where(self._has_pitch, delta_table(self._pc, kinds), SILENT)
        self._opening = self._is_first | self._is_rest  # what may come before the first note
        self._sounding = self._has_pitch | self._is_tie  # what a tie may follow
        self._bars = {beats: self._bar_masks(beats * GRID_PER_BEAT) for beats in METERS}
        self._phrase_tokens = TokenTable.of(self._grid, self._is_rest, self._has_pitch)
        self._priors = load_priors() if priors is None else priors  # model.style_priors
        self._leaps = load_leaps() if leaps is None else leaps  # model.leaps: unstyled lines only
        # model.ties: unstyled lines only, at a bar line (the only place a tie may be drawn)
        self._tie_shift = np.where(self._is_tie, (load_ties() if ties is None else ties).bias, 0.0)
        self._classes = tuple(token_class(t) for t in self._vocab)
        # Per token, as Python values: what the sampling loop looks up one token at a time
        self._kinds = tuple(str(k) for k in kinds)
        self._lengths = tuple(int(g) for g in self._grid)
        self._rests = tuple(bool(r) for r in self._is_rest)
        self._continues = tuple(bool(s) for s in self._sounding)

    def _bar_masks(self, bar_grid: int) -> _BarMasks:
        """The position masks for bars ``bar_grid`` grid units long."""
        onsets = onset_grid(bar_grid)
        bar_line = np.zeros(bar_grid + 1, dtype=bool)
        bar_line[bar_grid] = True
        fits = drawable(self._grid, onsets, bar_line)
        if not fits[0].any():
            raise ValueError("the vocabulary's durations cannot fill a bar")
        before, closing = self._cadence_tables(onsets, bar_grid)
        # Masks that depend only on (first note still to come, a tie may come, position): [first, tie, p]
        flags = np.zeros((2, 2, len(self._vocab)), dtype=bool)
        for first in (0, 1):
            for tie in (0, 1):
                flags[first, tie] = (self._opening if first else ~self._is_first) & (self._is_tie <= tie)
        # [first, p]; a line's very first note, when it is also a closing note, is a u/d token heard
        # from the centre (few first-note tokens are long enough to close with)
        return _BarMasks(
            fits,
            flags[:, :, None, :] & fits[None, None],
            flags[:, :, None, :] & before[None, None],
            np.stack([flags[0, 0] & closing, self._is_moving & closing]),
        )

    def _cadence_tables(
        self, onsets: npt.NDArray[np.bool_], bar_grid: int
    ) -> tuple[npt.NDArray[np.bool_], ...]:
        """(before, closing): tokens that may start at p in a section's last bar without closing it
        (they end where a closing note can still start), and closing notes (held at least two beats, to
        the bar line: from beat 3 of a 4/4 bar, beat 2 of a 3/4 one). Closing lengths are those every
        pitch class has both ways."""
        lengths = [
            g
            for g in CADENCE_LENGTHS
            if g <= bar_grid and all(f"{d}{pc}:{g}" in self._index for pc in range(12) for d in ("u", "d"))
        ]
        if not lengths:
            raise ValueError("the vocabulary lacks the closing notes model.tokens.closing_tokens() lists")
        goal = np.zeros(bar_grid + 1, dtype=bool)
        goal[[bar_grid - g for g in lengths]] = True
        short = np.where(self._grid <= CADENCE_LATEST, self._grid, 0)
        before = drawable(short, onsets, goal)
        starts = np.arange(bar_grid)[:, None]
        closing = self._has_pitch & np.isin(self._grid, lengths) & (starts + self._grid == bar_grid)
        return before, closing

    @classmethod
    def load(
        cls,
        model_dir: Path = DEFAULT_MODEL_DIR,
        priors: Priors | None = None,
        leaps: Leaps | None = None,
        ties: Ties | None = None,
    ) -> Composer:
        """Read ``weights.npz``, ``vocab.json`` and ``meta.json`` written by ``python -m model.train``;
        ``priors``: the style priors to sample with (default: :func:`model.style_priors.load_priors`);
        ``leaps``: the unstyled lines' leap prior (default: :func:`model.leaps.load_leaps`);
        ``ties``: the unstyled lines' tie term (default: :func:`model.ties.load_ties`)."""
        weights = model_dir / "weights.npz"
        if not weights.is_file():
            raise FileNotFoundError(
                f"no trained model in {model_dir}; run `python -m model.train --out {model_dir}`"
            )
        network = FastLSTM.load(weights)
        vocab = json.loads((model_dir / "vocab.json").read_text())
        meta = json.loads((model_dir / "meta.json").read_text())
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:8]
        return cls(network, vocab, meta, f"soloist-2x{network.units} {digest}", priors, leaps, ties)

    @property
    def name(self) -> str:
        """Architecture and a hash of the weights, e.g. ``"soloist-2x256 1a2b3c4d"``."""
        return self._name

    @property
    def vocab(self) -> tuple[str, ...]:
        return self._vocab

    @property
    def soloists(self) -> tuple[str, ...]:
        """Every performer ``like`` knows (those with too little material play their era)."""
        return tuple(self._performers)

    def compose(
        self,
        bars: int = 16,
        tempo: int = 120,
        key: str | Key | None = None,
        progression: str | None = None,
        temperature: float = 1.0,
        seed: int | None = None,
        like: str | None = None,
        low: int = DEFAULT_LOW,
        high: int = DEFAULT_HIGH,
        primer: Sequence[Note] | None = None,
        meter: int | str | None = None,
        lead: str | None = None,
    ) -> Piece:
        """A melody of ``bars`` bars over ``progression`` (a library name or a chart like ``"| Dm7 G7 |"``,
        None: picked by the seed) in ``key``, inside MIDI pitches ``low``..``high``, in the style of
        ``like`` (a soloist such as "Parker" or an era such as "hard bop"; None: no particular one).
        ``seed`` None draws one, recorded in the piece. ``primer`` (the member's idea, quantised notes
        from :mod:`model.primer`) is played first, exactly; the soloist goes on from its last note.
        ``meter``: 3 (or "3/4") or 4 beats a bar; None: the tune's own (see :func:`_progression`).
        ``lead``: the instrument the line is for (a key of :data:`model.arrange.LEADS`): the line is
        centred where its real players sit (:mod:`model.lead_centres`)."""
        idea = None if primer is None else tuple(primer)
        request = ComposeRequest(
            bars, tempo, key, progression, temperature, seed, like, low, high, idea, meter, lead
        )
        return self.compose_many([request])[0]

    def compose_many(self, requests: Sequence[ComposeRequest]) -> list[Piece]:
        """Several pieces stepped through the network together.

        A piece with a style also steps a shadow row that hears the same tokens with less style (a
        soloist's shadow has only the era, an era's shadow nothing); its draws use ``styled +
        STYLE_GUIDANCE * (styled - shadow)`` (classifier-free guidance: the network learned all three,
        a quarter of its training windows had no soloist, a tenth no era either)."""
        voices = []
        for request in requests:
            plan = _plan(request, self.style(request.like))
            style_ids = self._conditioning.style_ids(plan.tempo, plan.style.era, plan.style.soloist)
            style = plan.style
            phrasing = Phrasing.start(
                self._phrase_tokens, plan.seed, plan.tempo, style.era, style.soloist, plan.bar_grid
            )
            span = (plan.low, plan.high)
            prior = StylePrior.start(
                self._priors,
                self._classes,
                REGISTER_PULL / 144,
                plan.seed,
                (style.era, style.soloist),
                plan.tempo,
                span,
                phrasing,
                plan.centre,
            )
            rng = np.random.default_rng(plan.seed)
            harmony = [c.symbol for c in plan.context]
            leap = self._leaps.line(plan.low, plan.high, harmony) if style.era is None else None
            voices.append(_Voice(plan, rng, next_changes(plan.context), style_ids, phrasing, prior, leap))
        if not voices:
            return []
        # Voice v is the network's block v: its row, and for a styled piece the shadow's row right
        # after it, the two stepped through one 2-row product (model.fast_lstm), alone or in a batch.
        # The shadow of a soloist keeps the era (the guidance is what sets the player apart from the
        # era), the shadow of an era has no style at all.
        shadow_style = [
            self._shadow_style(voice.plan.style, voice.style_ids)
            if voice.plan.style.era is not None
            else None
            for voice in voices
        ]
        *first, rows = accumulate((1 if shadow is None else 2 for shadow in shadow_style), initial=0)
        pairs = [first[v] for v, shadow in enumerate(shadow_style) if shadow is not None]
        state = self._network.initial_state(rows, pairs)
        ids = np.zeros((rows, 1 + self._conditioning.groups), dtype=np.int64)
        start_id = len(self._vocab)
        active = list(range(len(voices)))
        choices: list[_Choice | None] = [None] * len(voices)  # None: the primer's next event
        while active:
            sampled = []
            for v in active:
                voice = voices[v]
                row = first[v]
                ids[row] = [voice.tokens[-1] if voice.tokens else start_id, *self._conditions(voice)]
                shadow = shadow_style[v]
                if shadow is not None:
                    ids[row + 1] = ids[row]
                    ids[row + 1, -2:] = shadow
                choice = choices[v] = None if voice.primed < len(voice.plan.primer) else self._choose(voice)
                if choice is not None and choice[0] < 0:
                    sampled.append(v)
            # What a voice plays next is chosen before the step (it does not depend on the network):
            # a primer event or a restated motif note (~15% of the draws) reads no logits, so its
            # block skips the output layer. The same draws in the same order: the same pieces.
            logits = self._network.step(ids, state, active, sampled)
            finished = False
            for v in active:
                voice = voices[v]
                choice = choices[v]
                if choice is None:
                    self._force(voice)
                else:
                    token_id, allowed, pitches = choice
                    if token_id < 0:
                        row = first[v]
                        if shadow_style[v] is None:
                            token_id = self._sample(voice, logits[row], allowed, pitches)
                        else:
                            guided = logits[row] + STYLE_GUIDANCE * (logits[row] - logits[row + 1])
                            token_id = self._sample(voice, guided, allowed, pitches)
                    self._play(voice, token_id, int(pitches[token_id]))
                finished |= voice.done
            if finished:
                active = [v for v in active if not voices[v].done]
        return [self._piece(voice) for voice in voices]

    def _shadow_style(self, style: Style, style_ids: tuple[int, int, int]) -> list[int]:
        """Era and soloist ids of a styled piece's shadow row."""
        _, no_era, no_soloist = self._conditioning.style_ids(0, None, None)
        era = style_ids[1] if style.soloist is not None else no_era
        return [era, no_soloist]

    def _conditions(self, voice: _Voice) -> list[int]:
        plan = voice.plan
        bar = voice.time // voice.bar_grid
        section_bar = SECTION_BARS - 1 - (plan.bars - 1 - bar) % SECTION_BARS
        return self._conditioning.ids(
            plan.context,
            voice.changes,
            voice.chord_now(),
            voice.time * GRID,
            section_bar,
            voice.previous,
            voice.centre,
            voice.style_ids,
            plan.beats,
        )

    def _reach(self, voice: _Voice, root: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """The pitch every token would sound now (SILENT or above for rests and ties) over a chord on
        ``root``, and whether it is audible; remembered for the line (a line comes back to the same
        pitch over the same root often, and rests and ties leave both as they were)."""
        key = (voice.previous, root)
        found = voice.reach.get(key)
        if found is None:
            pitches = self._pitches(voice, root)
            pitches.flags.writeable = False
            found = voice.reach[key] = (pitches, voice.audible.take(pitches, mode="clip"))
        return found

    def _pitches(self, voice: _Voice, root: int) -> npt.NDArray[np.int64]:
        """The pitch every token would sound (SILENT or above for rests and ties)."""
        if voice.previous is None:
            centre = int(np.floor(voice.centre))
            firsts = first_pitch(root, self._pc, voice.centre)
            return np.where(self._is_first, firsts, centre + self._delta[(centre - root) % 12])
        previous: int = voice.previous
        return previous + self._delta[(previous - root) % 12]

    def _allowed(
        self, voice: _Voice, pitches: npt.NDArray[np.int64], playable: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        """The tokens that may be drawn now (see the module docstring)."""
        plan = voice.plan
        masks = self._bars[plan.beats]
        bar, position = divmod(voice.time, voice.bar_grid)
        first = int(voice.previous is None)
        # A tie continues the note sounding at the bar line, except after a section's closing note
        # (the close stays as it was when the piece was shorter: Extend keeps every earlier note).
        tie = int(
            position == 0
            and (plan.bars - bar) % SECTION_BARS != 0
            and len(voice.tokens) > len(plan.primer)  # the idea's last note stays as the member wrote it
            and self._continues[voice.tokens[-1]]
        )
        if (plan.bars - 1 - bar) % SECTION_BARS == 0:
            symbol = plan.context[voice.chord_index].symbol
            # the piece's last note is a chord tone; a section's close inside the piece may hold any
            # tone of the chord's scale (a held ninth or thirteenth leaves the phrase open)
            closers = np.zeros(12, dtype=bool)
            closers[list(symbol.tones if bar == plan.bars - 1 else symbol.scale)] = True
            closing = masks.closing_note[first, position] & closers[pitches % 12]
            allowed = playable & (masks.closing_start[first, tie, position] | closing)
            if np.count_nonzero(allowed) or not self._idea_reaches(plan, bar):
                return allowed
            # the idea ran into this closing bar past where a close can start: the bar ends freely
        return playable & masks.plain_bar[first, tie, position]

    @staticmethod
    def _idea_reaches(plan: _Plan, bar: int) -> bool:
        """Whether the primer's last event ends inside ``bar`` (or later)."""
        if not plan.primer:
            return False
        last = plan.primer[-1]
        return last.start + token_grid(last.token) * GRID > bar * bar_ticks(plan.beats)

    def _choose(self, voice: _Voice) -> _Choice:
        """What ``voice`` may draw next, and the motif note it restates (else -1: a draw from the
        network's logits, :meth:`_sample`)."""
        chord = voice.plan.context[voice.chord_index].symbol  # _conditions moved it to now
        pitches, playable = self._reach(voice, chord.root)
        allowed = self._allowed(voice, pitches, playable)
        if not np.count_nonzero(allowed):  # never seen in tests; counted so that it would show
            voice.fallbacks += 1
            fits = self._bars[voice.plan.beats].fits[voice.time % voice.bar_grid]
            allowed = fits & ~self._has_pitch & ~self._is_tie
            if not allowed.any():
                allowed = fits & ~self._is_tie
                pitches = np.where(self._has_pitch, np.clip(pitches, voice.plan.low, voice.plan.high), SILENT)
        allowed = voice.phrasing.allow(allowed, voice.tokens)
        tokens = voice.tokens
        after_rest = bool(tokens) and self._rests[tokens[-1]]
        if after_rest and voice.previous is not None and not voice.replay and not voice.phrasing.resting:
            self._maybe_restate(voice)
        token_id = self._restated(voice, allowed, pitches) if voice.replay else -1
        if token_id >= 0:
            voice.motif_notes += 1
        return token_id, allowed, pitches

    def _sample(
        self,
        voice: _Voice,
        logits: FloatArray,
        allowed: npt.NDArray[np.bool_],
        pitches: npt.NDArray[np.int64],
    ) -> int:
        """Draw the next token of ``voice`` from the ``allowed`` ones, by ``logits`` and the priors.

        Only the allowed tokens are scored: the same numbers as scoring all with the others at -inf
        (their exp is 0, which leaves every cumulative sum as it was); ~290 of 761 on average."""
        candidates = allowed.nonzero()[0]
        sounding = pitches.take(candidates)
        scaled = logits.take(candidates) - voice.pull.take(sounding, mode="clip")
        scaled += voice.prior.shift(candidates, sounding, voice.previous)
        if voice.leap is not None and voice.previous is not None:
            # rests and ties sound past the range: the table's last entry, 0
            scaled += voice.leap.shift(voice.previous, voice.chord_index).take(sounding, mode="clip")
            if voice.time % voice.bar_grid == 0:
                scaled += self._tie_shift.take(candidates)
        scaled /= voice.divisor
        scaled -= np.maximum.reduce(scaled)
        cumulative = np.add.accumulate(np.exp(scaled, out=scaled), out=scaled)
        pick = cumulative.searchsorted(voice.rng.random() * cumulative[-1], side="right")
        return int(candidates[pick])

    def _maybe_restate(self, voice: _Voice) -> None:
        """At a phrase start: perhaps queue an earlier cell (4..8 notes from a phrase start); half the
        time its last note is left to the network (the answer varies the call)."""
        chance, pick, length, answer, literal = (voice.rng.random() for _ in range(5))
        cells = [
            s for s, n in zip(voice.phrase_starts, voice.phrase_notes, strict=True) if n >= MOTIF_NOTES[0]
        ]
        if chance >= MOTIF_RATE or not cells:
            return
        start = cells[int(pick * len(cells))]
        notes = MOTIF_NOTES[0] + int(length * (MOTIF_NOTES[1] - MOTIF_NOTES[0] + 1)) - int(answer < 0.5)
        cell: list[tuple[int, int | None]] = []
        for token_id, pitch in zip(voice.tokens[start:], voice.pitches[start:], strict=True):
            if self._is_rest[token_id] or notes == 0:
                break
            cell.append((token_id, pitch))
            notes -= int(self._has_pitch[token_id])
        voice.replay = cell
        voice.replay_first = True
        voice.replay_literal = literal < MOTIF_LITERAL
        voice.motifs += 1

    def _restated(self, voice: _Voice, allowed: npt.NDArray[np.bool_], pitches: npt.NDArray[np.int64]) -> int:
        """The next token of a motif being restated, or -1 (the motif ends when the mask refuses).

        The cell's first note keeps its pitch class over the new chord's root (or, for a literal cell,
        its own pitch class, when the mask allows it), in the direction that brings it nearest the
        phrase's target (:meth:`model.register.Register.target`); the following notes keep their
        intervals, so the cell comes back transposed, exactly. Each note keeps its length when the
        mask allows it, else takes the allowed length nearest it (the bar line or a phrase's close
        falls elsewhere than where the cell was first played: the motif comes back with its rhythm
        varied rather than cut short); a tie the mask refuses is left out. Called while
        ``voice.replay`` holds a cell."""
        while voice.replay:
            token_id, pitch = voice.replay.pop(0)
            if self._is_tie[token_id]:
                ties = np.flatnonzero(allowed & self._is_tie)
                if len(ties):
                    return self._nearest_length(token_id, ties, np.zeros(len(ties)))
                continue
            if pitch is None:
                break
            if voice.replay_first:
                voice.replay_first = False
                literal = allowed & self._is_moving & (pitches % 12 == pitch % 12)
                if voice.replay_literal and literal.any():
                    candidates = np.flatnonzero(literal)
                elif token_pc(self._vocab[token_id]) < 0:
                    break
                else:
                    candidates = np.flatnonzero(allowed & self._is_moving & (self._pc == self._pc[token_id]))
                if not len(candidates):
                    break
                voice.replay_origin = pitch
                goal = voice.prior.register.target()
                return self._nearest_length(token_id, candidates, np.abs(pitches[candidates] - goal))
            if voice.replay_origin is None or voice.previous is None:
                break
            target = voice.previous + pitch - voice.replay_origin
            voice.replay_origin = pitch
            candidates = np.flatnonzero(allowed & self._has_pitch & (pitches == target))
            if not len(candidates):
                break
            return self._nearest_length(token_id, candidates, np.zeros(len(candidates)))
        voice.replay = []
        return -1

    def _nearest_length(
        self, token_id: int, candidates: npt.NDArray[np.int64], distance: npt.NDArray[np.float64]
    ) -> int:
        """Of ``candidates`` (ascending ids), the one whose length is nearest ``token_id``'s, then with
        the smallest ``distance``, then the lowest id."""
        gap = np.abs(self._grid[candidates] - self._grid[token_id])
        return int(candidates[np.lexsort((candidates, distance, gap))[0]])

    def _force(self, voice: _Voice) -> None:
        """Play the primer's next event as written; the network hears its token (or, when the
        vocabulary lacks it, the nearest token of the same length: :meth:`_heard`). No random draw."""
        event = voice.plan.primer[voice.primed]
        voice.primed += 1
        self._play(voice, self._heard(event.token), event.pitch or 0, token_kind(event.token))

    def _heard(self, token: str) -> int:
        """The vocabulary id of ``token``, else of a token of the same length that sounds alike: the same
        pitch class another way (a ``*`` or ``U`` note as ``u``/``d``), else a repeated note (for a
        note or a tie), else any token of that length."""
        grid = token_grid(token)
        pc = token_pc(token)
        kind = token_kind(token)
        alike = [token] + [note_token(d, pc, grid) for d in DIRECTIONS if pc >= 0]
        alike += [note_token(SAME, 0, grid)] if kind != REST else []
        for candidate in alike:
            if candidate in self._index:
                return self._index[candidate]
        same_length = np.flatnonzero(self._grid == grid)
        if not len(same_length):
            raise ComposeError(f"the idea has a length ({grid} twelfths of a beat) the soloist cannot play.")
        return int(same_length[0])

    def _play(self, voice: _Voice, token_id: int, pitch: int, kind: str | None = None) -> None:
        """Play ``token_id`` (as a token of ``kind`` when given: a primer event the vocabulary lacks)."""
        grid = self._lengths[token_id]
        start = voice.time * GRID
        kind = self._kinds[token_id] if kind is None else kind
        if kind == TIE:
            held = voice.notes[-1]
            voice.notes[-1] = Note(held.pitch, held.start, held.duration + grid * GRID, held.velocity)
            voice.pitches.append(held.pitch)
        elif kind != REST:
            if not voice.tokens or self._rests[voice.tokens[-1]]:
                voice.phrase_starts.append(len(voice.tokens))
                voice.phrase_notes.append(0)
            voice.phrase_notes[-1] += 1
            velocity = ACCENT_VELOCITY if start % TICKS_PER_QUARTER == 0 else OFFBEAT_VELOCITY
            voice.notes.append(Note(pitch, start, grid * GRID, velocity))
            voice.pitches.append(pitch)
            voice.previous = pitch
            if voice.leap is not None:
                voice.leap.add(pitch)
        else:
            voice.pitches.append(None)
        voice.tokens.append(token_id)
        voice.time += grid
        voice.done = voice.time >= voice.end

    def _piece(self, voice: _Voice) -> Piece:
        plan = voice.plan
        text: list[str] = []
        time = 0
        for token_id in voice.tokens:
            if time % voice.bar_grid == 0:
                text.append(BAR)
            text.append(self._vocab[token_id])
            time += self._lengths[token_id]
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
            extra={
                "tokens": " ".join(text),
                "fallbacks": str(voice.fallbacks),
                "motifs": str(voice.motifs),
                "motif_notes": str(voice.motif_notes),
                "like": plan.style.description,
            },
            beats_per_bar=plan.beats,
        )

    def style(self, like: str | None) -> Style:
        """What ``like`` asks for: a soloist the network knows, an era, or a soloist with too little
        material, who plays his or her era. Unknown names raise an InputError naming the closest."""
        if like is None:
            return Style(None, None, "")
        if not isinstance(like, str) or not like.strip():
            raise ComposeError("like must name a soloist (Parker, Coltrane, Chet Baker) or an era (bebop).")
        wanted = _normalise(like)
        era = ERA_NAMES.get(wanted) or ERA_NAMES.get(wanted.replace(" ", ""))
        if era is not None:
            return Style(era, None, ERA_LABELS.get(era, era))
        performer = self._performer(like, wanted)
        entry = self._performers[performer]
        if performer in self._conditioning.soloists:
            return Style(entry["era"], performer, performer)
        era = entry["era"] if entry["era"] in ERAS else None
        label = ERA_LABELS.get(era, era) if era else "no particular era"
        return Style(era, None, f"{label} ({performer} has too little material: {entry['notes']:,} notes)")

    def _performer(self, like: str, wanted: str) -> str:
        names = list(self._performers)
        if NICKNAMES.get(wanted) in self._performers:
            return NICKNAMES[wanted]
        normalised = self._normalised
        exact = [n for n in names if normalised[n] == wanted]
        if exact:
            return exact[0]
        words = set(wanted.split())
        partial = [n for n in names if words <= set(normalised[n].split())]
        if len(partial) == 1:
            return partial[0]
        if len(partial) > 1:
            raise ComposeError(f"'{like}' could be {_or(partial)}: which one?")
        keys = {**{normalised[n]: n for n in names}, **{normalised[n].split()[-1]: n for n in names if n}}
        close = difflib.get_close_matches(wanted, list(keys) + list(ERA_NAMES), n=3, cutoff=0.5)
        suggestions = list(dict.fromkeys(keys.get(c, c) for c in close))
        hint = f"Did you mean {_or(suggestions)}? " if suggestions else ""
        famous = [n for n in ("Charlie Parker", "John Coltrane", "Miles Davis") if n in names] or names[:3]
        raise ComposeError(
            f"I don't know a soloist or era called '{like}'. {hint}Try a soloist like {_or(famous)}, "
            f"or an era: {', '.join(ERA_LABELS.get(e, e) for e in ERAS)}."
        )


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower().replace("-", " ")).split())


def _or(names: Sequence[str]) -> str:
    quoted = [str(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _plan(request: ComposeRequest, style: Style) -> _Plan:
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
    low, high = request.low, request.high
    if not (_is_int(low) and _is_int(high) and low >= LOWEST and high <= HIGHEST and high - low >= 12):
        raise ComposeError(
            f"the range must be whole MIDI pitches from {LOWEST} to {HIGHEST}, at least an octave wide "
            f"(e.g. {DEFAULT_LOW}..{DEFAULT_HIGH}), not {low!r}..{high!r}."
        )
    lead = request.lead
    if lead is not None and lead not in LEADS:
        raise ComposeError(f"lead must be one of {', '.join(LEADS)} (or None), not {lead!r}.")
    if seed is None:
        seed = secrets.randbelow(2**31)
    elif not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        raise ComposeError(f"seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}.")
    asked = request.key if isinstance(request.key, Key | None) else parse_key(str(request.key))
    meter = None if request.meter is None else parse_meter(request.meter)
    progression, label, key = _progression(request.progression, seed, asked, meter)
    beats = progression.beats_per_bar
    chords = _chords_for(progression, key, bars)
    # The network hears the next chord and when it comes; at the piece's end that is the chord the
    # progression would go on to, so a longer piece with the same seed hears (and plays) the same.
    end = bars * bar_ticks(beats)
    following = tuple(
        Chord(c.symbol, max(c.start, end), c.end - max(c.start, end), c.name)
        for c in _chords_for(progression, key, bars + SECTION_BARS)
        if c.end > end
    )
    context = chords + following
    primer = _primer_events(request.primer, bars, context, low, high, beats)
    centre = None if lead is None else load_centres().centre(lead, style.era, style.soloist)
    return _Plan(
        bars,
        tempo,
        key,
        label,
        chords,
        context,
        float(temperature),
        seed,
        style,
        low,
        high,
        primer,
        beats,
        centre,
    )


_chords_for = lru_cache(maxsize=1024)(chords_for)
""":func:`model.progressions.chords_for`, remembered: a plan needs it twice, and it took ~80% of a
plan's time (~0.3 ms of a 16-bar piece's ~25); its chords are immutable."""


def _primer_events(
    primer: Sequence[Note] | None, bars: int, chords: Sequence[Chord], low: int, high: int, beats: int
) -> tuple[Event, ...]:
    """The idea's events over the piece's chords, encoded as training encodes solos, up to its last
    note (trailing rests are dropped). The whole idea moves by the fewest octaves that bring it into
    ``low``..``high``, and only when some note lies outside."""
    if primer is None:
        return ()
    notes = [n for n in primer if n.pitch is not None]
    if not notes or not all(_is_int(n.pitch) and _is_int(n.start) and n.start >= 0 for n in notes):
        raise ComposeError("the idea to continue needs at least one note (see model.primer).")
    span_low, span_high = min(n.pitch or 0 for n in notes), max(n.pitch or 0 for n in notes)
    shifts = [12 * k for k in range(-8, 9) if low <= span_low + 12 * k and span_high + 12 * k <= high]
    if not shifts:
        raise ComposeError(
            f"the idea spans {span_high - span_low} semitones, wider than the lead's range "
            f"({low}..{high}); keep it within {high - low} semitones."
        )
    shift = min(shifts, key=abs)
    bar = bar_ticks(beats)
    end = -(-max(n.end for n in notes) // bar)
    if end > bars:
        raise ComposeError(f"the idea lasts {end} bars; ask for at least {end} bars.")
    moved = [Note((n.pitch or 0) + shift, n.start, n.duration, n.velocity) for n in notes]
    events = encode_line(moved, chords, 0, end * bar, beats)
    while events and token_kind(events[-1].token) == REST:
        events.pop()
    return tuple(events)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _progression(
    text: str | None, seed: int, asked: Key | None, meter: int | None
) -> tuple[Progression, str, Key]:
    """The progression, how the piece names it (a slug, or the chart as typed) and its key: the asked
    tonic in the progression's mode (a minor blues stays minor in any key: "C" is Cm), or the
    tune's own key when none is asked. A tune keeps its own meter unless ``meter`` asks another (a
    waltz played in 4, a 4/4 tune as a waltz: :func:`model.progressions.in_meter`); with no
    progression named, 3/4 picks a waltz tune, else a library progression."""
    if text is None:
        rng = np.random.default_rng([seed, 1])
        if meter == 3:
            tune = pick_tune("waltz", rng)
            progression, slug = tune.progression, tune.slug
        else:
            slugs = sorted(library())
            slug = slugs[int(rng.integers(len(slugs)))]
            progression = library()[slug]
        tonic = progression.key.tonic if asked is None else asked.tonic
        return progression, slug, Key(tonic, progression.key.minor)
    if not isinstance(text, str) or not text.strip():
        raise ComposeError("progression must be a name like 'blues' or a chart like '| Dm7 G7 | Cmaj7 |'.")
    resolved = resolve(text, asked, METERS, meter or BEATS_PER_BAR)
    if meter is None or resolved.progression.beats_per_bar == meter:
        return resolved.progression, resolved.label, resolved.key
    return in_meter(resolved.progression, meter), resolved.label, resolved.key
