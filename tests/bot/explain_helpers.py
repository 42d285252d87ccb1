"""What the "Why?" view must show for a clip's MIDI, computed here straight from the metric functions
behind model.evaluate's rows (not through bot.services.explain)."""

from __future__ import annotations

from model.clip_reading import read_arrangement
from model.melody_metrics import held_over_share, motif_recurrence
from model.metrics import class_shares, pitch_range, repeated_share
from model.reference_figures import load_reference


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def expected_figures(midi: bytes) -> dict[str, str]:
    """Figure name -> shown value, for the clip whose stored MIDI is ``midi``."""
    sample = read_arrangement(midi).sample
    melody, chords = sample.melody, sample.chords
    shares = class_shares(melody, chords)
    return {
        "Notes on chord tones": percent(shares["C"]),
        "Notes on chord or scale tones": percent(shares["CS"]),
        "Motifs that come back (same intervals)": percent(motif_recurrence(melody)),
        "Motifs that come back (same shape)": percent(motif_recurrence(melody, contour=True)),
        "Range": f"{pitch_range(melody)} semitones",
        "Repeated notes": percent(repeated_share(melody)),
        "Notes held over the bar line": percent(held_over_share(melody)),
    }


def expected_compact(midi: bytes) -> str:
    """The entries-list line for the clip: chord tones, motif reuse and range beside the real solos'."""
    sample = read_arrangement(midi).sample
    real = load_reference().figures
    chord_tones = class_shares(sample.melody, sample.chords)["C"]
    motifs = motif_recurrence(sample.melody)
    return (
        f"ℹ️ chord tones {percent(chord_tones)} (real ~{percent(real['chord_tones'].mean)})"
        f" · motif reuse {percent(motifs)} (real ~{percent(real['motif_exact'].mean)})"
        f" · range {pitch_range(sample.melody)} semitones (real ~{real['range'].mean:.0f} semitones)"
    )
