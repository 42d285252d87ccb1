"""Reading real files into songs: the shared data, a user's folder, and the files that must be refused."""

from __future__ import annotations

import logging
from pathlib import Path

import mido
import pytest

from model import corpus
from model.corpus import Corpus, load_corpus, read_file
from model.errors import InputError
from model.grammar import split_bars, token_duration
from model.piece import TICKS_PER_BAR


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("JAZZBOT_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="module")
def shared_corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    mp = pytest.MonkeyPatch()
    mp.setenv("JAZZBOT_CACHE_DIR", str(tmp_path_factory.mktemp("shared-cache")))
    try:
        return load_corpus()
    finally:
        mp.undo()


def write_midi(path: Path, tracks: list[tuple[str, int, int, list[tuple[list[int], int]]]]) -> Path:
    """Tracks of (name, program, channel, [(pitches, beats)]) played back to back, 480 ticks per beat."""
    midi = mido.MidiFile(ticks_per_beat=480)
    for name, program, channel, events in tracks:
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        track.append(mido.Message("program_change", program=program, channel=channel))
        for pitches, beats in events:
            for pitch in pitches:
                track.append(mido.Message("note_on", note=pitch, velocity=90, channel=channel, time=0))
            for i, pitch in enumerate(pitches):
                track.append(
                    mido.Message("note_off", note=pitch, channel=channel, time=beats * 480 if i == 0 else 0)
                )
        midi.tracks.append(track)
    midi.save(str(path))
    return path


SAX_LINE = [([67], 1), ([64], 1), ([62], 1), ([60], 1), ([65], 1), ([69], 1), ([72], 1), ([70], 1)] * 2
PIANO_CHORDS = [([48, 52, 55, 59], 4), ([53, 57, 60, 63], 4)] * 2  # Cmaj7 | F7 | Cmaj7 | F7


def test_shared_standards_and_metheny_give_songs_with_full_bars(shared_corpus: Corpus) -> None:
    assert len(shared_corpus.hashes) == 28
    assert not shared_corpus.skipped
    standards = [s for s in shared_corpus.songs if s.name.endswith(".xml")]
    assert len(standards) == 27
    assert 880 <= sum(s.bars for s in standards) <= 910
    for song in shared_corpus.songs:
        assert all(sum(token_duration(t) for t in bar) == TICKS_PER_BAR for bar in split_bars(song.tokens))
        assert song.chords and song.chords[0].start == 0


def test_metheny_uses_far_more_than_deepjazz_18_bars(shared_corpus: Corpus) -> None:
    metheny = [s for s in shared_corpus.songs if s.name.startswith("original_metheny.mid")]
    assert sum(s.bars for s in metheny) > 150
    assert any("Guitar" in s.name for s in metheny)
    # deepjazz's solo window (quarters 476-548 = bars 120-137) is inside one of the guitar songs
    assert any(s.name.startswith("original_metheny.mid [Guitar bars 12") and s.bars >= 12 for s in metheny)


def test_blue_bossa_chords_are_read_from_the_lead_sheet(shared_corpus: Corpus) -> None:
    song = next(s for s in shared_corpus.songs if s.name == "Blue_Bossa.xml")
    names = [c.name for c in song.chords]
    assert names[:5] == ["Cm6", "Fm9", "Dm7b5", "G7", "Cm6"]  # as written: mi6, mi9, mi7b5, 7, mi6


def test_user_folder_midi_gets_chords_recognised_from_the_piano(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    write_midi(folder / "tune.mid", [("Alto Sax", 65, 0, SAX_LINE), ("Piano", 0, 1, PIANO_CHORDS)])
    loaded = load_corpus([folder])
    (song,) = loaded.songs
    assert song.bars == 4
    assert [c.name for c in song.chords] == ["Cmaj7", "F7", "Cmaj7", "F7"]
    assert [n.pitch for n in song.melody[:4]] == [67, 64, 62, 60]


def test_file_without_melody_is_skipped_with_its_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    write_midi(folder / "good.mid", [("Alto Sax", 65, 0, SAX_LINE), ("Piano", 0, 1, PIANO_CHORDS)])
    write_midi(folder / "comping.mid", [("Piano", 0, 1, PIANO_CHORDS)])
    with caplog.at_level(logging.WARNING, logger="model.corpus"):
        loaded = load_corpus([folder])
    assert len(loaded.songs) == 1
    assert "no melody part" in loaded.skipped["comping.mid"]
    assert "comping.mid" in caplog.text and "no melody part" in caplog.text


def test_folder_with_nothing_usable_is_an_input_error(tmp_path: Path) -> None:
    write_midi(tmp_path / "solo.mid", [("Alto Sax", 65, 0, SAX_LINE)])
    with pytest.raises(InputError, match=r"no usable melody.*solo\.mid: no accompaniment"):
        load_corpus([tmp_path])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no music files"):
        load_corpus([empty])


def test_empty_corrupt_and_huge_files_are_input_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mid"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.mid is empty"):
        read_file(empty)
    corrupt = tmp_path / "corrupt.mid"
    corrupt.write_bytes(b"MThd\x00\x00\x00\x06garbage" * 10)
    with pytest.raises(InputError, match=r"corrupt\.mid could not be read"):
        read_file(corrupt)
    huge = tmp_path / "huge.mid"
    with huge.open("wb") as handle:
        handle.truncate(corpus.MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match=r"huge\.mid is 21\.0 MB"):
        read_file(huge)


def test_too_many_notes_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus, "MAX_NOTES", 10)
    tune = write_midi(tmp_path / "tune.mid", [("Alto Sax", 65, 0, SAX_LINE), ("Piano", 0, 1, PIANO_CHORDS)])
    with pytest.raises(InputError, match="up to 10"):
        read_file(tune)


def test_second_read_comes_from_the_cache_and_changed_content_is_parsed(
    tmp_path: Path, private_cache: Path
) -> None:
    tune = write_midi(tmp_path / "tune.mid", [("Alto Sax", 65, 0, SAX_LINE), ("Piano", 0, 1, PIANO_CHORDS)])
    first = read_file(tune)
    second = read_file(tune)
    assert not first.cached and second.cached
    assert second.songs == first.songs
    assert len(list(private_cache.glob("corpus-*.json"))) == 1
    write_midi(tune, [("Alto Sax", 65, 0, SAX_LINE[::-1]), ("Piano", 0, 1, PIANO_CHORDS)])
    changed = read_file(tune)
    assert not changed.cached and changed.songs != first.songs


def test_unreadable_cache_is_parsed_again(tmp_path: Path, private_cache: Path) -> None:
    tune = write_midi(tmp_path / "tune.mid", [("Alto Sax", 65, 0, SAX_LINE), ("Piano", 0, 1, PIANO_CHORDS)])
    first = read_file(tune)
    for cached in private_cache.glob("corpus-*.json"):
        cached.write_text("{not json")
    again = read_file(tune)
    assert not again.cached and again.songs == first.songs


def test_cli_prints_a_per_file_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_midi(tmp_path / "tune.mid", [("Alto Sax", 65, 0, SAX_LINE), ("Piano", 0, 1, PIANO_CHORDS)])
    write_midi(tmp_path / "comping.mid", [("Piano", 0, 1, PIANO_CHORDS)])
    assert corpus.main(["--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "tune.mid" in out and "skipped: no melody part" in out
    assert corpus.main(["--data", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().out
