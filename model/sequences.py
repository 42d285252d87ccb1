"""Real solos as the network's training sequences: tokens, conditioning ids and targets.

A solo is cut into *lines* at chord gaps (WJazzD marks stretches without harmony as ``NC``): a line
is a run of whole bars that all have a chord (:meth:`model.wjazzd.Solo.spans`). Each line is encoded
by :func:`model.tokens.encode_line` (its first note a ``*`` token) and every token gets the
conditioning ids it is drawn under. The
network's input at step t is token t-1 (the start token for a line's first step) plus those ids.
"""

from __future__ import annotations

import bisect
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from model.conditioning import Conditioning, next_changes
from model.tokens import Event, chord_index_at, encode_line
from model.wjazzd import Solo, SoloSpan

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Encoded:
    """One solo as arrays of equal length: input token ids, conditioning ids (steps x groups), targets."""

    name: str
    inputs: IntArray
    conditions: IntArray
    targets: IntArray


def solo_events(solo: Solo) -> list[tuple[SoloSpan, list[Event]]]:
    """Each line (a :meth:`Solo.spans` run of bars with chords throughout) and its events; times
    are ticks from the line's first bar. Lines without a note are left out."""
    return [
        (span, encode_line(span.melody, span.chords, 0, span.bars * solo.bar_ticks, solo.beats_per_bar))
        for span in solo.spans()
        if span.melody
    ]


def centre_of(solo: Solo) -> float:
    """The solo's register centre: its median pitch."""
    return float(statistics.median(n.pitch for n in solo.notes if n.pitch is not None))


def encode_solo(solo: Solo, conditioning: Conditioning, index: dict[str, int], start_id: int) -> Encoded:
    """Arrays for every line of ``solo``; after a token missing from ``index`` (seen once in the
    training solos) the line goes on from the start token."""
    centre = centre_of(solo)
    style = conditioning.style_ids(solo.tempo, solo.era, solo.performer)
    inputs: list[int] = []
    conditions: list[list[int]] = []
    targets: list[int] = []
    for span, events in solo_events(solo):
        changes = next_changes(span.chords)
        starts = [c.start for c in span.chords]
        offset = span.first_bar * solo.bar_ticks
        previous_id, previous_pitch = start_id, None
        for event in events:
            token_id = index.get(event.token)
            if token_id is None:  # too rare for the vocabulary: the line starts afresh after it
                previous_id = start_id
                previous_pitch = event.pitch if event.pitch is not None else previous_pitch
                continue
            bar = (offset + event.start) // solo.bar_ticks
            origin = bisect.bisect_right(solo.chorus_starts, offset + event.start) - 1
            origin_bar = solo.chorus_starts[origin] // solo.bar_ticks if origin >= 0 else 0
            conditions.append(
                conditioning.ids(
                    span.chords,
                    changes,
                    chord_index_at(span.chords, event.start, starts),
                    event.start,
                    bar - origin_bar,
                    previous_pitch,
                    centre,
                    style,
                    solo.beats_per_bar,
                )
            )
            inputs.append(previous_id)
            targets.append(token_id)
            previous_id = token_id
            if event.pitch is not None:
                previous_pitch = event.pitch
    return Encoded(
        solo.name,
        np.array(inputs, dtype=np.int64),
        np.array(conditions, dtype=np.int64).reshape(-1, conditioning.groups),
        np.array(targets, dtype=np.int64),
    )


def model_tokens(model_dir: Path, solos: Sequence[Solo]) -> list[tuple[str, ...]]:
    """Each solo's tokens as the model in ``model_dir`` was trained on them (its vocabulary; tokens
    too rare for it left out): what an n-gram baseline needs to be scored on the same material."""
    vocab = json.loads((model_dir / "vocab.json").read_text())
    meta = json.loads((model_dir / "meta.json").read_text())
    conditioning = Conditioning(meta["conditioning"]["soloists"])
    index = {token: i for i, token in enumerate(vocab)}
    return [
        tuple(vocab[i] for i in encode_solo(solo, conditioning, index, len(vocab)).targets) for solo in solos
    ]
