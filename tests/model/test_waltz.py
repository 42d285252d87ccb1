"""3/4 end to end: the composer fills waltz bars, the band plays a jazz waltz, the MIDI says 3/4, other
meters are refused. Real tunes from the committed tune table, the shipped model, many seeds."""

from __future__ import annotations

import io
import random

import mido
import pytest

from model.arrange import Arrangement, ArrangeOptions, arrange, style_in
from model.arrange.bass import bass_part
from model.arrange.chart import BEAT, chart_of
from model.arrange.drums import brushes, drum_part
from model.arrange.instruments import CRASH, PEDAL_HAT, RIDE
from model.arrange.lead import lead_part
from model.arrange.piano import piano_part
from model.arrange_metrics import Counts, Heard, drum_patterns, outside, parts, waltz_sample
from model.clip_reading import read_arrangement
from model.compose import Composer, ComposeRequest
from model.errors import InputError
from model.evaluation_sets import Sample
from model.melody_metrics import held_over_share
from model.meter import MeterError, parse_meter
from model.midi import piece_to_midi
from model.piece import Note, Piece
from model.progressions import in_meter
from model.reference_figures import measure
from model.tokens import GRID_PER_BEAT, bar_lengths
from model.tunes import find_tune, tunes
from tests.extend_helpers import notes_before, replayed_ticks

WALTZ_BAR = 3 * BEAT
WALTZES = ("someday-my-prince-will-come", "alice-in-wonderland", "waltz-for-debbie", "bluesette")


def time_signatures(midi: bytes) -> list[tuple[int, int]]:
    parsed = mido.MidiFile(file=io.BytesIO(midi))
    return [(m.numerator, m.denominator) for t in parsed.tracks for m in t if m.type == "time_signature"]


@pytest.fixture(scope="module")
def waltzes(composer: Composer) -> list[Piece]:
    """Four waltz charts at three tempi, 24 seeds, 12 or 16 bars (5 with a cut chorus)."""
    requests = [
        ComposeRequest(bars=(12, 16)[seed % 2], tempo=(100, 140, 180)[seed % 3], progression=slug, seed=seed)
        for seed in range(24)
        for slug in (WALTZES[seed % len(WALTZES)],)
    ]
    return composer.compose_many(requests)


def test_the_waltz_charts_are_in_the_tune_table_in_three() -> None:
    assert sum(tune.beats_per_bar == 3 for tune in tunes().values()) == 181
    for slug in WALTZES:
        assert tunes()[slug].beats_per_bar == 3
        assert all(sum(beats for _, beats in bar) == 3 for bar in tunes()[slug].progression.bars)


def test_a_waltz_chart_is_composed_in_three_with_every_bar_exactly_filled(waltzes: list[Piece]) -> None:
    for piece in waltzes:
        assert piece.beats_per_bar == 3 and piece.meter == "3/4" and piece.bar_ticks == WALTZ_BAR
        assert bar_lengths(piece.extra["tokens"]) == [3 * GRID_PER_BEAT] * piece.bars
        assert piece.extra["fallbacks"] == "0"
        assert piece.length_ticks == piece.bars * WALTZ_BAR
        assert max(n.end for n in piece.melody) == piece.length_ticks
        assert all(c.start % BEAT == 0 and c.end <= piece.length_ticks for c in piece.chords)
        cells = piece.chart().strip("|").split("|")
        assert len(cells) == piece.bars


def test_a_waltz_ends_on_the_tonic_held_to_the_bar_line(waltzes: list[Piece]) -> None:
    for piece in waltzes:
        last_chord = piece.chords[-1]
        assert last_chord.symbol.root == piece.key.tonic and last_chord.end == piece.length_ticks
        closing = max(piece.melody, key=lambda n: n.start)
        assert closing.end == piece.length_ticks and closing.duration >= 2 * BEAT  # held from beat 2
        assert closing.start >= piece.length_ticks - WALTZ_BAR
        assert closing.pitch is not None and closing.pitch % 12 in last_chord.symbol.tones


def test_same_seed_gives_byte_identical_waltz_midi(composer: Composer) -> None:
    made = [composer.compose(bars=8, progression="alice in wonderland", seed=9) for _ in range(2)]
    assert piece_to_midi(made[0]) == piece_to_midi(made[1])
    options = ArrangeOptions(style="waltz", count_in=True, tag=True)
    assert arrange(made[0], options).midi == arrange(made[1], options).midi
    assert time_signatures(piece_to_midi(made[0])) == [(3, 4)]


@pytest.mark.parametrize(
    ("progression", "meter"),
    [("someday-my-prince-will-come", None), ("autumn-leaves", 3), ("| Dm7 G7 | Cmaj7 |", 3), (None, 3)],
)
def test_extend_on_a_waltz_keeps_the_meter_and_replays_the_shorter_piece(
    composer: Composer, progression: str | None, meter: int | None
) -> None:
    for seed, bars in ((4, 8), (7, 5), (12, 16)):
        short, long = composer.compose_many(
            [
                ComposeRequest(bars=n, progression=progression, seed=seed, meter=meter)
                for n in (bars, bars + 8)
            ]
        )
        assert short.beats_per_bar == long.beats_per_bar == 3
        end = replayed_ticks(short, long)
        assert end >= (bars - 4) * WALTZ_BAR
        assert notes_before(short, end) == notes_before(long, end)
        assert long.progression == short.progression


def test_a_tune_plays_in_the_other_meter_when_asked(composer: Composer) -> None:
    autumn = find_tune("autumn leaves").progression
    waltz = in_meter(autumn, 3)
    assert waltz.beats_per_bar == 3 and len(waltz.bars) == len(autumn.bars)
    assert all(sum(beats for _, beats in bar) == 3 and bar[0][1] > 0 for bar in waltz.bars)
    assert [bar[0][0] for bar in waltz.bars] == [bar[0][0] for bar in autumn.bars]  # the downbeats stay
    prince = tunes()["someday-my-prince-will-come"].progression
    assert all(sum(beats for _, beats in bar) == 4 for bar in in_meter(prince, 4).bars)
    in_four = composer.compose(bars=8, progression="someday my prince will come", seed=3)
    assert in_four.beats_per_bar == 3  # its own meter by default ...
    assert (
        composer.compose_many(
            [ComposeRequest(bars=8, progression="someday my prince will come", seed=3, meter=4)]
        )[0].meter
        == "4/4"
    )
    picked = composer.compose_many([ComposeRequest(bars=8, seed=5, meter=3)])[0]
    assert picked.progression in tunes() and tunes()[picked.progression].beats_per_bar == 3  # a waltz tune


@pytest.mark.parametrize("asked", [5, 6, 7, "5/4", "6/8", "in 7", "12/8", "7/4 time", "3/8", "three"])
def test_other_meters_are_refused_naming_the_ones_that_work(composer: Composer, asked: int | str) -> None:
    with pytest.raises(MeterError) as refused:
        parse_meter(asked)
    assert "4/4" in str(refused.value) and "3/4" in str(refused.value)
    with pytest.raises(InputError, match="3/4"):
        composer.compose_many([ComposeRequest(bars=4, progression="blues", seed=1, meter=asked)])


@pytest.mark.parametrize(
    ("asked", "beats"), [(3, 3), (4, 4), ("3/4", 3), ("in 3", 3), ("4/4", 4), ("waltz", 3)]
)
def test_the_supported_meters_read(asked: object, beats: int) -> None:
    assert parse_meter(asked) == beats


# --- the band in 3 ---------------------------------------------------------------------------------


def straight_parts(piece: Piece, style: str) -> dict[str, list[tuple[int, int, int, int]]]:
    """Each player's notes on the straight grid (before swing and micro-timing)."""
    chart = chart_of(piece, True)
    final = chart.spans[-1].symbol
    lead, line = lead_part(piece, style, "tenor sax", final, random.Random(1))
    return {
        "Lead": lead,
        "Piano": piano_part(chart, style, True, line, random.Random(2)),
        "Bass": bass_part(chart, style, random.Random(3)),
        "Drums": drum_part(chart, style, True, line, random.Random(4)),
    }


def test_every_part_plays_in_bars_of_three_beats(waltzes: list[Piece]) -> None:
    for piece in waltzes:
        for style in ("waltz", "ballad"):
            played = straight_parts(piece, style)
            ending = piece.length_ticks
            for name, notes in played.items():
                assert notes, name
                assert all(0 <= start < ending + WALTZ_BAR for start, _, _, _ in notes), name
                assert max(end for _, end, _, _ in notes) <= ending + WALTZ_BAR, name  # the ending bar
            assert all(start % BEAT == 0 for start, _, _, _ in played["Bass"])
            held = [n for n in played["Bass"] if n[0] == ending]
            assert len(held) == 1 and held[0][1] == ending + 2 * BEAT + BEAT // 8  # let go after beat 3
            assert (held[0][2] - piece.key.tonic) % 12 == 0  # the tonic's root
            piano_final = [n for n in played["Piano"] if n[0] == ending]
            assert piano_final and all(n[1] == ending + 2 * BEAT + BEAT // 8 for n in piano_final)


@pytest.mark.parametrize(
    ("tempo", "per_bar", "places"), [(100, 1, {0, 960}), (140, 2, {0, 960}), (180, 3, {0, 480, 960})]
)
def test_the_bass_feel_follows_the_tempo(
    composer: Composer, tempo: int, per_bar: int, places: set[int]
) -> None:
    """Dotted halves when slow (and an approach on 3 now and then), a two-feel in 3, walking in 3."""
    for seed in range(6):
        piece = composer.compose(bars=16, tempo=tempo, progression="someday-my-prince-will-come", seed=seed)
        bass = [n for n in straight_parts(piece, "waltz")["Bass"] if n[0] < piece.length_ticks]
        assert {start % WALTZ_BAR for start, _, _, _ in bass} <= places
        firsts = [start for start, _, _, _ in bass if start % WALTZ_BAR == 0]
        assert len(firsts) == piece.bars  # every bar starts with a bass note
        if per_bar == 3:
            assert len(bass) == 3 * piece.bars
        elif per_bar == 2:
            assert len(bass) == 2 * piece.bars
        else:
            assert piece.bars <= len(bass) < 2 * piece.bars


def test_the_drummer_rides_a_jazz_waltz_with_the_hi_hat_on_two_or_three(composer: Composer) -> None:
    for seed in range(8):
        piece = composer.compose(bars=16, tempo=170, progression="alice-in-wonderland", seed=seed)
        drums = straight_parts(piece, "waltz")["Drums"]
        for bar in range(piece.bars - 1):  # the last bar has the fill
            hits = [
                (s - bar * WALTZ_BAR, key)
                for s, _, key, _ in drums
                if bar * WALTZ_BAR <= s < (bar + 1) * WALTZ_BAR
            ]
            ride = {offset for offset, key in hits if key in (RIDE, CRASH)}
            if bar % 8 != 7:  # a fill bar keeps only the downbeat
                assert {0, 480, 960} <= ride and ride <= {0, 480, 720, 960, 1200}  # ding, ding-a ding
            hats = {offset for offset, key in hits if key == PEDAL_HAT}
            assert hats and hats <= {480, 960}
        found, bars = drum_patterns([Heard(*n) for n in drums], 0, piece.bars, WALTZ_BAR)
        assert found / bars >= 0.4


def test_a_slow_waltz_and_a_ballad_in_three_play_brushes(composer: Composer) -> None:
    piece = composer.compose(bars=8, tempo=96, progression="someday-my-prince-will-come", seed=2)
    assert brushes("waltz", 96) and brushes("ballad", 160) and not brushes("waltz", 160)
    for style in ("waltz", "ballad"):
        arrangement = arrange(piece, ArrangeOptions(style=style))
        assert dict((t.name, t.program) for t in arrangement.tracks)["Drums"] == 40  # the brush kit
    fast = composer.compose(bars=8, tempo=176, progression="someday-my-prince-will-come", seed=2)
    assert (
        dict((t.name, t.program) for t in arrange(fast, ArrangeOptions(style="waltz")).tracks)["Drums"] == 32
    )


def test_the_arrangement_is_written_in_three_four(waltzes: list[Piece]) -> None:
    for piece in waltzes[:6]:
        arrangement = arrange(piece, ArrangeOptions(style="swing", count_in=True))
        assert arrangement.options.style == "waltz"  # a swing piece in 3/4 is a jazz waltz
        assert time_signatures(arrangement.midi) == [(3, 4)]
        clicks = [n for n in parts(arrangement)["Drums"] if n.start < WALTZ_BAR - 200]
        assert len(clicks) == 3  # three clicks of count-in
        last = max(n.end for notes in parts(arrangement).values() for n in notes)
        assert last <= (piece.bars + 2) * WALTZ_BAR  # count-in + bars + the held final bar


def test_styles_that_do_not_fit_the_meter_are_refused(composer: Composer) -> None:
    assert style_in("swing", 3) == "waltz" and style_in("ballad", 3) == "ballad"
    waltz = composer.compose(bars=4, progression="bluesette", seed=1)
    four = composer.compose(bars=4, progression="blues", seed=1)
    with pytest.raises(InputError, match="bossa is played in 4/4"):
        arrange(waltz, ArrangeOptions(style="bossa"))
    with pytest.raises(InputError, match="waltz is played in 3/4"):
        arrange(four, ArrangeOptions(style="waltz"))


# --- figures over many waltzes (docs/MODEL.md, "Waltz") ---------------------------------------------


@pytest.fixture(scope="module")
def sampled_waltzes(composer: Composer) -> list[tuple[Piece, ArrangeOptions, Arrangement]]:
    return [(piece, options, arrange(piece, options)) for piece, options in waltz_sample(composer, 30)]


def test_the_lead_sits_above_the_waltz_comping_and_every_part_in_range(
    sampled_waltzes: list[tuple[Piece, ArrangeOptions, Arrangement]],
) -> None:
    counts = Counts()
    for piece, options, arrangement in sampled_waltzes:
        assert piece.beats_per_bar == 3
        heard = parts(arrangement)
        counts.add(heard)
        assert all(bad == 0 for bad, _ in outside(heard, options.lead).values()), options
    assert counts.lead > 1000
    assert counts.above / counts.lead >= 0.55
    assert counts.clash / counts.lead <= 0.22


def test_a_waltz_clip_is_read_back_and_measured_in_its_own_bars(waltzes: list[Piece]) -> None:
    """The "Why?" figures of a waltz count its 3/4 bar lines (``model.evaluate`` counts 4/4 ones)."""
    half = BEAT // 2  # a beat long from beats 0, 2.5 (over a 3/4 bar line), 3.5 (a 4/4 one), 4.5, 5.5 (3/4)
    line = tuple(Note(60 + i, start * half, 2 * half) for i, start in enumerate((0, 5, 7, 9, 11)))
    sample = Sample(line, (), 2)
    assert held_over_share(line) == 1 / 5 and held_over_share(line, WALTZ_BAR) == 2 / 5
    assert measure(sample)["held_over"] == 1 / 5 and measure(sample, 3)["held_over"] == 2 / 5
    assert {k: v for k, v in measure(sample, 3).items() if k != "held_over"} == {
        k: v for k, v in measure(sample).items() if k != "held_over"
    }
    for piece in waltzes[:4]:
        clip = read_arrangement(arrange(piece, ArrangeOptions(style="waltz", ending=False)).midi)
        assert clip.beats_per_bar == 3 and clip.sample.bars == piece.bars
        melody = clip.sample.melody
        assert measure(clip.sample, 3)["held_over"] == held_over_share(melody, WALTZ_BAR)
