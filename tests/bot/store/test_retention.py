"""Retention: every clip's MIDI and facts are kept, audio only for the newest clips within a budget, so the
database stays small; audio that was dropped is rendered again when a button needs it. Real SQLite files,
real clips (composer, FluidSynth, ffmpeg)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.audio.clips import AudioFormat, Clip
from bot.core.requests import JazzRequest
from bot.services.jazz import Requester
from bot.services.settings import Settings
from bot.services.startup import open_services
from bot.services.studio import Studio
from bot.store.clips import DEFAULT_AUDIO_BUDGET, ClipStore
from bot.store.database import open_database
from model.compose import Composer

MiB = 1024 * 1024
CLIPS = 1000
ALICE = Requester(1, "alice", 111, 333)


@pytest.fixture(scope="module")
def clip() -> Iterator[Clip]:
    """A short real clip (4 bars, ~10 s): the store's work is what is under test, not the music."""
    studio = Studio(Composer.load(), Settings())
    yield studio.make(JazzRequest(bars=4, seed=8))
    studio.close()


def database_bytes(path: Path) -> int:
    """The file and its write-ahead log: what the database takes on disk."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def test_1000_clips_stay_under_50_mib_with_the_default_policy(tmp_path: Path, clip: Clip) -> None:
    path = tmp_path / "jazzbot.db"
    conn = await open_database(path)
    store = ClipStore(conn)  # the defaults: what JAZZBOT_AUDIO_KEEP_MB's default gives
    assert Settings().audio_keep_mb * MiB == DEFAULT_AUDIO_BUDGET
    try:
        ids = [
            (
                await store.add(
                    user_id=n % 50, guild_id=7, channel_id=9, request=JazzRequest(bars=4), clip=clip
                )
            ).id
            for n in range(CLIPS)
        ]
        kept = DEFAULT_AUDIO_BUDGET // len(clip.audio)
        assert await store.audio_bytes() == kept * len(clip.audio)
        newest, oldest = await store.get(ids[-1], 7, 0), await store.get(ids[0], 7, 0)
        assert newest.audio == clip.audio and oldest.audio == b"" and oldest.midi == clip.midi
        assert (await store.get(ids[-kept], 7, 0)).audio and not (await store.get(ids[-kept - 1], 7, 0)).audio
    finally:
        await conn.close()
    size = database_bytes(path)
    assert size < 50 * MiB, f"{size / MiB:.1f} MiB for {CLIPS} clips"
    print(f"{CLIPS} clips of {len(clip.audio) / 1024:.0f} KiB audio + {len(clip.midi) / 1024:.1f} KiB MIDI: "
          f"{size / MiB:.1f} MiB")  # fmt: skip


async def test_the_budget_keeps_the_newest_audio_and_every_midi(tmp_path: Path, clip: Clip) -> None:
    conn = await open_database(tmp_path / "jazzbot.db")
    store = ClipStore(conn, audio_budget=2 * len(clip.audio) + 1)
    try:
        added = [
            await store.add(user_id=5, guild_id=7, channel_id=9, request=JazzRequest(), clip=clip)
            for _ in range(4)
        ]
        stored = [await store.get(a.id, 7, 5) for a in added]
        assert [bool(s.audio) for s in stored] == [False, False, True, True]
        assert all(s.midi == clip.midi for s in stored)
    finally:
        await conn.close()


async def test_dropped_audio_is_rendered_again_for_a_challenge_entry(tmp_path: Path) -> None:
    settings = Settings(database=tmp_path / "jazzbot.db", workers=1, cooldown_seconds=0.0, audio_keep_mb=0)
    services = await open_services(settings)
    try:
        stored, clip = await services.jazz.compose(ALICE, JazzRequest(bars=2, seed=3))
        assert stored.audio == b"" and stored.midi == clip.midi  # a budget of 0 keeps no audio at all
        again = await services.jazz.audio(stored)
        assert again[:4] == b"OggS" and seconds(again, tmp_path) == pytest.approx(clip.duration, abs=0.05)

        challenges = services.challenges
        await challenges.start(
            111,
            333,
            ALICE.user_id,
            is_moderator=True,
            title="Blues",
            prompt="Slow",
            submit_by="1d",
            vote_by="2d",
        )
        entry = await challenges.submit_clip(111, ALICE.user_id, stored.id)
        media = await challenges.entry_media(111, entry.id)
        assert media.filename is not None and media.filename.endswith(".ogg")
        assert media.data is not None and media.data[:4] == b"OggS"
    finally:
        await services.close()


def seconds(audio: bytes, tmp_path: Path) -> float:
    """The duration ffprobe reads from an encoded file."""
    path = tmp_path / "probe.ogg"
    path.write_bytes(audio)
    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(shown.stdout)


@pytest.mark.parametrize("audio_format", ["mp3", "ogg"])
def test_audio_rendered_again_from_the_midi_is_the_audio_first_made(audio_format: AudioFormat) -> None:
    """Each render starts on a fresh synth, so the clips made before do not colour it: MP3 comes out byte
    for byte the same. OGG's audio is the same too; its container gets a random stream serial from ffmpeg
    unless encode passes ``-fflags +bitexact`` (bot/audio/encode.py, asked of its owner)."""
    studio = Studio(Composer.load(), Settings(audio_format=audio_format))
    try:
        studio.make(JazzRequest(bars=8, seed=11, style="ballad"))
        clip = studio.make(JazzRequest(bars=4, seed=3))
        studio.make(JazzRequest(bars=8, seed=4, style="latin"))
        again = studio.render_audio(clip.midi, audio_format)
    finally:
        studio.close()
    if audio_format == "mp3":
        assert again == clip.audio
    else:
        assert decoded(again) == decoded(clip.audio)


def decoded(audio: bytes) -> bytes:
    """The PCM ffmpeg decodes from an encoded file."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "s16le", "pipe:1"],
        input=audio,
        capture_output=True,
        check=True,
    ).stdout
