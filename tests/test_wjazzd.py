"""The Weimar Jazz Database reader on the real shared files, and on broken pairs written here."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import re
import shutil
from pathlib import Path

import pytest

from model.corpus import main as corpus_cli
from model.grammar import GRID
from model.theory import ChordSymbol, TheoryError
from model.wjazzd import (
    ERAS,
    SkipSolo,
    SoloCorpus,
    load_solos,
    parse_wjazzd_chord,
    read_solo,
    split,
    title_of,
)

MELODY_HEADER = (
    "onset,duration,period,division,bar,beat,tatum,beat_duration,signature,pitch,loud_median,"
    "phrase_id,phrase_begin,chorus_id,chord,form"
)
BEATS_HEADER = "onset,duration,period,division,bar,beat,signature,chord,form,chorus_id,bass"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("JAZZBOT_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="module")
def wjazzd(shared_data: Path) -> Path:
    return shared_data / "wjazzd"


@pytest.fixture(scope="module")
def shared_solos(wjazzd: Path, tmp_path_factory: pytest.TempPathFactory) -> SoloCorpus:
    mp = pytest.MonkeyPatch()
    mp.setenv("JAZZBOT_CACHE_DIR", str(tmp_path_factory.mktemp("wjazzd-cache")))
    try:
        return load_solos(wjazzd)
    finally:
        mp.undo()


def pair(wjazzd: Path, name: str) -> tuple[Path, Path]:
    return wjazzd / "melody" / f"{name}_FINAL.csv", wjazzd / "beats" / f"{name}_FINAL_beattrack.csv"


# ---- a known solo, checked against its CSV rows by hand -----------------------------------------


def test_art_pepper_anthropology_first_notes_chords_and_tempo(wjazzd: Path) -> None:
    solo = read_solo(*pair(wjazzd, "ArtPepper_Anthropology"))
    assert (solo.name, solo.performer_id, solo.performer, solo.title, solo.era) == (
        "ArtPepper_Anthropology",
        "ArtPepper",
        "Art Pepper",
        "Anthropology",
        "cool",
    )
    assert solo.beats_per_bar == 4
    # The beat track starts at bar -1 (a count-in bar of NC), so WJazzD bar 0 begins at tick 1920.
    # melody rows: (bar, beat, division, tatum, pitch, duration s, beat_duration s)
    #   0,1,1,1,65,0.1388,0.2917 -> tick 1920, 228 ticks -> 240
    #   0,2,4,1,63,0.1712,0.2866 -> tick 2400, 287 -> 280
    #   0,2,4,4,58,0.0813,0.2866 -> tick 2400 + 3/4 beat = 2760, 136 -> 120
    #   0,3,1,1,61,0.2351,0.2988 -> tick 2880
    first = [(n.pitch, n.start, n.duration) for n in solo.notes[:3]]
    assert first == [(65, 1920, 240), (63, 2400, 280), (58, 2760, 120)]
    assert (solo.notes[3].pitch, solo.notes[3].start) == (61, 2880)
    # beat track: bar -1 NC x4, bar 0 Bb6 x4, bar 1 Bb6 Bb6 G7 G7, bar 2 C-7 C-7 F7 ...
    chords = [(c.name, c.start, c.duration) for c in solo.chords[:3]]
    assert chords == [("Bb6", 1920, 2880), ("G7", 4800, 960), ("Cm7", 5760, 960)]
    assert all(c.start >= 1920 for c in solo.chords)  # the NC bar is a gap
    # Beats last about 0.29 s: roughly 205-220 bpm; the median of 60/duration over the track is 219.
    assert 215 < solo.tempo < 223
    assert solo.form[:2] == ((0, "I1"), (3840, "A1"))
    assert solo.chorus_starts[0] == 3840  # chorus_id 1 starts on bar 1
    assert solo.phrase_starts[0] == 0
    assert solo.unknown_chords == ()


def test_notes_are_monophonic_on_the_grid_and_cut_at_the_next_onset(wjazzd: Path) -> None:
    solo = read_solo(*pair(wjazzd, "CharlieParker_DonnaLee"))
    assert solo.era == "bebop"
    assert len(solo.notes) > 300
    for note, following in zip(solo.notes, solo.notes[1:], strict=False):
        assert note.start % GRID == 0 and note.duration % GRID == 0
        assert note.duration >= GRID and note.end <= following.start
    assert solo.notes[-1].end <= solo.bars * solo.bar_ticks
    assert all(40 <= n.velocity <= 115 for n in solo.notes)
    assert len({n.velocity for n in solo.notes}) > 10  # loudness carries accents


def test_a_waltz_keeps_three_beat_bars(wjazzd: Path) -> None:
    solo = read_solo(*pair(wjazzd, "JohnColtrane_MyFavoriteThings-1"))
    assert solo.beats_per_bar == 3 and solo.bar_ticks == 1440
    assert solo.title == "My Favorite Things"
    assert solo.era == "postbop"


# ---- chord syntax -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "root", "quality", "bass"),
    [
        ("C", 0, "", None),
        ("Bb6", 10, "6", None),
        ("Eb69", 3, "6", None),
        ("E6911#", 4, "6", None),
        ("Bbj7", 10, "maj7", None),
        ("Abj79", 8, "maj9", None),
        ("Cj7911#", 0, "maj7#11", None),
        ("Ebj79#11#", 3, "maj7#11", None),
        ("Ej79#", 4, "maj7", None),
        ("A-", 9, "m", None),
        ("C-6", 0, "m6", None),
        ("F-69", 5, "m6", None),
        ("D-7", 2, "m7", None),
        ("A-79", 9, "m9", None),
        ("G-7911", 7, "m9", None),
        ("G-79b", 7, "m7", None),
        ("D-j7", 2, "mmaj7", None),
        ("F7", 5, "7", None),
        ("C79", 0, "9", None),
        ("A7913", 9, "13", None),
        ("G79b", 7, "7b9", None),
        ("F79#", 5, "7#9", None),
        ("Bb79#13", 10, "7#9", None),
        ("D79#11#", 2, "7#9", None),
        ("B7911#", 11, "7#11", None),
        ("A7913b", 9, "7b13", None),
        ("A79b13", 9, "7b9", None),
        ("Bb79b13b", 10, "7alt", None),
        ("Ab7911", 8, "7sus4", None),
        ("E7alt", 4, "7alt", None),
        ("Ab+", 8, "aug", None),
        ("F+j7", 5, "aug", None),
        ("A+7", 9, "7#5", None),
        ("Bb+79", 10, "7#5", None),
        ("F+7911#", 5, "7#5", None),
        ("C+79#", 0, "7alt", None),
        ("Ab+79b", 8, "7alt", None),
        ("Bm7b5", 11, "m7b5", None),
        ("Bbo", 10, "dim", None),
        ("C#o7", 1, "dim7", None),
        ("Gsus", 7, "sus4", None),
        ("Bbsus7", 10, "7sus4", None),
        ("Csus7913", 0, "7sus4", None),
        ("A#79b", 10, "7b9", None),
        ("Cb7", 11, "7", None),
        ("Fb-7", 4, "m7", None),
        ("C/E", 0, "", 4),
        ("F7/Eb", 5, "7", 3),
        ("G79b/B", 7, "7b9", 11),
        ("Aj7911#/Ab", 9, "maj7#11", 8),
        ("Db+/C", 1, "aug", 0),
        ("Db-69/Db", 1, "m6", None),  # a bass equal to the root is no slash chord
    ],
)
def test_wjazzd_chord_syntax(text: str, root: int, quality: str, bass: int | None) -> None:
    assert parse_wjazzd_chord(text) == ChordSymbol(root, quality, bass)


def test_no_chord_is_none() -> None:
    assert parse_wjazzd_chord("NC") is None


@pytest.mark.parametrize("text", ["", "H7", "C7x", "Cmaj7", "C-m7b5", "Co9", "Csus6", "C7/H", "7", "C/"])
def test_garbage_chords_are_refused(text: str) -> None:
    with pytest.raises(TheoryError):
        parse_wjazzd_chord(text)


def test_every_chord_spelling_in_the_shared_files_maps(wjazzd: Path) -> None:
    spellings: set[str] = set()
    for folder in ("melody", "beats"):
        for path in (wjazzd / folder).glob("*.csv"):
            with path.open(newline="") as handle:
                spellings.update(row["chord"] for row in csv.DictReader(handle))
    assert len(spellings) > 300
    unmapped = []
    for spelling in sorted(spellings):
        try:
            parse_wjazzd_chord(spelling)
        except TheoryError:
            unmapped.append(spelling)
    assert unmapped == []


# ---- broken and odd pairs -----------------------------------------------------------------------


def melody_row(
    bar: int, beat: int, pitch: int, chord: str = "C7", tatum: int = 1, division: int = 1, meter: str = "4/4"
) -> str:
    return f"0,0.25,4,{division},{bar},{beat},{tatum},0.5,'{meter}',{pitch},70,1,0,1,{chord},A1"


def beat_rows(bars: int, chord: str = "C7", meter: str = "4/4", per_bar: int = 4) -> list[str]:
    return [
        f"0,0.5,{per_bar},1,{bar},{beat},'{meter}',{chord},A1,1,48"
        for bar in range(1, bars + 1)
        for beat in range(1, per_bar + 1)
    ]


def write_pair(
    folder: Path, name: str, melody: list[str], beats: list[str], header: str = MELODY_HEADER
) -> Path:
    (folder / "melody").mkdir(parents=True, exist_ok=True)
    (folder / "beats").mkdir(parents=True, exist_ok=True)
    (folder / "melody" / f"{name}_FINAL.csv").write_text("\n".join([header, *melody]) + "\n")
    (folder / "beats" / f"{name}_FINAL_beattrack.csv").write_text("\n".join([BEATS_HEADER, *beats]) + "\n")
    return folder


def test_unusable_pairs_are_skipped_with_their_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = [melody_row(1, 1, 60), melody_row(1, 3, 64), melody_row(2, 1, 67)]
    write_pair(tmp_path, "Good_Tune", good, beat_rows(2))
    write_pair(tmp_path, "Nobody_NoNotes", [], beat_rows(2))
    five = [melody_row(1, 1, 60, meter="5/4"), melody_row(1, 5, 62, meter="5/4")]
    write_pair(tmp_path, "Odd_Five", five, beat_rows(2, meter="5/4", per_bar=5))
    header_without_pitch = MELODY_HEADER.replace(",pitch", "").replace("bar,", "")
    write_pair(
        tmp_path,
        "Broken_Columns",
        ["0,0.25,4,1,1,1,0.5,'4/4',70,1,0,1,C7,A1"],
        beat_rows(2),
        header_without_pitch,
    )
    write_pair(tmp_path, "Mixed_Meter", good, [*beat_rows(1), *beat_rows(1, meter="3/4", per_bar=3)])
    (tmp_path / "melody" / "Lonely_Melody_FINAL.csv").write_text(MELODY_HEADER + "\n" + good[0] + "\n")
    with caplog.at_level(logging.WARNING, logger="model.wjazzd"):
        corpus = load_solos(tmp_path)
    assert [s.name for s in corpus.solos] == ["Good_Tune"]
    assert corpus.skipped == {
        "Nobody_NoNotes_FINAL.csv": "no notes",
        "Odd_Five_FINAL.csv": "meter 5/4 is not supported (only 4/4 and 3/4)",
        "Broken_Columns_FINAL.csv": "melody lacks columns bar, pitch",
        "Mixed_Meter_FINAL.csv": "mixed meters 3/4, 4/4 are not supported",
        "Lonely_Melody_FINAL.csv": "no beat track beats/Lonely_Melody_FINAL_beattrack.csv",
    }
    for name in corpus.skipped:
        assert name in caplog.text
    with pytest.raises(SkipSolo, match="no notes"):
        read_solo(
            tmp_path / "melody" / "Nobody_NoNotes_FINAL.csv",
            tmp_path / "beats" / "Nobody_NoNotes_FINAL_beattrack.csv",
        )


def test_the_command_line_summarises_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arpeggio = [
        melody_row(bar, beat, pitch)
        for bar in (1, 2)
        for beat, pitch in zip((1, 2, 3, 4), (60, 64, 67, 70), strict=True)
    ]
    write_pair(tmp_path, "CharlieParker_Some=Tune-1", arpeggio, beat_rows(2, chord="Cweird"))
    write_pair(tmp_path, "Nobody_NoNotes", [], beat_rows(2))
    assert corpus_cli(["--wjazzd", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 solos by 1 soloists, 2 bars, 8 notes (1 of 2 pairs skipped)" in out
    assert re.search(r"bebop\s+1\s+1\s+2\s+8\s+2", out)
    assert "chord spellings: 2 distinct, 1 mapped onto project qualities, 1 recognised" in out
    assert re.search(r"Nobody_NoNotes_FINAL.csv\s+no notes", out)
    assert '"Weimar Jazz Database"' in out and "Open Database License" in out
    assert "Lead sheets" not in out  # --wjazzd alone summarises that folder only
    assert corpus_cli(["--wjazzd", str(tmp_path / "missing")]) == 2
    assert "not a WJazzD folder" in capsys.readouterr().out


def test_a_folder_without_melodies_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a WJazzD folder"):
        load_solos(tmp_path)


def test_simultaneous_onsets_keep_the_highest_pitch_and_nc_is_a_gap(tmp_path: Path) -> None:
    melody = [melody_row(1, 1, 60), melody_row(1, 1, 72), melody_row(1, 2, 62, tatum=2, division=2)]
    beats = beat_rows(2)
    beats[4:8] = [row.replace(",C7,", ",NC,") for row in beats[4:8]]
    write_pair(tmp_path, "Some_Body", melody, beats)
    solo = read_solo(
        tmp_path / "melody" / "Some_Body_FINAL.csv", tmp_path / "beats" / "Some_Body_FINAL_beattrack.csv"
    )
    assert [(n.pitch, n.start) for n in solo.notes] == [(72, 0), (62, 720)]
    assert solo.notes[0].duration == 240  # 0.25 s of a 0.5 s beat
    assert [(c.name, c.start, c.duration) for c in solo.chords] == [("C7", 0, 1920)]
    assert solo.bars == 2 and solo.spans(min_bars=1)[0].bars == 1


def test_an_unknown_spelling_is_recognised_from_the_notes_or_left_as_a_gap(tmp_path: Path) -> None:
    arpeggio = [
        melody_row(1, beat, pitch, chord="Cweird")
        for beat, pitch in zip((1, 2, 3, 4), (60, 64, 67, 70), strict=True)
    ]
    write_pair(
        tmp_path, "Some_Arpeggio", arpeggio, beat_rows(1, chord="Cweird") + beat_rows(2, chord="Zzz")[4:]
    )
    solo = read_solo(
        tmp_path / "melody" / "Some_Arpeggio_FINAL.csv",
        tmp_path / "beats" / "Some_Arpeggio_FINAL_beattrack.csv",
    )
    assert solo.unknown_chords == ("Cweird", "Zzz")
    assert [(c.name, c.start, c.duration) for c in solo.chords] == [("C7", 0, 1920)]  # bar 2 had no notes


# ---- titles, eras, split, cache, spans ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("ArtPepper_BluesForBlanche", "Blues For Blanche"),
        ("ArtPepper_Stardust-1", "Stardust"),
        ("DizzyGillespie_ANightInTunisia", "A Night In Tunisia"),
        ("CharlieParker_Ko=Ko", "Ko-Ko"),
        ("JohnColtrane_26=2", "26-2"),
        ("CliffordBrown_I'llRememberApril_AlternateTake2", "I'll Remember April (Alternate Take 2)"),
        ("JohnColtrane_Impressions_1961", "Impressions (1961)"),
        ("LesterYoung_D.B.Blues", "D.B. Blues"),
        ("BranfordMarsalis_U.M.M.G.", "U.M.M.G."),
        ("SonnyRollins_Playin'InTheYard-2", "Playin' In The Yard"),
        ("JoeHenderson_In'NOut-1", "In 'N Out"),
        ("PaulDesmond_TheGirlFromEast9thStreet", "The Girl From East 9th Street"),
    ],
)
def test_titles(name: str, title: str) -> None:
    assert title_of(name) == title


def test_every_soloist_has_a_name_and_an_era(shared_solos: SoloCorpus) -> None:
    soloists = {(s.performer_id, s.performer, s.era) for s in shared_solos.solos}
    assert all(era in ERAS for _, _, era in soloists)
    assert {era for _, _, era in soloists} == set(ERAS)
    names = {performer for _, performer, _ in soloists}
    assert {"J.J. Johnson", "Charlie Parker", "Chet Baker", "John Coltrane"} <= names
    assert all(" " in name for name in names)


def test_split_is_stable_and_holds_out_about_a_tenth(shared_solos: SoloCorpus) -> None:
    names = [s.name for s in shared_solos.solos]
    train, valid = split(names)
    assert split(names) == (train, valid)
    assert split(reversed(names)) == (train, valid)
    assert sorted(train + valid) == sorted(names) and not set(train) & set(valid)
    assert 0.06 < len(valid) / len(names) < 0.14
    more_train, more_valid = split([*names, "NewPlayer_NewTune", "NewPlayer_OtherTune"])
    assert set(train) <= set(more_train) and set(valid) <= set(more_valid)
    assert split(names, valid_share=0.0) == (sorted(names), [])


def test_the_cache_returns_equal_solos_and_survives_corruption(
    wjazzd: Path, tmp_path: Path, private_cache: Path
) -> None:
    names = ["ArtPepper_Anthropology", "ChetBaker_Let'sGetLost", "WayneShorter_Footprints"]
    folder = tmp_path / "wjazzd"
    for name in names:  # a small real folder: three pairs, one of them skipped (6/4)
        for source in pair(wjazzd, name):
            target = folder / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    cold = load_solos(folder)
    assert [s.name for s in cold.solos] == names[:2] and list(cold.skipped) == [
        "WayneShorter_Footprints_FINAL.csv"
    ]
    assert cold.solos[0] == read_solo(*pair(wjazzd, names[0]))
    (cache_file,) = private_cache.glob("wjazzd-*.json.gz")
    written = cache_file.stat().st_mtime_ns
    warm = load_solos(folder)
    assert warm.solos == cold.solos and warm.skipped == cold.skipped
    assert cache_file.stat().st_mtime_ns == written  # a hit rewrites nothing

    with gzip.open(cache_file, "rt") as handle:
        payload = json.load(handle)
    first_key = next(iter(payload["solos"]))
    payload["solos"][first_key] = {"notes": "damaged"}
    with gzip.open(cache_file, "wt") as handle:
        json.dump(payload, handle)
    assert load_solos(folder).solos == cold.solos  # a damaged entry is parsed again

    cache_file.write_bytes(b"not gzip at all")
    assert load_solos(folder).solos == cold.solos
    with gzip.open(cache_file, "rt") as handle:  # rewritten whole
        assert len(json.load(handle)["solos"]) == 3


def test_the_shared_corpus_counts(shared_solos: SoloCorpus) -> None:
    assert len(shared_solos.solos) + len(shared_solos.skipped) == 426
    assert len(shared_solos.solos) >= 400
    assert sum(len(s.notes) for s in shared_solos.solos) > 150_000
    assert len({s.performer_id for s in shared_solos.solos}) >= 75
    assert all(s.unknown_chords == () for s in shared_solos.solos)
    assert all(s.beats_per_bar in (3, 4) for s in shared_solos.solos)
    assert all(reason for reason in shared_solos.skipped.values())


def test_spans_have_a_chord_on_every_beat(shared_solos: SoloCorpus) -> None:
    covered_bars = 0
    for solo in shared_solos.solos[::10]:
        spans = solo.spans()
        for span in spans:
            length = span.bars * solo.bar_ticks
            tick = 0
            for chord in span.chords:
                assert chord.start == tick and chord.duration > 0  # contiguous: no gap
                tick = chord.end
            assert tick == length
            assert all(n.start >= 0 and n.end <= length for n in span.melody)
        covered_bars += sum(span.bars for span in spans)
        assert covered_bars <= sum(s.bars for s in shared_solos.solos)
    assert covered_bars > 0.8 * sum(s.bars for s in shared_solos.solos[::10])
