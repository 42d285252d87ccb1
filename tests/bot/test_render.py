"""FluidSynth rendering: at the target level, the right length, independent clips and guarded input."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import numpy as np
import pytest

from bot.audio.level import CEILING_DBFS, TARGET_LUFS
from bot.audio.loudness import LoudnessMeter, integrated_loudness
from bot.audio.render import (
    DEFAULT_SAMPLE_RATE,
    MAX_SECONDS,
    PCM,
    TAIL_SECONDS,
    Renderer,
    RenderError,
    _timeline,
)
from model.arrange import STYLES_IN, ArrangeOptions, arrange
from model.compose import Composer
from model.errors import InputError
from model.midi import piece_to_midi

RATE = DEFAULT_SAMPLE_RATE


def _dbfs(pcm: PCM) -> float:
    return float(20 * np.log10(np.max(np.abs(pcm.astype(np.int32))) / 32767))


def _rms(pcm: PCM) -> float:
    return float(np.sqrt(np.mean((pcm.astype(np.float64) / 32767) ** 2)))


def _lufs(pcm: PCM) -> float:
    meter = LoudnessMeter(RATE)
    meter.feed(pcm.astype(np.float32) / np.float32(32768))
    loudness = integrated_loudness(meter.powers)
    assert loudness is not None
    return loudness


def _midi(*tracks: list[mido.Message | mido.MetaMessage]) -> bytes:
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.extend(mido.MidiTrack(track) for track in tracks)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("tempo", [120, 180])
def test_clip_lasts_the_bars_plus_the_tail_at_any_tempo(
    renderer: Renderer, composer: Composer, tempo: int
) -> None:
    pcm = renderer.render(piece_to_midi(composer.compose(bars=4, tempo=tempo, seed=1)))
    assert pcm.dtype == np.int16 and pcm.shape[1] == 2
    assert len(pcm) / RATE == pytest.approx(4 * 4 * 60 / tempo + TAIL_SECONDS, abs=0.05)


@pytest.mark.parametrize("style", ["swing", "ballad"])
def test_band_clip_is_at_the_target_loudness_with_its_peaks_under_the_ceiling(
    renderer: Renderer, composer: Composer, style: str
) -> None:
    pcm = renderer.render(arrange(composer.compose(bars=4, seed=1), ArrangeOptions(style=style)).midi)
    assert _lufs(pcm) == pytest.approx(TARGET_LUFS, abs=0.3)
    assert _dbfs(pcm) <= CEILING_DBFS + 0.01  # to int16 rounding
    assert np.all(pcm[-10:] == 0)  # faded out, no click at the cut


def test_a_count_in_does_not_change_how_loud_the_band_plays(renderer: Renderer, composer: Composer) -> None:
    piece = composer.compose(bars=2, tempo=50, seed=2)  # the count-in bar alone outlasts the preview
    counted_in = renderer.render(arrange(piece, ArrangeOptions(count_in=True, ending=False)).midi)
    straight_in = renderer.render(arrange(piece, ArrangeOptions(count_in=False, ending=False)).midi)
    bar = round(4 * 60 / 50 * RATE)
    assert 20 * np.log10(_rms(counted_in[bar:]) / _rms(straight_in)) == pytest.approx(0, abs=1.0)


def test_fortissimo_chords_on_every_channel_do_not_clip(renderer: Renderer) -> None:
    chords = [
        mido.Message("note_on", channel=channel, note=note, velocity=127, time=0)
        for channel in range(8)
        for note in (36, 43, 48, 52, 55, 60, 64, 67, 72, 76)
    ]
    pcm = renderer.render(_midi([*chords, mido.Message("note_off", note=36, time=960)]))
    assert _dbfs(pcm) <= CEILING_DBFS + 0.01  # the limiter holds the ceiling (to rounding)


def test_stream_announces_the_length_and_yields_the_same_audio_in_blocks(
    renderer: Renderer, composer: Composer
) -> None:
    midi = piece_to_midi(composer.compose(bars=8, tempo=160, seed=4))  # 14 s: longer than the preview
    stream = renderer.stream(midi)
    blocks = list(stream.blocks)
    assert len(blocks) > 10 and all(block.shape[1] == 2 for block in blocks)
    assert sum(len(block) for block in blocks) == stream.frames == len(renderer.render(midi))
    assert stream.seconds == pytest.approx(8 * 4 * 60 / 160 + TAIL_SECONDS, abs=0.05)


def test_bad_midi_is_refused_before_the_stream_starts(renderer: Renderer) -> None:
    with pytest.raises(InputError):
        renderer.stream(b"not a midi file")


def test_tempo_change_inside_the_file_is_honoured(renderer: Renderer) -> None:
    conductor = [mido.MetaMessage("set_tempo", tempo=500_000, time=0)]  # 120 bpm: a beat is 0.5 s
    conductor.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=480))  # then 60 bpm: 1 s
    notes = [
        mido.Message("note_on", note=60, velocity=100, time=0),
        mido.Message("note_off", note=60, time=480),
        mido.Message("note_on", note=64, velocity=100, time=0),
        mido.Message("note_off", note=64, time=480),
    ]
    pcm = renderer.render(_midi(conductor, notes))
    assert len(pcm) / RATE == pytest.approx(0.5 + 1.0 + TAIL_SECONDS, abs=0.01)


def _played(midi: mido.MidiFile, max_seconds: float) -> tuple[list[tuple[float, dict[str, object]]], float]:
    """The timeline as mido plays ``midi`` (its own merge and tempo map): what ``_timeline`` must give."""
    events, now, last_off = [], 0.0, 0.0
    for message in midi:
        now += message.time
        if now > max_seconds:
            raise RenderError("too long")
        if not message.is_meta:
            events.append((now, message))
            if message.type == "note_off" or (message.type == "note_on" and message.velocity == 0):
                last_off = now
            elif message.type == "note_on":
                last_off = max(last_off, now)
    return [(at, {**vars(m), "time": 0}) for at, m in events], last_off


def test_the_timeline_is_what_mido_plays_to_the_last_bit(composer: Composer) -> None:
    piece = composer.compose(bars=4, tempo=173, seed=2)
    arranged = [arrange(piece, ArrangeOptions(style=style, count_in=True)).parsed for style in STYLES_IN[4]]
    tempo_map = [  # tempo changes in the second track; tracks ending at different ticks, a marker last
        [mido.Message("note_on", note=60, velocity=90, time=7), mido.Message("note_off", note=60, time=901)],
        [
            mido.MetaMessage("set_tempo", tempo=432_109, time=333),
            mido.MetaMessage("set_tempo", tempo=777_777),
        ],
        [mido.Message("program_change", program=40, time=0), mido.Message("note_on", note=70, velocity=0)],
        [mido.Message("note_on", channel=3, note=50, velocity=6, time=1200), mido.Message("note_off")],
        [mido.MetaMessage("marker", text="end", time=4000)],
    ]
    made = mido.MidiFile(file=io.BytesIO(_midi(*tempo_map)))
    for midi in [*arranged, made]:
        events, last_off = _timeline(midi, MAX_SECONDS)
        expected, expected_off = _played(midi, MAX_SECONDS)
        assert [(at, {**vars(m), "time": 0}) for at, m in events] == expected  # floats compared exactly
        assert last_off == expected_off
    length = sum(message.time for message in made)  # seconds to the end of the longest track
    _timeline(made, length)
    with pytest.raises(RenderError, match="minutes"):  # the last track's end counts
        _timeline(made, length - 1e-9)
    with pytest.raises(RenderError):
        _played(made, length - 1e-9)


def test_a_hanging_note_does_not_leak_into_the_next_clip(renderer: Renderer) -> None:
    organ = [mido.Message("program_change", program=19), mido.Message("note_on", note=48, velocity=127)]
    renderer.render(_midi(organ))  # the organ note never gets its note-off
    late_note = [
        mido.Message("note_on", note=60, velocity=100, time=960),  # one second of silence first
        mido.Message("note_off", note=60, time=480),
    ]
    pcm = renderer.render(_midi(late_note))
    assert np.max(np.abs(pcm[: int(0.9 * RATE)].astype(np.int32))) < 0.01 * 32767


@pytest.mark.parametrize(
    "data",
    [b"", b"not a midi file", b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\xff\xff"],
    ids=["empty", "garbage", "truncated"],
)
def test_corrupt_midi_is_an_input_error(renderer: Renderer, data: bytes) -> None:
    with pytest.raises(InputError):
        renderer.render(data)


def test_hours_long_midi_is_refused_before_rendering(renderer: Renderer) -> None:
    ten_hours = 10 * 3600 * 2 * 480  # ticks at 120 bpm
    notes = [mido.Message("note_on", note=60, velocity=100, time=0), mido.Message("note_off", time=ten_hours)]
    with pytest.raises(RenderError, match="minutes"):
        renderer.render(_midi(notes))


def test_midi_with_too_many_events_is_refused(renderer: Renderer, composer: Composer) -> None:
    with pytest.raises(InputError, match="events"):
        renderer.render(piece_to_midi(composer.compose(bars=4, seed=1)), max_events=20)


def test_missing_soundfont_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="fluid-soundfont-gm"):
        Renderer(tmp_path / "missing.sf2")
