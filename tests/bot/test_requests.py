"""``/jazz`` requests: chat phrasing, typed options over text, range checks, storage round trip."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from bot.core.requests import (
    EXAMPLES,
    MAX_SEED,
    MAX_TEXT_CHARS,
    JazzRequest,
    RequestError,
    TextRequest,
    build_request,
    ignored_note,
    parse_request_text,
)
from model.arrange import DEFAULT_TEMPI, LEAD_INSTRUMENTS, LEADS, STYLES, ArrangeOptions
from model.compose import ComposeRequest
from model.primer import PrimerError, parse_primer
from model.progressions import library
from model.theory import parse_key
from model.tunes import find_tune, resolve

PHRASINGS: list[tuple[str, dict[str, object] | None]] = [
    ("16 bars", {"bars": 16}),
    ("16", {"bars": 16}),
    ("/jazz 16 bars", {"bars": 16}),
    ("8 bars ballad in F at 70 bpm", {"bars": 8, "tempo": 70, "key": "F", "style": "ballad"}),
    ("blues in Bb", {"key": "Bb", "progression": "blues"}),
    (
        "a bossa in D minor, 12 bars, tempo 120",
        {"bars": 12, "tempo": 120, "key": "Dm", "style": "bossa"},
    ),
    (
        "rhythm changes at 200bpm on vibes",
        {"tempo": 200, "progression": "rhythm-changes", "instrument": "vibraphone"},
    ),
    ("seed 42", {"seed": 42}),
    ("temperature 0.8", {"temperature": 0.8}),
    ("temp=1.25", {"temperature": 1.25}),
    ("something hot", {"temperature": 1.4}),
    ("keep it cool", None),  # "keep" is not a word the parser knows
    ("cool", {"temperature": 0.7}),
    ("autumn leaves", {"progression": "autumn-leaves"}),
    ("Coltrane changes", {"progression": "coltrane-changes"}),
    ("ii-V-I", {"progression": "ii-v-i"}),
    ("a 2-5-1 in Eb", {"progression": "ii-v-i", "key": "Eb"}),
    (
        "Giant Steps at 280 bpm on guitar",
        {"progression": "giant-steps", "tempo": 280, "instrument": "jazz guitar"},
    ),
    ("well you needn't", {"progression": "well-you-neednt"}),
    ("Well, You Needn't on trumpet", {"progression": "well-you-neednt", "instrument": "trumpet"}),
    ("blue bossa", {"progression": "blue-bossa"}),
    ("ballad changes in Eb", {"progression": "ballad", "key": "Eb"}),
    ("12-bar blues in F", {"bars": 12, "progression": "blues", "key": "F"}),
    ("twenty-four bars of minor blues", {"bars": 24, "progression": "minor-blues"}),
    ("thirty two bars", {"bars": 32}),
    ("in B flat", {"key": "Bb"}),
    ("in the key of f sharp minor", {"key": "F#m"}),
    ("F# minor", {"key": "F#m"}),
    ("Ebm", {"key": "Ebm"}),
    ("in C", {"key": "C"}),
    ("in bb", {"key": "Bb"}),
    ("in a", {"key": "A"}),
    ("in a minor", {"key": "Am"}),
    ("in a swing feel", {"style": "swing"}),
    ("in a bossa nova groove on sax", {"style": "bossa", "instrument": "tenor sax"}),
    ("key=Eb tempo=140 bars=32 seed=7", {"key": "Eb", "tempo": 140, "bars": 32, "seed": 7}),
    ("slow ballad on piano", {"tempo": 72, "style": "ballad", "instrument": "piano"}),
    ("| Dm7 G7 | Cmaj7 |", {"progression": "| Dm7 G7 | Cmaj7 |"}),
    ("8 bars over |Dm7 G7|Cmaj7|%| at 140", {"bars": 8, "progression": "|Dm7 G7|Cmaj7|%|", "tempo": 140}),
    ("play me some jazz please", {}),
    ("", {}),
    ("16 bars in C♯ minor ♫ ♫", {"bars": 16, "key": "C#m"}),  # decoration is not a word
    ("🎺 blues", {"instrument": "trumpet", "progression": "blues"}),
    ("something chill", {"tempo": 100}),
    ("Play 'Autumn Leaves' in G minor", {"progression": "autumn-leaves", "key": "Gm"}),
    ('"Blue Bossa" on flute', {"progression": "blue-bossa", "instrument": "flute"}),
    ("2 choruses of blues", {"bars": 24, "progression": "blues"}),
    ("a chorus of rhythm changes", {"bars": 32, "progression": "rhythm-changes"}),
    ("one chorus", {"bars": 32}),
    ("so what in D dorian", {"progression": "so-what", "key": "Dm"}),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS)
def test_chat_phrasing(text: str, expected: dict[str, object] | None) -> None:
    parsed = parse_request_text(text)
    if expected is None:
        assert parsed.not_understood
        return
    assert parsed.values == expected
    assert parsed.not_understood == ()
    assert len(parsed.understood) == len(expected)


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_examples_in_messages_work(example: str) -> None:
    build_request(example)


def test_understood_and_not_understood_words_are_reported() -> None:
    parsed = parse_request_text("8 bars of funky ballad stuff in F")
    assert parsed.values == {"bars": 8, "key": "F", "style": "ballad"}
    assert parsed.understood == ("8 bars", "key F", "ballad style")
    assert parsed.not_understood == ("funky", "stuff")


@pytest.mark.parametrize(
    ("text", "left_out"),
    [
        ("16 bars balad in F", "'balad' (did you mean 'ballad'?)"),
        ("8 bars with a nice funky feel please", "'funky'"),
        ("a lofi tune in A minor", "'lofi'"),
        ("play something spooky", "'spooky'"),
    ],
)
def test_a_few_unknown_words_are_left_out_with_a_note(text: str, left_out: str) -> None:
    parsed = parse_request_text(text)
    build_request(parsed)  # music, not a refusal
    assert ignored_note(parsed) == f"I left out {left_out}; the rest is as you asked."


def test_a_request_that_used_every_word_has_no_note() -> None:
    assert ignored_note(parse_request_text("8 bars ballad in F at 70 bpm")) is None


def test_text_that_is_mostly_unknown_words_is_refused_with_what_was_understood() -> None:
    with pytest.raises(RequestError) as caught:
        build_request("balad stuff blah in F")
    message = str(caught.value)
    assert "'balad' (did you mean 'ballad'?), 'stuff', 'blah'" in message
    assert "I understood: key F" in message
    assert "Try for example" in message


@pytest.mark.parametrize(
    "junk",
    [
        "asdf qwerty",
        "@everyone",
        "@here <@123456789> hello",
        "'; DROP TABLE clips; --",
        "Robert'); DELETE FROM jobs WHERE 1=1; --",
        "🎉 yay woo",
        "```python\nimport os```",
        "\x00\x1b[31mred\u202e",
        "²³ ½",
    ],
)
def test_junk_text_is_a_friendly_error_that_never_pings(junk: str) -> None:
    with pytest.raises(RequestError) as caught:
        build_request(junk)
    message = str(caught.value)
    assert "I didn't understand" in message
    assert "@everyone" not in message and "@here" not in message and "<@123" not in message
    assert "```" not in message and "\x00" not in message and "\x1b" not in message
    assert len(message) < 600


def test_very_long_text_is_refused_before_parsing() -> None:
    with pytest.raises(RequestError, match="5000 characters long"):
        build_request("😀" * 5000)


def test_two_values_for_one_field_are_an_error() -> None:
    with pytest.raises(RequestError, match="'8 bars' and '16 bars'"):
        parse_request_text("8 bars, no wait, 16 bars")
    assert parse_request_text("16 bars ... 16 bars").values == {"bars": 16}


def test_a_broken_chart_names_the_bar() -> None:
    with pytest.raises(RequestError, match="Bar 2"):
        build_request("| Dm7 G7 | Xq7 |")


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("0 bars", {}, "Bars must be a whole number from 1 to 64, not 0"),
        ("65 bars", {}, "at most 64 bars, not 65"),
        ("40 bars", {"max_bars": 32}, "at most 32 bars, not 40"),
        ("16 bars at 500 bpm", {}, "Tempo must be a whole number from 40 to 320, not 500"),
        ("at 39 bpm", {}, "from 40 to 320, not 39"),
        ("temperature 0", {}, "Temperature must be from 0.05 to 3"),
        ("temperature 3.5", {}, "Temperature must be from 0.05 to 3"),
        ("seed -1", {}, f"Seed must be a whole number from 0 to {MAX_SEED}"),
        (f"seed {MAX_SEED + 1}", {}, f"from 0 to {MAX_SEED}"),
        (None, {"bars": 0}, "Bars must be a whole number from 1 to 64"),
        (None, {"tempo": 1000}, "from 40 to 320, not 1000"),
        (None, {"temperature": -1.0}, "Temperature must be from 0.05"),
        (None, {"seed": -5}, "Seed must be a whole number"),
        (None, {"key": "H"}, "'H' is not a key"),
        (None, {"style": "polka"}, "There is no style 'polka'; choose one of: "),
        (None, {"instrument": "kazoo"}, "There is no instrument 'kazoo'; choose one of: "),
        (None, {"progression": "zzzzqqq"}, "No progression or tune called 'zzzzqqq'"),
        (None, {"bars": "many"}, "Bars must be a whole number, not 'many'"),
        (None, {"temperature": "warm"}, "Temperature must be a number like 0.8"),
        (None, {"seed": "9" * 5000}, "Seed must be a whole number, not '999"),
    ],
)
def test_out_of_range_values(text: str | None, options: dict[str, Any], expected: str) -> None:
    with pytest.raises(RequestError) as caught:
        build_request(text, **options)
    assert expected in str(caught.value)


def test_range_errors_from_text_repeat_what_was_understood() -> None:
    with pytest.raises(RequestError) as caught:
        build_request("blues in Bb at 500 bpm")
    assert "I understood: 500 bpm, key Bb, progression blues" in str(caught.value)
    assert "Example: at 160 bpm" in str(caught.value)


def test_typed_options_win_over_text() -> None:
    request = build_request(
        "16 bars ballad in Bb at 70 bpm on vibes, seed 1, temperature 0.5, rhythm changes",
        bars=8,
        tempo=200,
        key="ebm",
        style="Bossa Nova",
        progression="Autumn Leaves",
        temperature=1.2,
        seed=99,
        instrument="trumpet",
    )
    assert request == JazzRequest(
        bars=8,
        tempo=200,
        key="Ebm",
        style="bossa",
        progression="autumn-leaves",
        temperature=1.2,
        seed=99,
        instrument="trumpet",
    )


def test_typed_options_fill_in_what_the_text_leaves_out() -> None:
    request = build_request("blues in F", bars="12", seed="7")
    assert (request.bars, request.key, request.progression, request.seed) == (12, "F", "blues", 7)


def test_defaults_and_canonical_names() -> None:
    assert build_request() == JazzRequest()
    assert JazzRequest().style in STYLES and JazzRequest().instrument in LEAD_INSTRUMENTS
    request = JazzRequest(key="bb", style="bossa nova", instrument="vibes", progression="Giant Steps")
    assert (request.key, request.style, request.instrument, request.progression) == (
        "Bb",
        "bossa",
        "vibraphone",
        "giant-steps",
    )


def test_every_style_and_instrument_name_is_understood_in_text() -> None:
    for style in STYLES:
        assert build_request(f"16 bars {style}").style == style
    for instrument in LEAD_INSTRUMENTS:
        assert build_request(f"on {instrument}").instrument == instrument


def test_every_progression_slug_and_title_is_understood_in_text() -> None:
    for slug, progression in library().items():
        for name in (slug, progression.title):
            found = parse_request_text(f"{name} changes").values
            assert found == {"progression": slug} or name[0].isdigit(), name


def test_replace_is_checked_too() -> None:
    with pytest.raises(RequestError):
        dataclasses.replace(JazzRequest(bars=60), bars=68)  # Extend beyond the limit


def test_compose_request_resolves_the_style_tempo() -> None:
    request = build_request("8 bars ballad in F, blues, seed 3, temperature 0.9")
    tenor = LEADS["tenor sax"].line_range
    assert request.compose_request() == ComposeRequest(
        8, DEFAULT_TEMPI["ballad"], "F", "blues", 0.9, 3, None, *tenor, lead="tenor sax"
    )
    assert build_request("at 100 bpm").compose_request().tempo == 100


def test_the_line_is_composed_inside_the_lead_instrument() -> None:
    for text, lead in (
        ("on flute", "flute"),
        ("on vibes", "vibraphone"),
        ("", "tenor sax"),
        ("on piano", "piano"),
    ):
        composed = build_request(text).compose_request()
        instrument = LEADS[lead]
        assert (composed.low, composed.high) == instrument.line_range
        assert composed.lead == lead  # centred where the instrument's real players sit
        assert instrument.low <= composed.low and composed.high <= instrument.high


def test_a_clip_stored_before_lead_ranges_keeps_the_composers_range_on_extend() -> None:
    """A row written before requests carried ``line_range`` was composed in 55..84: Extend and Vary of
    it compose there again, so the extension replays its bars; new rows say "lead"."""
    old_row = {
        k: v for k, v in build_request("8 bars on flute seed 9").to_dict().items() if k != "line_range"
    }
    old = JazzRequest.from_dict(old_row)
    assert old.line_range == "composer"
    composed = dataclasses.replace(old, bars=16).compose_request()
    assert (composed.low, composed.high) == (ComposeRequest(16).low, ComposeRequest(16).high) == (55, 84)
    assert composed.lead is None
    new = build_request("8 bars on flute seed 9")
    assert new.to_dict()["line_range"] == "players"
    assert (
        JazzRequest.from_dict(json.loads(json.dumps(new.to_dict()))).compose_request()
        == new.compose_request()
    )
    with pytest.raises(RequestError, match="line range"):
        JazzRequest.from_dict({**new.to_dict(), "line_range": "everywhere"})
    assert "line_range" not in parse_request_text("line_range=composer").values  # stored only, never typed


def test_a_clip_stored_in_session_9_is_extended_with_its_old_centre() -> None:
    """A row saying "lead" was composed in the lead's line range centred by the style's offset against
    the whole corpus: Extend of it composes so again (no ``lead`` for the composer), so the extension
    replays its bars; a new row ("players") hands the composer its lead, so the line is centred where
    the instrument's real players sit, and its Extend does the same."""
    new = build_request("8 bars like Coltrane seed 9")
    old = JazzRequest.from_dict({**new.to_dict(), "line_range": "lead"})
    for request, lead in ((old, None), (new, "tenor sax")):
        extended = dataclasses.replace(request, bars=16).compose_request()
        assert (extended.low, extended.high) == LEADS["tenor sax"].line_range
        assert extended.lead == lead
        assert dataclasses.replace(extended, bars=8) == request.compose_request()


def test_arrange_options() -> None:
    options = build_request("bossa on guitar seed 5").arrange_options()
    assert isinstance(options, ArrangeOptions)
    assert (options.style, options.lead, options.seed) == ("bossa", "jazz guitar", 5)


@pytest.mark.parametrize(
    "request_",
    [
        JazzRequest(),
        JazzRequest(8, 70, "F#m", "ballad", "| Dm7 G7 | Cmaj7 |", 0.5, MAX_SEED, "vibraphone"),
        JazzRequest(bars=64, progression="rhythm-changes", seed=0, temperature=3.0),
    ],
)
def test_to_dict_round_trips_through_json(request_: JazzRequest) -> None:
    stored = json.loads(json.dumps(request_.to_dict()))
    assert JazzRequest.from_dict(stored) == request_


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "bars=16",
        [16],
        {"bars": "16"},
        {"bars": True},
        {"bars": 16.0},
        {"tempo": "fast"},
        {"seed": 1.5},
        {"temperature": None},
        {"key": 5},
        {"bars": 16, "admin": True},
        {1: 2},
        {"bars": 1000},
        {"temperature": float("inf")},
        {"temperature": float("nan")},
        {"style": "polka"},
        {"progression": "| X |"},
    ],
)
def test_from_dict_rejects_junk(junk: object) -> None:
    with pytest.raises(RequestError):
        JazzRequest.from_dict(junk)


def test_text_request_shape() -> None:
    parsed = parse_request_text("16 bars in Bb")
    assert isinstance(parsed, TextRequest)
    assert parsed.understood == ("16 bars", "key Bb")


def test_every_alias_reaches_a_real_name() -> None:
    """Aliases whose target disappeared from model.arrange or the library would silently stop working."""
    from bot.core.requests import _INSTRUMENT_ALIASES, _PROGRESSION_ALIASES, _STYLE_ALIASES

    for alias, instrument in _INSTRUMENT_ALIASES.items():
        assert build_request(f"on {alias}").instrument == instrument
    for alias, style in _STYLE_ALIASES.items():
        assert build_request(alias).style == style
    for alias, slug in _PROGRESSION_ALIASES.items():
        assert build_request(alias).progression == slug


@pytest.mark.parametrize(
    ("text", "progression"),
    [
        ("blues in F# minor", "minor-blues"),
        ("jazz blues in Ebm", "minor-blues"),
        ("a 2-5-1 in C minor", "minor-ii-v-i"),
        ("blues in F#", "blues"),
        ("minor blues in F", "minor-blues"),
    ],
)
def test_a_minor_key_picks_the_minor_form_of_a_tune(text: str, progression: str) -> None:
    assert build_request(text).progression == progression


@pytest.mark.parametrize("text", ["a slow ballad in Eb", "bossa nova in D minor", "in C", "in A minor"])
def test_an_asked_key_is_played_in_its_own_mode(text: str) -> None:
    """Without a named tune, the tune the seed picks is in the asked mode ("in Eb" never comes out Ebm)."""
    for seed in range(20):
        request = build_request(text, seed=seed)
        composed = request.compose_request()
        assert composed.progression is not None
        assert resolve(composed.progression).key.minor == parse_key(str(request.key)).minor
        assert composed == build_request(text, seed=seed).compose_request()  # same seed, same tune


@pytest.mark.parametrize(
    ("text", "tags"), [("ballad", {"ballad"}), ("bossa", {"latin"}), ("16 bars", {"medium", "up-tempo"})]
)
def test_without_a_tune_one_fitting_the_style_is_picked_in_its_own_key(text: str, tags: set[str]) -> None:
    for seed in range(12):
        composed = build_request(text, seed=seed).compose_request()
        assert composed.key is None and composed.progression is not None
        assert tags & set(find_tune(composed.progression).styles)
        assert composed == build_request(text, seed=seed).compose_request()  # same seed, same tune


def test_summary_names_what_was_asked() -> None:
    assert build_request("blues in Bb").summary() == "16 bars of swing in Bb"
    assert build_request("1 bar ballad").summary() == "1 bar of ballad"


def test_one_bar_reads_as_one_bar() -> None:
    assert parse_request_text("1 bar").understood == ("1 bar",)


@pytest.mark.parametrize("text", ["1" * 1999, "seed " + "9" * 1990, "at " + "9" * 1990])
def test_a_huge_number_is_refused_in_a_short_message(text: str) -> None:
    """The refusal must fit a Discord message (2,000 characters) with room to spare."""
    with pytest.raises(RequestError) as caught:
        build_request(text)
    assert len(str(caught.value)) < 300 and "…" in str(caught.value)


def test_junk_gets_examples_without_an_empty_list_of_what_was_understood() -> None:
    with pytest.raises(RequestError) as caught:
        build_request("purple monkey dishwasher")
    assert str(caught.value) == (
        "I didn't understand 'purple', 'monkey', 'dishwasher'. Try for example: 8 bars ballad in F at 70 bpm "
        "— or blues in Bb on vibes, seed 42."
    )


@pytest.mark.parametrize(
    ("text", "bars", "tempo"),
    [
        ("tempo 60 bars 48", 48, 60),  # a keyword-first chain: each number follows its keyword
        ("bars 8 seed 5 tempo 90", 8, 90),
        ("16 bars 120 bpm", 16, 120),  # number-first: each number comes before its keyword
        ("sixteen bars tempo 120", 16, 120),
        ("8 bars ballad in F at 70 bpm", 8, 70),
    ],
)
def test_a_number_belongs_to_the_keyword_it_was_written_with(text: str, bars: int, tempo: int) -> None:
    request = build_request(text)
    assert (request.bars, request.tempo) == (bars, tempo)


def test_unknown_words_are_listed_once_each() -> None:
    note = ignored_note(parse_request_text("16 bars blues foo Foo foo zap in Bb"))
    assert note is not None and note.count("'foo'") + note.count("'Foo'") == 1 and "'zap'" in note


TINY = "0." + "0" * 319 + "1"  # 1e-320: below the smallest normal float, once crashed the composer


@pytest.mark.parametrize(
    ("text", "options"),
    [
        (f"temperature {TINY}", {}),
        ("temperature 1e-320", {}),
        ("temperature=1e-320", {}),
        (None, {"temperature": "1e-320"}),  # console name=value
        (None, {"temperature": 1e-320}),  # a typed option that slipped past Discord's minimum
        (None, {"temperature": 0.04}),
    ],
)
def test_odd_temperatures_are_refused_the_same_whatever_the_path(
    text: str | None, options: dict[str, Any]
) -> None:
    with pytest.raises(RequestError, match=r"Temperature must be from 0\.05 to 3"):
        build_request(text, **options)


def test_seeds_have_one_limit_whatever_the_path() -> None:
    assert MAX_SEED == 2**53 - 1  # what Discord's integer options allow
    for accepted in (
        build_request(f"seed {MAX_SEED}"),
        build_request(seed=str(MAX_SEED)),
        build_request(seed=MAX_SEED),
    ):
        assert accepted.seed == MAX_SEED
    for text, options in (
        (f"seed {MAX_SEED + 1}", {}),
        (None, {"seed": str(MAX_SEED + 1)}),
        (None, {"seed": 2**63 - 1}),
    ):
        with pytest.raises(RequestError, match=f"from 0 to {MAX_SEED}"):
            build_request(text, **options)


def test_a_broken_chart_is_echoed_short_and_without_control_characters() -> None:
    chart = "| Dm7 \x00\x1b[31mG7 " + "Xq7 " * 450 + "|"
    assert len(chart) < MAX_TEXT_CHARS
    with pytest.raises(RequestError) as refused:
        build_request(chart)
    message = str(refused.value)
    assert len(message) < 600 and "\x00" not in message and "\x1b" not in message
    assert message.startswith("Bar 1") and "has 452 chords" in message  # the reason survives the cut


def test_an_idea_to_continue_is_stored_as_canonical_note_text_and_reaches_the_composer() -> None:
    request = build_request("blues in C", bars=8, seed=3, primer="C D Eb G | Bb A G")
    assert request.primer == "C4:1/2 D4:1/2 Eb4:1/2 G4:1/2 | Bb4:1/2 A4:1/2 G4:1/2"
    assert request.compose_request().primer == parse_primer("C D Eb G | Bb A G")
    assert request.summary().endswith("from your idea")
    stored = JazzRequest.from_dict(json.loads(json.dumps(request.to_dict())))
    assert stored == request
    assert dataclasses.replace(request, bars=16).primer == request.primer  # Extend keeps it
    old_row = {k: v for k, v in request.to_dict().items() if k != "primer"}
    assert JazzRequest.from_dict(old_row).primer is None
    assert JazzRequest.from_dict(old_row).compose_request().primer is None
    with pytest.raises(PrimerError, match=r"'H'.*for example"):
        build_request(primer="C D H")
    with pytest.raises(RequestError, match="ask for at least 3 bars"):
        build_request(bars=2, primer="C:4 D:4 E")
    with pytest.raises(RequestError, match="'primer'"):
        JazzRequest.from_dict({"primer": 5})
