"""The upload scanner on real MIDI files: what mido reads, it reads the same; anything broken is one
friendly refusal, quickly, never a parser's internals."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import mido
import pytest

from bench.uploads import dense_midi
from bot.services.uploads import DAMAGED, MAX_EVENTS, MidiRefused, MidiScanner, scan_midi
from model.midi import read_midi
from tests.bot.challenge_helpers import tiny_midi


def _files(shared_data: Path) -> list[Path]:
    found = sorted(shared_data.rglob("*.mid"))
    assert found, "the shared data has MIDI files"
    return found


def test_real_files_are_read_with_the_counts_mido_finds(shared_data: Path) -> None:
    for path in _files(shared_data):
        midi = mido.MidiFile(path)
        summary = scan_midi(path.read_bytes())
        assert summary.tracks == len(midi.tracks), path.name
        assert summary.events == sum(len(track) for track in midi.tracks), path.name
        notes = sum(m.type == "note_on" and m.velocity > 0 for track in midi.tracks for m in track)
        assert summary.notes == notes, path.name


def test_every_cut_and_flip_of_a_real_file_is_read_or_refused_in_one_sentence(shared_data: Path) -> None:
    data = _files(shared_data)[0].read_bytes()
    rng = random.Random(7)
    variants = [data[:cut] for cut in range(0, min(len(data), 600), 7)]
    for _ in range(300):
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        variants.append(bytes(flipped))
    refused = 0
    for variant in variants:
        try:
            scan_midi(variant)
        except MidiRefused as error:
            refused += 1
            assert str(error) in (DAMAGED, "This MIDI file has no notes in it; send a .mid with a melody.")
    assert refused >= len(variants) // 3  # cuts break the file; some flips land in harmless places


def test_running_status_and_other_chunks_are_standard() -> None:
    track = b"\x00\x90\x3c\x40" + b"\x10\x3e\x40" + b"\x10\x3c\x00" + b"\x00\xff\x2f\x00"  # running status
    header = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0"
    data = header + b"MTrk" + len(track).to_bytes(4, "big") + track
    assert (scan_midi(data).events, scan_midi(data).notes) == (4, 2)
    assert len(read_midi(data).tracks) == 1  # mido agrees it is a MIDI file
    alien = header + b"XFIH\x00\x00\x00\x03abc" + data[len(header) :]  # the standard says: skip it
    assert scan_midi(alien).notes == 2
    assert scan_midi(tiny_midi()).notes == 1


def test_a_huge_file_is_refused_at_the_event_limit_quickly_and_without_building_it() -> None:
    data = dense_midi()
    assert len(data) < 2_000_000
    started = time.process_time()
    with pytest.raises(MidiRefused, match=f"more than {MAX_EVENTS:,} events"):
        scan_midi(data)
    assert time.process_time() - started < 30  # a bound against a hang, not a speed figure
    with pytest.raises(MidiRefused, match="3 tracks; files with up to 2 work"):
        scan_midi(b"MThd\x00\x00\x00\x06\x00\x01\x00\x03\x01\xe0", max_tracks=2)


async def test_the_scanner_hands_the_loop_back_while_it_reads() -> None:
    data = dense_midi()
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    counter = asyncio.create_task(count_turns())
    with pytest.raises(MidiRefused):
        await MidiScanner().check(data)
    counter.cancel()
    assert turns >= MAX_EVENTS // 1024  # the loop ran between the steps
