"""What Extend promises: a longer piece with the same seed replays the shorter one up to where its chords
part, less the chord before that (the line hears the next chord coming)."""

from __future__ import annotations

from dataclasses import replace

from model.piece import Note, Piece


def replayed_ticks(short: Piece, long: Piece) -> int:
    """Ticks from the start that the longer piece must replay note for note: up to where the harmony
    before the first differing chord (the shorter one's ending cadence) began: the network reads the
    next chord change and when it comes, so the line there already hears the cadence."""
    parted = next(
        (i for i, (a, b) in enumerate(zip(short.chords, long.chords, strict=False)) if a != b),
        len(short.chords),
    )
    if parted == 0:
        return 0
    heard = parted - 1  # the chord whose "next chord" differs, back to where its harmony began
    while heard > 0 and short.chords[heard - 1].symbol == short.chords[heard].symbol:
        heard -= 1
    return short.chords[heard].start


def notes_before(piece: Piece, ticks: int) -> list[Note]:
    """What sounds before ``ticks``: the notes that start before it, cut off at it. A note reaching
    ``ticks`` may be held on differently (a tie is the next bar's token, drawn with the next chord in
    view), so it compares by pitch, start and the part before ``ticks``; counting only notes that end
    by ``ticks`` would drop it from one piece and keep it in the other."""
    before = [note for note in piece.melody if note.start < ticks]
    return [replace(note, duration=min(note.end, ticks) - note.start) for note in before]
