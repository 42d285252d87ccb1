"""A member's idea to start a piece with ("Continue my idea"): typed notes or a MIDI file, as notes on
the composer's grid.

Note text, one token per note or rest, separated by spaces:

* a note is a letter ``A``..``G`` (any case), an optional ``#`` or ``b``, an optional octave
  (``C4`` is middle C, MIDI 60) and an optional length in beats after ``:`` (a whole number, a
  decimal or a fraction: ``Eb4:2`` a half note, ``G:1.5`` a dotted quarter, ``A:1/3`` a triplet
  eighth). Without a length a note is an eighth (``:1/2``). Without an octave the first note is in
  octave 4 and every later one is the pitch of that name nearest the note before (a tritone goes up);
* ``r`` (or ``r:2``) is a rest, an eighth unless a length is given;
* ``|`` is a bar line: the next note starts the next bar (the rest of a short bar is silent). Bars
  are those of the piece's meter (``beats``: 4 in 4/4, 3 in a waltz); a bar holding more than that is
  refused, naming the bar and the meter, unless it ends right on a later bar line (a note held over
  a bar line is written without the bar line in between).

So ``C D Eb G | Bb A G`` is four eighths, a silent half bar (a silent beat in 3/4), then three
eighths in bar 2; ``C:1 D:1 E:1 F:1 | G`` is refused in 3/4 (its first bar holds 4 beats). An idea
holds 1..:data:`MAX_NOTES` notes in at most :data:`MAX_BARS` bars (of its meter), each from MIDI
:data:`LOWEST` (C2) to :data:`HIGHEST` (C7), the widest any lead instrument plays. A MIDI file gives
its first melody part (:func:`primer_from_midi`).

Either way the notes are quantised exactly as the soloist's training solos are (:func:`quantise`:
onsets on sixteenths, eighth triplets and sextuplets, lengths from the token lengths, a gap shorter
than an eighth after a note joins the note), so the composer can replay them token for token.
:func:`primer_text` writes quantised notes back as text that reads back to the same notes: that text
is what the bot stores with a request, whichever way the idea came.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

import mido

from model.errors import InputError
from model.meter import meter_name
from model.midi import read_midi
from model.piece import TICKS_PER_QUARTER, Chord, Note, bar_ticks
from model.theory import parse_chord
from model.tokens import GRID, GRID_PER_BEAT, encode_line, realise

MAX_BARS = 8
MAX_NOTES = 128
MAX_CHARS = 4000
MAX_MIDI_BYTES = 256_000
"""A MIDI idea's file size limit: a song file with its melody is well under (mido reads ~0.5 MB/s)."""
LOWEST, HIGHEST = 36, 96
DEFAULT_BEATS = Fraction(1, 2)
MAX_BEATS = 16
DRUM_CHANNEL = 9
MELODY_MEDIAN = 48
"""A single-note part whose median pitch is below this (C3) is taken for a bass line, not a melody,
as long as a higher single-note part exists."""
MAX_OVERLAP = 0.1
"""A part is a melody (single notes) when at most this share of its notes start under another."""
LEGATO_OVERLAP = TICKS_PER_QUARTER // 4
"""A note may start this long (a sixteenth) before the one before it ends and still count as single:
sequenced melodies often overlap a little."""
EXAMPLE = "C D Eb G | Bb:2 A G"
SYNTAX = (
    "Write notes like C, Eb4, F#5:2 (2 beats) or G:1/3, rests as r or r:1, bar lines as |; "
    f'for example "{EXAMPLE}".'
)
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NATURALS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_TOKEN = re.compile(
    r"(?:(?P<rest>[rR])|(?P<letter>[A-Ga-g])(?P<accidental>[#b]?)(?P<octave>-?\d)?)"
    r"(?::(?P<length>\d+(?:\.\d+)?(?:/\d+)?))?"
)


class PrimerError(InputError):
    """An idea that cannot be played; the message names the token or limit and shows what works."""


def note_name(pitch: int) -> str:
    """``60`` -> ``"C4"``."""
    return f"{NAMES[pitch % 12]}{pitch // 12 - 1}"


def parse_primer(text: str, beats: int = 4) -> tuple[Note, ...]:
    """The quantised notes ``text`` writes in bars of ``beats`` quarter notes (see the module
    docstring); a :class:`PrimerError` names the first token that does not read, the bar that does
    not fit the meter, or the limit that is crossed."""
    if not isinstance(text, str) or not text.strip():
        raise PrimerError(f"The idea to continue is empty. {SYNTAX}")
    if len(text) > MAX_CHARS:
        raise PrimerError(
            f"The idea is {len(text):,} characters long; up to {MAX_NOTES} notes in {MAX_BARS} bars work. "
            f"{SYNTAX}"
        )
    bar = bar_ticks(beats)
    notes: list[Note] = []
    time = 0  # ticks
    bar_line = 0  # where the bar the last "|" opened starts
    previous: int | None = None
    for token in text.replace("|", " | ").split():
        if token == "|":
            if time - bar_line > bar and time % bar:
                raise _overfull(bar_line // bar + 1, time - bar_line, beats)
            time = bar_line = -(-time // bar) * bar
            continue
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise PrimerError(f"I can't read '{token[:20]}' in your idea. {SYNTAX}")
        length = _length(token, match.group("length"))
        if match.group("letter") is not None:
            pitch = _pitch(token, match, previous)
            notes.append(Note(pitch, time, length))
            previous = pitch
            if len(notes) > MAX_NOTES:
                raise PrimerError(f"The idea has more than {MAX_NOTES} notes; up to {MAX_NOTES} work.")
        time += length
    if not notes:
        raise PrimerError(f"The idea has no notes, only rests. {SYNTAX}")
    return _limited(quantise(notes, beats), beats)


def _overfull(number: int, ticks: int, beats: int) -> PrimerError:
    held = Fraction(ticks, TICKS_PER_QUARTER)
    shown = f"{float(held):g}" if (4 * held).denominator == 1 else str(held)
    return PrimerError(
        f"Bar {number} of your idea holds {shown} beats, but a bar of {meter_name(beats)} holds {beats}: "
        f"shorten the notes or move the bar line (to hold a note over a bar line, leave that bar line "
        f'out). For example "{EXAMPLE}".'
    )


def _length(token: str, text: str | None) -> int:
    """Ticks of a ``:beats`` length (an eighth when absent)."""
    if text is None:
        beats = DEFAULT_BEATS
    else:
        try:
            beats = Fraction(text)
        except (ValueError, ZeroDivisionError):
            beats = Fraction(0)
    units = beats * GRID_PER_BEAT
    if not 0 < beats <= MAX_BEATS or units.denominator != 1:
        raise PrimerError(
            f"'{token}' has a length I can't play: lengths are beats from 1/12 to {MAX_BEATS} in twelfths "
            "of a beat, like :1 (a quarter), :1/2 (an eighth), :1/3 (a triplet eighth), :1.5 or :2."
        )
    return int(units) * GRID


def _pitch(token: str, match: re.Match[str], previous: int | None) -> int:
    pc = (_NATURALS[match.group("letter").lower()] + {"": 0, "#": 1, "b": -1}[match.group("accidental")]) % 12
    if match.group("octave") is not None:
        pitch = 12 * (int(match.group("octave")) + 1) + pc
    elif previous is None:
        pitch = 60 + pc
    else:
        pitch = previous + (pc - previous + 5) % 12 - 5  # nearest; a tritone goes up
    if not LOWEST <= pitch <= HIGHEST:
        raise PrimerError(
            f"'{token}' is {note_name(pitch)}, outside every lead instrument's range: notes from "
            f"{note_name(LOWEST)} to {note_name(HIGHEST)} work (C4 is middle C)."
        )
    return pitch


def quantise(notes: Sequence[Note], beats: int = 4) -> tuple[Note, ...]:
    """``notes`` (sounding notes, in ticks) as the soloist's tokens play them in bars of ``beats``:
    encoded and played back by :func:`model.tokens.encode_line` and :func:`model.tokens.realise`, the
    training encoding."""
    sounding = sorted((n for n in notes if n.pitch is not None), key=lambda n: (n.start, -(n.pitch or 0)))
    if not sounding:
        return ()
    bar = bar_ticks(beats)
    end = -(-max(n.end for n in sounding) // bar) * bar
    everywhere = (Chord(parse_chord("C"), 0, end, "C"),)
    return tuple(realise(encode_line(sounding, everywhere, 0, end, beats)))


def primer_bars(notes: Sequence[Note], beats: int = 4) -> int:
    """The bars of ``beats`` the idea spans (from bar 1 to the end of its last note)."""
    return -(-max(n.end for n in notes) // bar_ticks(beats)) if notes else 0


def _limited(notes: tuple[Note, ...], beats: int) -> tuple[Note, ...]:
    if not notes:
        raise PrimerError(f"The idea has no notes that can be played. {SYNTAX}")
    if len(notes) > MAX_NOTES:
        raise PrimerError(f"The idea has {len(notes):,} notes; up to {MAX_NOTES} work.")
    bars = primer_bars(notes, beats)
    if bars > MAX_BARS:
        raise PrimerError(f"The idea lasts {bars} bars; up to {MAX_BARS} bars work. {SYNTAX}")
    return notes


def primer_text(notes: Sequence[Note], beats: int = 4) -> str:
    """Note text that :func:`parse_primer` reads back to ``notes`` (quantised notes, as it returns) in
    bars of ``beats``: every note with its octave and length, gaps as rests, a bar line where a bar
    starts (after a note held over a bar line, a rest fills its last bar so that no bar overflows)."""
    bar = bar_ticks(beats)
    words: list[str] = []
    time = opened = 0  # opened: where the bar the last bar line opened starts
    for note in notes:
        if note.pitch is None:
            continue
        bar_line = -(-time // bar) * bar
        if time < bar_line <= note.start:
            if time - opened > bar:
                words.append(f"r:{_beats(bar_line - time)}")
            words.append("|")
            time = opened = bar_line
        if note.start > time:
            words.append(f"r:{_beats(note.start - time)}")
        words.append(f"{note_name(note.pitch)}:{_beats(note.duration)}")
        time = note.end
        if time % bar == 0:
            words.append("|")
            opened = time
    return " ".join(words).removesuffix(" |")


def _beats(ticks: int) -> str:
    return str(Fraction(ticks, TICKS_PER_QUARTER))


def primer_from_midi(data: bytes, beats: int = 4) -> tuple[Note, ...]:
    """The first melody part of a MIDI file, from the bar (of ``beats``) of its first note, up to
    :data:`MAX_BARS` bars, quantised. The melody part is the first (by track, then channel) that is not drums
    (channel 10) and plays single notes, preferring one whose median pitch is at least C3 over a bass
    line. A file without one is a :class:`PrimerError`."""
    midi = read_midi(data, max_bytes=MAX_MIDI_BYTES)
    parts = _parts(midi)
    single = [
        notes
        for (_, channel), notes in sorted(parts.items())
        if channel != DRUM_CHANNEL and _overlap(notes) <= MAX_OVERLAP
    ]
    if not single:
        raise PrimerError(
            "That MIDI file has no melody part (only chords or drums); attach a file with a single-note "
            f'line, or type the notes, for example "{EXAMPLE}".'
        )
    high = [
        notes for notes in single if sorted(n.pitch or 0 for n in notes)[len(notes) // 2] >= MELODY_MEDIAN
    ]
    melody = (high or single)[0]
    bar = bar_ticks(beats)
    offset = melody[0].start // bar * bar
    end = offset + MAX_BARS * bar
    kept = [
        Note(n.pitch, n.start - offset, min(n.end, end) - n.start, n.velocity)
        for n in melody
        if n.start < end
    ]
    for note in kept:
        if note.pitch is not None and not LOWEST <= note.pitch <= HIGHEST:
            raise PrimerError(
                f"The MIDI melody plays {note_name(note.pitch)}, outside every lead instrument's range: "
                f"notes from {note_name(LOWEST)} to {note_name(HIGHEST)} work."
            )
    return _limited(quantise(kept, beats), beats)


def _parts(midi: mido.MidiFile) -> dict[tuple[int, int], list[Note]]:
    """Sounding notes by (track, channel), in jazzbot's ticks, sorted by start."""
    scale = TICKS_PER_QUARTER / midi.ticks_per_beat
    parts: dict[tuple[int, int], list[Note]] = {}
    for index, track in enumerate(midi.tracks):
        time = 0
        sounding: dict[tuple[int, int], tuple[int, int]] = {}  # (channel, pitch) -> (start, velocity)
        for message in track:
            time += message.time
            if message.type not in ("note_on", "note_off"):
                continue
            key = (message.channel, message.note)
            if message.type == "note_on" and message.velocity > 0:
                sounding.setdefault(key, (time, message.velocity))
            elif key in sounding:
                start, velocity = sounding.pop(key)
                begin, stop = round(start * scale), round(time * scale)
                if stop > begin:
                    note = Note(message.note, begin, stop - begin, velocity)
                    parts.setdefault((index, message.channel), []).append(note)
    return {part: sorted(notes, key=lambda n: (n.start, n.pitch)) for part, notes in parts.items()}


def _overlap(notes: Sequence[Note]) -> float:
    """The share of notes that start while an earlier one still sounds (chords, held pedals)."""
    latest_end = -1
    overlapping = 0
    for note in notes:
        overlapping += int(note.start < latest_end - LEGATO_OVERLAP)
        latest_end = max(latest_end, note.end)
    return overlapping / len(notes)
