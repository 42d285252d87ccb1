"""Clips as voice packets: real clips (real FluidSynth and ffmpeg) become valid 20 ms Opus packets of the
clip's length, decoded by real libopus to the same audio as the file; other audio is transcoded."""

from __future__ import annotations

import subprocess

import discord
import numpy as np
import numpy.typing as npt
import pytest
from discord import opus

from bot.audio.clips import Clip, make_clip
from bot.audio.opus_source import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    NotTwentyMs,
    OggOpusError,
    frame_samples,
    split_frames,
    twenty_ms_packets,
)
from bot.audio.render import Renderer
from bot.discord.voice_audio import StoredOpus, Transcoded, audio_source
from model.compose import Composer

CELT_FULLBAND_20MS = 31  # TOC config: CELT, fullband, 20 ms frames


@pytest.fixture(scope="module")
def ogg_clip(renderer: Renderer, composer: Composer) -> Clip:
    return make_clip(composer.compose(bars=4, tempo=150, seed=5), renderer)


def _read_all(source: discord.AudioSource) -> list[bytes]:
    packets = []
    while packet := source.read():
        packets.append(packet)
    source.cleanup()
    return packets


def _check_packets(packets: list[bytes]) -> None:
    """Every packet is one 20 ms frame (TOC code 0) of stereo audio. (ffmpeg's transcode for
    FFmpegOpusAudio asks for in-band FEC, so libopus may pick its hybrid mode there: still 20 ms.)"""
    for packet in packets:
        toc = packet[0]
        assert frame_samples(toc) == FRAME_SAMPLES and toc & 0x03 == 0, f"TOC {toc:#04x}"
        assert toc & 0x04  # stereo


def _decode_file(audio: bytes) -> npt.NDArray[np.int16]:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-f", "s16le"]
    command += ["-ar", str(SAMPLE_RATE), "-ac", "2", "pipe:1"]
    pcm = subprocess.run(command, input=audio, capture_output=True, check=True).stdout
    return np.frombuffer(pcm, "<i2").reshape(-1, 2)


def test_a_clip_becomes_20_ms_frames_of_its_length_without_re_encoding(ogg_clip: Clip) -> None:
    parsed = twenty_ms_packets(ogg_clip.audio)
    source = audio_source(ogg_clip.audio, "ogg")
    assert isinstance(source, StoredOpus) and source.is_opus()
    packets = _read_all(source)

    assert packets == list(parsed.packets) and len(packets) > 100
    _check_packets(packets)
    assert {packet[0] >> 3 for packet in packets} == {CELT_FULLBAND_20MS}
    # the file's own frames: three 60 ms packets' worth of bytes in every three of ours, less their headers
    assert sum(len(packet) for packet in packets) < len(ogg_clip.audio)
    assert parsed.duration == pytest.approx(ogg_clip.duration, abs=1 / 1000)
    expected = -(-(parsed.pre_skip + round(ogg_clip.duration * SAMPLE_RATE)) // FRAME_SAMPLES)
    assert abs(len(packets) - expected) <= 1
    sent = len(packets) * FRAME_SAMPLES / SAMPLE_RATE
    assert 0 <= sent - ogg_clip.duration < (FRAME_SAMPLES + parsed.pre_skip) / SAMPLE_RATE


def test_the_frames_decode_with_libopus_to_the_audio_of_the_file(ogg_clip: Clip) -> None:
    if not opus.is_loaded():
        opus._load_default()  # discord.py's own loader: finds the system's libopus
    if not opus.is_loaded():
        pytest.skip("libopus is not installed (apt install libopus0)")
    parsed = twenty_ms_packets(ogg_clip.audio)
    decoder = opus.Decoder()
    # libopus raises on an invalid packet
    pcm = b"".join(decoder.decode(packet, fec=False) for packet in parsed.packets)
    ours = np.frombuffer(pcm, "<i2").reshape(-1, 2)
    assert len(ours) == len(parsed.packets) * FRAME_SAMPLES  # every packet: 20 ms
    ours = ours[parsed.pre_skip : parsed.pre_skip + parsed.samples].astype(np.float64)
    theirs = _decode_file(ogg_clip.audio).astype(np.float64)
    assert len(theirs) == len(ours)
    error = np.sqrt(np.mean((ours - theirs) ** 2)) / np.sqrt(np.mean(theirs**2))
    assert error < 0.01  # the same frames: only decoder rounding differs (a re-encode is ~10% off)


def test_an_mp3_clip_is_transcoded_to_20_ms_frames_of_its_length(
    renderer: Renderer, composer: Composer
) -> None:
    clip = make_clip(composer.compose(bars=2, tempo=150, seed=5), renderer, audio_format="mp3")
    source = audio_source(clip.audio, "mp3")
    assert isinstance(source, Transcoded)
    packets = _read_all(source)
    _check_packets(packets)
    assert not any(packet.startswith((b"OpusHead", b"OpusTags")) for packet in packets)
    assert len(packets) * 0.02 == pytest.approx(clip.duration, abs=0.08)  # plus MP3 and Opus delays


def test_opus_in_10_ms_frames_is_transcoded(ogg_clip: Clip) -> None:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-c:a", "libopus"]
    command += ["-frame_duration", "10", "-b:a", "96k", "-f", "ogg", "pipe:1"]
    short = subprocess.run(command, input=ogg_clip.audio, capture_output=True, check=True).stdout
    with pytest.raises(NotTwentyMs, match="10 ms"):
        twenty_ms_packets(short)
    source = audio_source(short, "ogg")
    assert isinstance(source, Transcoded)
    packets = _read_all(source)
    _check_packets(packets)
    assert len(packets) * 0.02 == pytest.approx(ogg_clip.duration, abs=0.06)


def test_what_is_not_ogg_opus_is_refused_with_the_reason(ogg_clip: Clip) -> None:
    with pytest.raises(OggOpusError, match="no Ogg page"):
        twenty_ms_packets(b"ID3" + bytes(100))
    with pytest.raises(OggOpusError, match="ends inside"):
        twenty_ms_packets(ogg_clip.audio[:5010])
    vorbis_like = ogg_clip.audio.replace(b"OpusHead", b"OpusHeaX", 1)
    with pytest.raises(OggOpusError, match="not an OpusHead"):
        twenty_ms_packets(vorbis_like)


def test_packets_of_every_code_split_into_single_frames() -> None:
    toc = CELT_FULLBAND_20MS << 3 | 0x04  # stereo
    one, two, three = b"\x11" * 5, b"\x22" * 300, b"\x33" * 7
    assert split_frames(bytes((toc,)) + one) == [bytes((toc,)) + one]
    assert split_frames(bytes((toc | 1,)) + one + one) == [bytes((toc,)) + one] * 2
    # code 2: the first frame's length in two bytes (300 = 252 + 4 * 12)
    code2 = bytes((toc | 2, 252, 12)) + two + three
    assert split_frames(code2) == [bytes((toc,)) + two, bytes((toc,)) + three]
    # code 3, VBR with 2 bytes of padding: frame count byte, padding length, lengths of all but the last
    vbr = bytes((toc | 3, 0x80 | 0x40 | 3, 2, 5, 7)) + one + three + two + b"\x00\x00"
    assert split_frames(vbr) == [bytes((toc,)) + frame for frame in (one, three, two)]
    cbr = bytes((toc | 3, 3)) + one * 3
    assert split_frames(cbr) == [bytes((toc,)) + one] * 3
    with pytest.raises(OggOpusError, match="does not divide"):
        split_frames(bytes((toc | 3, 3)) + one * 2 + b"\x00")
