"""Name the chord an accompaniment plays: weighted pitch classes (plus the bass) -> :class:`ChordSymbol`.

Used where a file has no written chord symbols (a sequenced MIDI performance) and for written
symbols whose kind the reader does not know. Every root and a small set of common jazz qualities
are scored by how much of the sounding weight they explain, minus what they leave unexplained
and the tones they miss; the bass note breaks ties between relatives such as C6 and Am7.
"""

from __future__ import annotations

from collections.abc import Mapping

from model.theory import QUALITIES, ChordSymbol

# Simplest first: on equal scores the earlier (plainer) quality wins.
CANDIDATE_QUALITIES = ("", "m", "7", "maj7", "m7", "6", "m6", "m7b5", "dim7", "7sus4", "mmaj7", "aug", "dim")
MIN_PITCH_CLASSES = 3
_NOISE_SHARE = 0.05
_UNEXPLAINED_PENALTY = 1.0
_MISSING_TONE_PENALTY = 0.12
_BASS_BONUS = 0.25


def recognise(weights: Mapping[int, float], bass: int | None = None) -> ChordSymbol | None:
    """The best-fitting chord for pitch-class ``weights`` (any scale, e.g. ticks sounded).

    Returns None when fewer than :data:`MIN_PITCH_CLASSES` pitch classes carry real weight:
    two notes do not name a chord, and a wrong guess would mislabel every melody note over it.
    """
    total = sum(w for w in weights.values() if w > 0)
    if total <= 0:
        return None
    share = {pc % 12: w / total for pc, w in weights.items() if w > 0}
    if sum(1 for s in share.values() if s >= _NOISE_SHARE) < MIN_PITCH_CLASSES:
        return None
    best: tuple[float, ChordSymbol] | None = None
    for quality in CANDIDATE_QUALITIES:
        intervals = QUALITIES[quality].tones
        for root in range(12):
            tones = {(root + i) % 12 for i in intervals}
            explained = sum(s for pc, s in share.items() if pc in tones)
            missing = sum(1 for pc in tones if share.get(pc, 0.0) < _NOISE_SHARE)
            score = explained - _UNEXPLAINED_PENALTY * (1 - explained) - _MISSING_TONE_PENALTY * missing
            if bass is not None and bass % 12 == root:
                score += _BASS_BONUS
            if best is None or score > best[0] + 1e-9:
                best = (score, ChordSymbol(root, quality))
    return None if best is None else best[1]
