"""Free text naming a soloist or era ("like Parker", "bebop") and tune titles beyond the phrase table
("32 bars of solar in C", quoted titles), the ``like`` field's storage, and the ``like`` helpers."""

from __future__ import annotations

import json

import pytest

from bot.core.requests import JazzRequest, RequestError, build_request, ignored_note, parse_request_text
from bot.services.catalog import ERA_CHOICES, like_caption, like_suggestions
from model.compose import Composer
from model.progressions import chorus_bars
from model.tunes import resolve

LIKE_PHRASINGS: list[tuple[str, dict[str, object]]] = [
    ("16 bars like Parker", {"bars": 16, "like": "Charlie Parker"}),
    ("like Charlie Parker", {"like": "Charlie Parker"}),
    ("in the style of Chet Baker in F", {"key": "F", "like": "Chet Baker"}),
    ("like Bird at 220 bpm", {"tempo": 220, "like": "Charlie Parker"}),
    ("like trane", {"like": "John Coltrane"}),
    ("like Coltrane on piano", {"instrument": "piano", "like": "John Coltrane"}),
    ('like "Miles Davis"', {"like": "Miles Davis"}),
    ("like J.C. Higginbotham", {"like": "J.C. Higginbotham"}),
    ("like JJ Johnson", {"like": "J.J. Johnson"}),
    ("like jj johnson", {"like": "J.J. Johnson"}),
    ("bebop", {"like": "bebop"}),
    ("a bebop blues in F", {"key": "F", "progression": "blues", "like": "bebop"}),
    ("hard bop ballad", {"style": "ballad", "like": "hard bop"}),
    ("like post-bop", {"like": "post-bop"}),
    ("like cool jazz", {"like": "cool"}),
    ("like the swing era", {"like": "swing"}),
    ("like Zappa", {"like": "Zappa"}),  # unknown: the composer names the closest (service test)
]


@pytest.mark.parametrize(("text", "expected"), LIKE_PHRASINGS)
def test_a_soloist_or_era_is_read_from_the_text(text: str, expected: dict[str, object]) -> None:
    parsed = parse_request_text(text)
    assert parsed.values == expected
    assert parsed.not_understood == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I would like a ballad", {"style": "ballad"}),  # "like" as a verb stays a filler word
        ("I'd like some swing in Bb", {"key": "Bb", "style": "swing"}),
        ("I'd like Bb blues", {"key": "Bb", "progression": "blues"}),
        ("swing", {"style": "swing"}),
        ("cool", {"temperature": 0.7}),
    ],
)
def test_like_as_a_verb_and_the_old_style_words_are_unchanged(text: str, expected: dict[str, object]) -> None:
    assert parse_request_text(text).values == expected


def test_like_is_understood_and_reaches_the_composer_request() -> None:
    parsed = parse_request_text("8 bars like Parker")
    assert parsed.understood == ("8 bars", "like Charlie Parker")
    request = build_request(parsed, seed=3)
    assert request.like == "Charlie Parker" and request.compose_request().like == "Charlie Parker"
    assert request.summary() == "8 bars of swing like Charlie Parker"
    assert build_request("like Parker", like="hard bop").like == "hard bop"  # the typed option wins


def test_like_is_stored_and_old_rows_without_it_still_load() -> None:
    request = JazzRequest(bars=8, seed=5, like="Chet Baker")
    assert JazzRequest.from_dict(json.loads(json.dumps(request.to_dict()))) == request
    old_row = {"bars": 8, "tempo": None, "key": None, "style": "swing", "progression": None}
    assert JazzRequest.from_dict(old_row).like is None
    with pytest.raises(RequestError, match="has a int for 'like'"):
        JazzRequest.from_dict({"like": 3})
    with pytest.raises(RequestError, match="'like' takes a soloist or an era"):
        JazzRequest(like=" ")


def test_a_soloist_is_heard_on_his_own_instrument_unless_another_is_asked_for() -> None:
    assert build_request("16 bars like Miles Davis").instrument == "trumpet"
    assert build_request("like Bird").instrument == "alto sax"
    assert build_request("like Liebman").instrument == "soprano sax"
    assert build_request("like J.C. Higginbotham").instrument == "trombone"
    assert build_request("like JJ Johnson").instrument == "trombone"  # matched by its words
    assert build_request("like Dizzy").instrument == "trumpet"
    assert build_request("16 bars", like="Chet Baker").instrument == "trumpet"  # the typed option
    assert build_request("like Coltrane on piano").instrument == "piano"  # another lead, named
    assert build_request("like Parker", instrument="flute").instrument == "flute"
    assert build_request("like Parker on soprano").instrument == "soprano sax"
    for text in ("a bebop blues", "like Gerry Mulligan", "like Zappa", "16 bars"):  # era, baritone, unknown
        assert build_request(text).instrument == "tenor sax"
    stored = build_request("like Miles Davis", seed=4)
    assert JazzRequest.from_dict(json.loads(json.dumps(stored.to_dict()))) == stored


TITLE_PHRASINGS: list[tuple[str, dict[str, object]]] = [
    ("32 bars of solar in C", {"bars": 32, "key": "C", "progression": "solar"}),
    ("play solar", {"progression": "solar"}),
    ("a tune misty on piano", {"progression": "misty", "instrument": "piano"}),
    ('"Stella by Starlight" in F', {"key": "F", "progression": "stella-by-starlight"}),
    ("“stela by starlight”", {"progression": "stella-by-starlight"}),  # quoted: typos forgiven
    ("'Solar' at 200 bpm", {"tempo": 200, "progression": "solar"}),
    ("stella by starlight in F", {"key": "F", "progression": "stella-by-starlight"}),
    ("I Remember You on trumpet please", {"progression": "i-remember-you", "instrument": "trumpet"}),
    (
        "16 bars of Stella By Starlight like Chet Baker",
        {"bars": 16, "progression": "stella-by-starlight", "like": "Chet Baker"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), TITLE_PHRASINGS)
def test_a_tune_title_is_read_from_the_text(text: str, expected: dict[str, object]) -> None:
    parsed = parse_request_text(text)
    assert parsed.values == expected
    assert parsed.not_understood == ()


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("solar", ("solar",)),  # a one-word title needs quotes or "of", "play", "tune"
        ("misty blues", ("misty",)),
        ("8 bars of funky stuff", ("funky", "stuff")),  # "Funky" is a title, but not "funky stuff"
        ("play something spooky", ("spooky",)),
    ],
)
def test_ordinary_words_are_never_taken_for_a_title(text: str, unknown: tuple[str, ...]) -> None:
    parsed = parse_request_text(text)
    assert parsed.not_understood == unknown
    assert parsed.values.get("progression") in (None, "blues")


def test_a_named_tune_keeps_its_own_key_and_choruses_count_its_form() -> None:
    request = build_request("2 choruses of solar")
    assert request.bars == 2 * chorus_bars(resolve("solar").progression)
    assert request.key is None and request.compose_request().key is None  # Solar's own key
    assert ignored_note(parse_request_text("32 bars of solar in C")) is None


def test_like_suggestions_match_prefixes_then_substrings_within_the_limit() -> None:
    soloists = Composer.load().soloists
    assert like_suggestions(soloists, "park") == ["Charlie Parker"]
    assert like_suggestions(soloists, "Chet")[0] == "Chet Baker"
    assert like_suggestions(soloists, "bop")[:1] == ["hard bop"] and "bebop" in like_suggestions(
        soloists, "bop"
    )
    assert like_suggestions(soloists, "")[: len(ERA_CHOICES)] == list(ERA_CHOICES)
    assert all(len(like_suggestions(soloists, typed)) <= 25 for typed in ("", "a", "e", "n"))
    assert like_suggestions(soloists, "zzz") == []


def test_like_captions() -> None:
    assert like_caption("") is None
    assert like_caption("Charlie Parker") == "in the style of Charlie Parker"
    assert like_caption("hard bop") == "like hard bop"
    swing = "swing (Ben Webster has too little material: 1,375 notes)"
    assert like_caption(swing) == f"like {swing}"
