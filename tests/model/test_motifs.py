"""Restated motifs and section closes: a cell comes back with its intervals exact and its rhythm bent
to the bar only where the bar refuses it; a literal cell keeps its pitch classes; a section's close
inside the piece holds a tone of the chord's scale, the piece's last note a chord tone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from model.compose import Composer
from model.grammar import classify
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER
from model.progressions import library
from model.theory import FLAT_NAMES


@dataclass
class Seen:
    """What the spy saw: restated notes after a cell's first, how many took another length, and the
    literal first notes."""

    following: int = 0
    relengthened: int = 0
    literal_firsts: int = 0
    problems: list[str] = field(default_factory=list)


def _spy(composer: Composer, seen: Seen, monkeypatch: pytest.MonkeyPatch) -> None:
    original = Composer._restated

    def restated(
        self: Composer, voice: Any, allowed: npt.NDArray[np.bool_], pitches: npt.NDArray[np.int64]
    ) -> int:
        cell = list(voice.replay)
        first, origin, previous = voice.replay_first, voice.replay_origin, voice.previous
        chosen = original(self, voice, allowed, pitches)
        # the cell's ties the bar refused are left out: the chosen token answers the last item taken
        token_id, pitch = cell[len(cell) - len(voice.replay) - 1] if chosen >= 0 else cell[0]
        grid = composer._grid
        if chosen < 0 or composer._is_tie[chosen] or pitch is None:
            return chosen
        if first:
            own = allowed & composer._is_moving & (pitches % 12 == pitch % 12)
            if voice.replay_literal and own.any():
                seen.literal_firsts += 1
                if int(pitches[chosen]) % 12 != pitch % 12:
                    seen.problems.append(f"literal first note {pitches[chosen]} for {pitch}")
            elif composer._pc[chosen] != composer._pc[token_id]:  # refused its own class: over the new root
                seen.problems.append(f"first note class {composer._pc[chosen]} for {composer._pc[token_id]}")
            return chosen
        seen.following += 1
        if int(pitches[chosen]) - previous != pitch - origin:
            seen.problems.append(f"interval {pitches[chosen] - previous} for {pitch - origin}")
        if grid[chosen] != grid[token_id]:
            seen.relengthened += 1
            same = allowed & composer._has_pitch & (pitches == pitches[chosen]) & (grid == grid[token_id])
            if same.any():
                seen.problems.append("took another length although the cell's own was allowed")
        return chosen

    monkeypatch.setattr(Composer, "_restated", restated)


def test_restated_cells_keep_their_intervals_and_bend_their_rhythm_only_when_refused(
    composer: Composer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Seen()
    _spy(composer, seen, monkeypatch)
    slugs = sorted(library())
    for seed in range(24):
        composer.compose(16, 160, FLAT_NAMES[seed % 12], slugs[seed % len(slugs)], seed=seed + 2000)
    assert not seen.problems, seen.problems[:5]
    assert seen.following > 100
    assert seen.relengthened > 0, "no cell came back with its rhythm bent to the bar"
    assert seen.literal_firsts > 0, "no cell came back on its own pitch classes"


def test_inner_section_closes_hold_a_scale_tone_and_the_last_note_a_chord_tone(composer: Composer) -> None:
    tensions = 0
    for seed in range(40):
        piece = composer.compose(bars=16, key=FLAT_NAMES[seed % 12], seed=seed + 3000)
        for closing_bar in (7, 15):
            end = (closing_bar + 1) * TICKS_PER_BAR
            held = next(n for n in piece.melody if n.start < end <= n.end)
            assert held.end == end and end - held.start >= 2 * TICKS_PER_QUARTER
            chord = next(c for c in reversed(piece.chords) if c.start <= held.start).symbol
            pitch_class = (held.pitch or 0) % 12
            if closing_bar == 15:
                assert pitch_class in chord.tones
            else:
                assert pitch_class in chord.scale
                tensions += classify(held.pitch or 0, chord) == "S"
    assert tensions > 0, "no inner close held a tension"
