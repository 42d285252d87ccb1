"""The sets ``python -m model.evaluate`` compares: real held-out solos cut into chunks, pieces from a
composer, and deepjazz's reference outputs, all as :class:`Sample` (melody over chords in ticks from
bar 0, 4/4)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import mido

from model.errors import InputError
from model.melody_metrics import fallback_share
from model.metrics import split_mixed_track
from model.midi import read_midi
from model.piece import TICKS_PER_BAR, TICKS_PER_QUARTER, Chord, Note
from model.theory import FLAT_NAMES, Key, parse_key
from model.wjazzd import Solo

if TYPE_CHECKING:
    from model.compose import Composer

MIN_CHUNK_NOTES = 8
"""A real chunk with fewer notes (the soloist laying out) is not a sample of how the soloist plays."""
GENERATED_TEMPO = 160
"""Tempo of generated pieces (a medium swing; the median WJazzD solo is at 170 bpm). The composer
ignores tempo today; a tempo-conditioned one plays at the same tempo for every piece."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One piece to measure; ``fallback`` is the composer's fallback share (None for real music)."""

    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    bars: int
    fallback: float | None = None
    tempo: int | None = None  # bpm it is played at (a real chunk: its solo's, rounded); None: not known


class Progress:
    """Progress on stderr: one line rewritten in place on a terminal (``evaluate: composing 16-bar
    pieces 12/50``), only finished stages when stderr is a file."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.live = enabled and sys.stderr.isatty()

    def __call__(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        finished = done is None or done == total
        if not self.enabled or not (finished or self.live):
            return
        count = f" {done}/{total}" if done is not None and total is not None else ""
        prefix = "\r\033[K" if self.live else ""
        end = "\n" if finished else ""
        sys.stderr.write(f"{prefix}evaluate: {stage}{count}{end}")
        sys.stderr.flush()


def cut(
    melody: Sequence[Note], chords: Sequence[Chord], first_bar: int, bars: int, bar: int = TICKS_PER_BAR
) -> Sample:
    """``bars`` bars (of ``bar`` ticks) from ``first_bar``: notes starting inside (cut at the end),
    chords clipped, times rebased to the first bar."""
    start, end = first_bar * bar, (first_bar + bars) * bar
    notes = tuple(
        Note(n.pitch, n.start - start, min(n.end, end) - n.start, n.velocity)
        for n in melody
        if start <= n.start < end
    )
    clipped = tuple(
        Chord(c.symbol, max(c.start, start) - start, min(c.end, end) - max(c.start, start), c.name)
        for c in chords
        if c.start < end and c.end > start
    )
    return Sample(notes, clipped, bars)


def solo_chunks(solos: Iterable[Solo], bars: int, beats_per_bar: int = 4) -> list[Sample]:
    """Consecutive ``bars``-bar chunks of the 4/4 (or ``beats_per_bar``) solos' chord-covered spans
    (from each span's first bar; a shorter remainder is dropped), keeping those with at least
    :data:`MIN_CHUNK_NOTES` notes, each with its solo's tempo."""
    chunks = []
    for solo in solos:
        if solo.beats_per_bar != beats_per_bar:
            continue
        for span in solo.spans():
            for first in range(0, span.bars - bars + 1, bars):
                chunk = cut(span.melody, span.chords, first, bars, solo.bar_ticks)
                if len(chunk.melody) >= MIN_CHUNK_NOTES:
                    chunks.append(replace(chunk, tempo=round(solo.tempo)))
    return chunks


def solo_endings(solos: Iterable[Solo]) -> list[Sample]:
    """Each 4/4 solo whole, for the figures about how a piece ends (its last note over its chords)."""
    return [Sample(s.notes, s.chords, s.bars) for s in solos if s.beats_per_bar == 4 and s.chords]


def composed(
    composer: Composer,
    n: int,
    bars: int,
    progress: Progress,
    seed_offset: int = 0,
    like: str | None = None,
    tempo: int = GENERATED_TEMPO,
    keys: Sequence[str] | None = None,
) -> list[Sample]:
    """``n`` pieces of ``bars`` bars: seeds ``seed_offset``.. in turn, keys cycling through ``keys``
    (None: the twelve tonics from C up, in each tune's mode) and progressions through the sorted
    library, temperature 1.0, at ``tempo``, in the style ``like`` (None: none). A key in the other
    mode than its tune's is played as its relative (Dm over a major tune: F), keeping its signature."""
    from model.progressions import library

    tunes = library()
    slugs = sorted(tunes)
    wanted = [parse_key(k) for k in keys] if keys is not None else None
    if wanted == []:
        raise InputError("no keys to compose in: give at least one (e.g. C or Dm), or None for all twelve.")
    samples = []
    for i in range(n):
        slug = slugs[i % len(slugs)]
        key: str | Key = FLAT_NAMES[i % 12]
        if wanted is not None:
            key = wanted[i % len(wanted)].in_mode(tunes[slug].key.minor)
        piece = composer.compose(
            bars,
            tempo,
            key,
            slug,
            1.0,
            seed=seed_offset + i,
            like=like,
        )
        samples.append(Sample(piece.melody, piece.chords, piece.bars, fallback_share(piece)))
        progress(f"composing {bars}-bar pieces" + (f" like {like}" if like else ""), i + 1, n)
    return samples


def read_track_notes(path: Path) -> list[Note]:
    """Every note of a MIDI file (all tracks, all channels) in jazzbot ticks."""
    midi = read_midi(path)
    scale = TICKS_PER_QUARTER / midi.ticks_per_beat
    notes, sounding, time = [], dict[tuple[int, int], int](), 0
    for message in mido.merge_tracks(midi.tracks):
        time += message.time
        if message.type == "note_on" and message.velocity > 0:
            sounding[(message.channel, message.note)] = time
        elif message.type in ("note_on", "note_off") and (message.channel, message.note) in sounding:
            start = sounding.pop((message.channel, message.note))
            notes.append(Note(message.note, round(start * scale), round((time - start) * scale)))
    return notes


def deepjazz_outputs(folder: Path) -> list[Sample]:
    """deepjazz's reference outputs, melody separated from its block chords
    (:func:`model.metrics.split_mixed_track`)."""
    samples = []
    for path in sorted(folder.glob("*.mid")):
        track = split_mixed_track(read_track_notes(path))
        samples.append(Sample(track.melody, track.chords, track.bars))
    if not samples:
        raise InputError(f"no deepjazz reference outputs (*.mid) in {folder}")
    return samples
