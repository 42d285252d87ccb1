"""Clips as the bot posts them: arranged band audio that decodes, the right length and loudness, within
the upload limit, plus the piano roll and the chart. Real FluidSynth, real ffmpeg, decoded back; the level
(-16 LUFS integrated, true peak at most -1 dBTP) measured on the encoded file by ffmpeg's ebur128."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from bot.audio.clips import STAGES, AudioFormat, Clip, make_clip
from bot.audio.level import TARGET_LUFS
from bot.audio.loudness import measure_file
from bot.audio.render import TAIL_SECONDS, Renderer
from model.arrange import DEFAULT_TEMPI, ArrangeOptions
from model.compose import Composer

RATE = 48000
Decoded = npt.NDArray[np.float64]


def _decode(clip: Clip) -> Decoded:
    """The clip's audio decoded by a separate ffmpeg run, as float stereo with full scale 1.0."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0"]
    command += ["-f", "s16le", "-ar", str(RATE), "-ac", "2", "pipe:1"]
    pcm = subprocess.run(command, input=clip.audio, capture_output=True, check=True).stdout
    return np.frombuffer(pcm, dtype="<i2").reshape(-1, 2) / 32768.0


def _rms_db(audio: Decoded) -> float:
    return float(10 * np.log10(np.mean(audio**2)))


@pytest.mark.parametrize(
    ("style", "tempo", "count_in", "ending"),
    [("swing", 160, False, False), ("ballad", 72, True, True), ("bossa", 132, False, True)],
)
def test_clip_audio_decodes_full_length_at_the_target_level(
    renderer: Renderer, composer: Composer, style: str, tempo: int, count_in: bool, ending: bool
) -> None:
    piece = composer.compose(bars=4, tempo=tempo, seed=3)
    clip = make_clip(piece, renderer, ArrangeOptions(style=style, count_in=count_in, ending=ending))
    bars = 4 + count_in + ending  # the count-in and the final held chord add a bar each
    assert clip.duration == pytest.approx(bars * 4 * 60 / tempo + TAIL_SECONDS, abs=0.01)
    audio = _decode(clip)
    assert len(audio) / RATE == pytest.approx(clip.duration, abs=0.05)
    level = measure_file(clip.audio)
    assert level.integrated == pytest.approx(TARGET_LUFS, abs=1.0)
    assert level.true_peak <= -1.0
    assert np.max(np.abs(audio[-RATE // 100 :])) < 0.01  # faded out at the end


@pytest.mark.parametrize(
    ("style", "lead", "audio_format"),
    [
        ("swing", "tenor sax", "ogg"),
        ("swing", "jazz guitar", "ogg"),
        ("ballad", "flute", "ogg"),
        ("ballad", "piano", "ogg"),
        ("bossa", "vibraphone", "ogg"),
        ("bossa", "trumpet", "ogg"),
        ("ballad", "clarinet", "mp3"),
    ],
)
def test_every_style_and_lead_is_posted_at_minus_16_lufs_with_a_true_peak_under_minus_1_dbtp(
    renderer: Renderer, composer: Composer, style: str, lead: str, audio_format: AudioFormat
) -> None:
    piece = composer.compose(16, DEFAULT_TEMPI[style], seed=21)
    clip = make_clip(piece, renderer, ArrangeOptions(style=style, lead=lead), audio_format=audio_format)
    level = measure_file(clip.audio)
    assert level.integrated == pytest.approx(TARGET_LUFS, abs=1.0)
    assert level.true_peak <= -1.0


@pytest.mark.parametrize(
    ("style", "lead", "bars", "seed"),
    [
        ("swing", "alto sax", 8, 21),
        ("swing", "clarinet", 16, 65),
        ("swing", "tenor sax", 32, 25),
        ("bossa", "clarinet", 32, 23),
        ("ballad", "flute", 8, 24),
    ],
)
def test_clips_that_build_to_a_loud_end_still_land_on_minus_16_lufs(
    renderer: Renderer, composer: Composer, style: str, lead: str, bars: int, seed: int
) -> None:
    """The band builds over the piece, so the second half is louder than the preview: the loudness plan
    read from the MIDI foresees it, at every length."""
    piece = composer.compose(bars, DEFAULT_TEMPI[style], seed=seed)
    level = measure_file(make_clip(piece, renderer, ArrangeOptions(style=style, lead=lead)).audio)
    assert level.integrated == pytest.approx(TARGET_LUFS, abs=1.0)
    assert level.true_peak <= -1.0


def test_clips_of_one_style_are_about_equally_loud(renderer: Renderer, composer: Composer) -> None:
    levels = [_rms_db(_decode(make_clip(composer.compose(4, 160, seed=seed), renderer))) for seed in (1, 2)]
    assert abs(levels[0] - levels[1]) < 2.0


def test_a_64_bar_ballad_at_40_bpm_fits_the_upload_limit(renderer: Renderer, composer: Composer) -> None:
    piece = composer.compose(bars=64, tempo=40, seed=5)
    clip = make_clip(piece, renderer, ArrangeOptions(style="ballad"))
    assert clip.duration == pytest.approx(65 * 4 * 60 / 40 + TAIL_SECONDS, abs=0.01)  # 6.5 minutes
    assert len(clip.audio) <= 10 * 1024 * 1024
    assert len(_decode(clip)) / RATE == pytest.approx(clip.duration, abs=0.1)
    level = measure_file(clip.audio)  # the fader had 6 minutes to wander: it still lands on the target
    assert level.integrated == pytest.approx(TARGET_LUFS, abs=1.0)
    assert level.true_peak <= -1.0


def test_a_small_upload_limit_lowers_the_bitrate_but_keeps_the_whole_clip(
    renderer: Renderer, composer: Composer
) -> None:
    piece = composer.compose(bars=16, tempo=40, seed=5)  # 98 s: about 1.2 MB at the default bitrate
    clip = make_clip(piece, renderer, ArrangeOptions(style="ballad"), max_bytes=400_000)
    assert len(clip.audio) <= 400_000
    audio = _decode(clip)
    assert len(audio) / RATE == pytest.approx(clip.duration, abs=0.1)
    level = measure_file(clip.audio)  # ~29 kbps: Opus overshoots more at low bitrates
    assert level.integrated == pytest.approx(TARGET_LUFS, abs=1.0)
    assert level.true_peak <= -1.0


def test_mp3_clip_decodes_full_length(renderer: Renderer, composer: Composer) -> None:
    format_: AudioFormat = "mp3"
    clip = make_clip(composer.compose(4, 120, seed=2), renderer, audio_format=format_)
    assert clip.audio_format == "mp3" and clip.audio.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3"))
    audio = _decode(clip)
    assert len(audio) / RATE == pytest.approx(clip.duration, abs=0.1)  # MP3 pads a frame or two
    assert np.max(np.abs(audio)) < 32767 / 32768  # never up to clipping


def test_clip_carries_the_midi_chart_picture_and_stage_timings(
    renderer: Renderer, composer: Composer
) -> None:
    piece = composer.compose(4, 140, key="Bb", seed=7)
    stages: list[str] = []
    clip = make_clip(piece, renderer, ArrangeOptions(lead="vibraphone"), on_stage=stages.append)
    assert stages == list(STAGES)
    assert set(clip.timings) == {"arrange", "render", "encode", "draw"}
    assert all(seconds >= 0 for seconds in clip.timings.values())
    assert clip.midi.startswith(b"MThd") and clip.options.lead == "vibraphone"
    assert clip.chart == piece.chart() and clip.chart.count("|") == 5
    picture = Image.open(io.BytesIO(clip.png))
    assert (picture.format, picture.size) == ("PNG", (1200, 400))
    assert clip.filename("ogg") == "jazz-bb-swing-140bpm-seed7.ogg"
    assert clip.filename("mid").endswith(".mid")
