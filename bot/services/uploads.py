"""Checking an uploaded MIDI file cheaply, in bounded time and memory, without building it.

A challenge only needs to know that an upload is a Standard MIDI File with notes in it. Parsing it with
mido builds a Python object per event: a 1.9 MB file took 3-5 s of CPU and ~170 MB. :func:`scan_midi`
walks the bytes instead (chunk headers, delta times, running status, meta and sysex lengths), counts
tracks, events and notes, and stops at the first of: :data:`MAX_TRACKS` tracks, :data:`MAX_EVENTS`
events or :data:`SCAN_SECONDS` seconds. It allocates nothing per event, so memory stays at the file's
own size. :class:`MidiScanner` runs one scan at a time on the event loop in steps of
:data:`STEP_EVENTS` events, handing the loop back between steps: a thread would hold the GIL for its
whole switch interval and, on a busy host, stall the loop for tens of milliseconds at a time.

Every failure is the same friendly :class:`~model.errors.InputError` (the reason is for the log), never
a parser's internals such as "list index out of range".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Generator
from dataclasses import dataclass

from model.errors import InputError

log = logging.getLogger(__name__)

MAX_TRACKS = 256
MAX_EVENTS = 200_000  # the composer's reader takes as many (model.midi.MAX_MIDI_EVENTS)
SCAN_SECONDS = 5.0
STEP_EVENTS = 512  # events scanned between two turns of the event loop (a few milliseconds)
DAMAGED = (
    "This MIDI file is damaged or not a standard MIDI file; export it again as a .mid "
    "(Standard MIDI File) and send that."
)


class MidiRefused(InputError):
    """An upload that is not a usable MIDI file; the message is the same friendly one for every reason."""

    def __init__(self, message: str = DAMAGED, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


@dataclass(frozen=True)
class MidiSummary:
    tracks: int
    events: int
    notes: int


class _Damaged(Exception):
    """Internal: where the walk found the file broken (logged, not shown)."""


def scan_midi(
    data: bytes, *, max_tracks: int = MAX_TRACKS, max_events: int = MAX_EVENTS, seconds: float = SCAN_SECONDS
) -> MidiSummary:
    """Walk ``data`` as a Standard MIDI File; :class:`MidiRefused` if it is not one, is too big in
    tracks or events, takes longer than ``seconds`` or has no notes."""
    steps = scan_steps(data, max_tracks, max_events, seconds)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def scan_steps(
    data: bytes, max_tracks: int, max_events: int, seconds: float
) -> Generator[None, None, MidiSummary]:
    """:func:`scan_midi` in steps, as :class:`MidiScanner` drives it: yields every :data:`STEP_EVENTS`
    events."""
    try:
        summary = yield from _walk(memoryview(data), max_tracks, max_events, time.monotonic() + seconds)
    except _Damaged as damaged:
        raise MidiRefused(reason=str(damaged)) from None
    if summary.notes == 0:
        raise MidiRefused("This MIDI file has no notes in it; send a .mid with a melody.", "no notes")
    return summary


def _walk(
    data: memoryview, max_tracks: int, max_events: int, deadline: float
) -> Generator[None, None, MidiSummary]:
    size = len(data)
    if size < 14 or bytes(data[:4]) != b"MThd":
        raise _Damaged("no MThd header")
    header_length = int.from_bytes(data[4:8], "big")
    declared_tracks = int.from_bytes(data[10:12], "big")
    if header_length < 6 or 8 + header_length > size or declared_tracks == 0:
        raise _Damaged("bad header")
    if declared_tracks > max_tracks:
        raise MidiRefused(
            f"This MIDI file has {declared_tracks} tracks; files with up to {max_tracks} work.", "tracks"
        )
    position = 8 + header_length
    tracks = events = notes = 0
    while position + 8 <= size and tracks < declared_tracks:
        kind = bytes(data[position : position + 4])
        length = int.from_bytes(data[position + 4 : position + 8], "big")
        start, end = position + 8, position + 8 + length
        if end > size:
            raise _Damaged(f"chunk at {position} runs past the end")
        position = end
        if kind != b"MTrk":
            continue  # other chunk types are allowed and skipped
        tracks += 1
        track_events, track_notes = yield from _track(data, start, end, max_events - events, deadline)
        events += track_events
        notes += track_notes
    if tracks == 0:
        raise _Damaged("no tracks")
    return MidiSummary(tracks, events, notes)


def _track(
    data: memoryview, position: int, end: int, events_left: int, deadline: float
) -> Generator[None, None, tuple[int, int]]:
    """Events and notes of one MTrk chunk's body, ``data[position:end]``."""
    events = notes = 0
    status = 0
    while position < end:
        for _ in range(4):  # the delta time: a variable-length quantity of at most four bytes
            if position >= end:
                raise _Damaged("delta time runs past the track")
            byte = data[position]
            position += 1
            if byte < 0x80:
                break
        else:
            raise _Damaged("delta time longer than four bytes")
        if position >= end:
            raise _Damaged("event runs past the track")
        byte = data[position]
        if byte >= 0x80:
            position += 1
            if byte < 0xF0:
                status = byte  # a channel message; later ones may leave the status out
        elif status == 0:
            raise _Damaged("running status without a status")
        else:
            byte = status
        if byte == 0xFF or byte in (0xF0, 0xF7):
            if byte == 0xFF:
                position += 1  # the meta type
            length = 0
            for _ in range(4):
                if position >= end:
                    raise _Damaged("length runs past the track")
                part = data[position]
                position += 1
                length = (length << 7) | (part & 0x7F)
                if part < 0x80:
                    break
            else:
                raise _Damaged("length longer than four bytes")
            position += length
        elif byte >= 0xF0:
            raise _Damaged(f"system message {byte:#x} in a file")
        else:
            width = 1 if byte & 0xF0 in (0xC0, 0xD0) else 2
            if position + width > end or any(value >= 0x80 for value in data[position : position + width]):
                raise _Damaged("bad channel message data")
            if byte & 0xF0 == 0x90 and data[position + 1] > 0:
                notes += 1
            position += width
        events += 1
        if events > events_left:
            raise MidiRefused(
                f"This MIDI file has more than {MAX_EVENTS:,} events; send a shorter one.", "events"
            )
        if events % STEP_EVENTS == 0:
            if time.monotonic() > deadline:
                raise MidiRefused("This MIDI file takes too long to read; send a shorter one.", "time")
            yield
    if position > end:
        raise _Damaged("last event runs past the track")
    return events, notes


class MidiScanner:
    """Runs :func:`scan_midi` one scan at a time (the rest wait their turn), in steps that hand the
    event loop back between them."""

    def __init__(self) -> None:
        self._one_at_a_time = asyncio.Semaphore(1)

    async def check(self, data: bytes) -> MidiSummary:
        async with self._one_at_a_time:
            steps = scan_steps(data, MAX_TRACKS, MAX_EVENTS, SCAN_SECONDS)
            try:
                while True:
                    next(steps)
                    await asyncio.sleep(0)
            except StopIteration as done:
                return done.value
            except MidiRefused as refused:
                log.info("MIDI upload refused: %s", refused.reason)
                raise
