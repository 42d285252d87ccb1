"""What Extend promises: a longer piece with the same seed replays the shorter one up to where its chords
part, less the chord before that (the line hears the next chord coming)."""

from __future__ import annotations

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
    """The notes that end by ``ticks`` (a note held on past it may be held differently)."""
    return [note for note in piece.melody if note.end <= ticks]
