"""What a user asks ``/jazz`` for: typed options plus free chat text, checked and resolved.

:func:`parse_request_text` reads phrasing such as "8 bars ballad in F at 70 bpm", "blues in Bb",
"rhythm changes at 200bpm on vibes", "16 bars like Parker", "32 bars of solar in C", "a jazz waltz",
"autumn leaves in 3/4" or an inline chart ``| Dm7 G7 | Cmaj7 |`` into values, and
reports which phrases it understood and which words it did not. :func:`build_request` merges those
with typed options (typed options win), range-checks everything and returns a :class:`JazzRequest`.
A request that mostly made sense is played with the odd unknown word left out, and
:func:`ignored_note` tells the user which words were left out (with a "did you mean" where one is
close), so a typo is never silently ignored; text that is mostly unknown words is refused. Every
problem is a :class:`RequestError` that says what was understood, what is wrong and gives an
example that works.

Styles, lead instruments and each style's default tempo come from :mod:`model.arrange`.

Meter: a tune plays in its own meter (a waltz chart in 3/4), "waltz" or "in 3/4" asks for 3/4 (a 4/4
tune asked as a waltz is played in 3, each bar one 3/4 bar), "in 4/4" plays a waltz in 4, and any
other meter ("in 5/4", "6/8", "in 7") is refused with the meters that work (:mod:`model.meter`).
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from bot.core.limits import MAX_INTEGER, MIN_TEMPERATURE
from bot.core.text import literal, shorten, visible
from model.arrange import DEFAULT_TEMPI, LEAD_INSTRUMENTS, LEADS, STYLES, ArrangeOptions
from model.compose import (
    DEFAULT_HIGH,
    DEFAULT_LOW,
    ERA_LABELS,
    ERA_NAMES,
    MAX_BARS,
    MAX_TEMPERATURE,
    MAX_TEMPO,
    MIN_BARS,
    MIN_TEMPO,
    NICKNAMES,
    ComposeRequest,
)
from model.errors import InputError
from model.meter import parse_meter
from model.piece import Note
from model.primer import parse_primer, primer_bars, primer_text
from model.progressions import chorus_bars, library, parse_chart
from model.soloists import SOLOISTS, instrument_of
from model.theory import parse_key
from model.tunes import pick_tune, resolve, tunes
from model.tunes.match import normalise as normal_title

SONG_FORM_BARS = 32  # a chorus of a standard (AABA) when no tune is named
log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
MAX_SEED = MAX_INTEGER  # the same limit for a typed option, free text and the console
MAX_ECHO = 300  # characters of a message from elsewhere (the chart reader's) quoting what was typed
EXAMPLES = (
    "16 bars",
    "8 bars ballad in F at 70 bpm",
    "blues in Bb on vibes",
    "rhythm changes at 220 bpm seed 42",
    "| Dm7 G7 | Cmaj7 | at 140 bpm",
)
FIELDS = (
    "bars",
    "tempo",
    "key",
    "style",
    "progression",
    "temperature",
    "seed",
    "instrument",
    "like",
    "primer",
    "meter",
)
LINE_RANGES = ("players", "lead", "composer")
"""Where a line is composed: ``"players"``, the lead instrument's line range, centred where its real
players sit (``ComposeRequest.lead``, :mod:`model.lead_centres`: every request since session 10);
``"lead"``, the same range centred by the style's offset against the whole corpus (clips stored in
session 9); ``"composer"``, the composer's own 55..84, which clips stored before then were made in.
A stored request without the field reads as ``"composer"``, so Extend and Vary of an older clip
compose as it was composed and the extension replays its bars. Stored only, never typed."""
MAX_LIKE_CHARS = 60  # "in the style of ...": a soloist's name or an era

# Words that carry no request on their own ("play me some jazz in a swing feel, please").
FILLER = frozenset(
    """
    a an the in of on at with and for to by over from as into this that it its some any my our your
    please pls plz thanks thank thx can could would will you u me us i we want like need gimme give
    play make write compose generate improvise improv create do let lets let's hear try just little
    bit nice new another one jazz jazzy music song tune piece track clip solo number something thing
    style feel groove vibe version lead leading playing played changes progression chords form key
    tempo bpm bars bar measures length temperature seed instrument use using kind sort hey hi yo bot
    jazzbot /jazz groovy tunes beat beats take get got but really meter metre time signature
    """.split()  # noqa: SIM905 (a word list reads better as text)
)

_TEMPO_WORDS = {
    "slow": 72,
    "slowly": 72,
    "medium": 140,
    "mid tempo": 140,
    "midtempo": 140,
    "fast": 220,
    "quick": 220,
    "medium slow": 100,
    "relaxed": 100,
    "laid back": 100,
    "chill": 100,
    "mellow": 100,
    "up tempo": 220,
    "uptempo": 220,
    "upbeat": 220,
    "burning": 280,
    "very fast": 280,
}
_TEMPERATURE_WORDS = {
    "hot": 1.4,
    "wild": 1.4,
    "adventurous": 1.4,
    "crazy": 1.4,
    "experimental": 1.4,
    "cool": 0.7,
    "calm": 0.7,
    "tame": 0.7,
    "safe": 0.7,
    "conservative": 0.7,
}
# alias -> canonical name; used only when the canonical name exists in model.arrange / the library.
_STYLE_ALIASES = {
    "swinging": "swing",
    "swingin": "swing",
    "medium swing": "swing",
    "bebop": "swing",
    "bop": "swing",
    "straight ahead": "swing",
    "ballads": "ballad",
    "bossa nova": "bossa",
    "bossanova": "bossa",
    "latin": "bossa",
    "jazz waltz": "waltz",
    "waltzes": "waltz",
    "waltz time": "waltz",
}
_INSTRUMENT_ALIASES = {
    "sax": "tenor sax",
    "saxophone": "tenor sax",
    "tenor": "tenor sax",
    "tenor saxophone": "tenor sax",
    "alto": "alto sax",
    "alto saxophone": "alto sax",
    "soprano": "soprano sax",
    "soprano saxophone": "soprano sax",
    "bone": "trombone",
    "trombones": "trombone",
    "cornet": "trumpet",
    "flugelhorn": "trumpet",
    "guitar": "jazz guitar",
    "electric guitar": "jazz guitar",
    "vibes": "vibraphone",
    "vibraharp": "vibraphone",
    "keys": "piano",
    "keyboard": "piano",
    "trumpets": "trumpet",
    "horn": "trumpet",
}
_PROGRESSION_ALIASES = {  # a library slug or a tune's slug (model.tunes)
    "autumn leaves": "autumn-leaves",
    "countdown": "countdown",
    "trane changes": "coltrane-changes",
    "251": "ii-v-i",
    "2 5 1": "ii-v-i",
    "two five one": "ii-v-i",
    "ii v": "ii-v-i",
    "ii v i": "ii-v-i",
    "minor 251": "minor-ii-v-i",
    "minor 2 5 1": "minor-ii-v-i",
    "minor ii v i": "minor-ii-v-i",
    "so what": "so-what",
    "rhythm": "rhythm-changes",
}
# Eras named without "like" ("a bebop blues"); "swing" and "cool" stay the style and the temperature.
_BARE_ERAS = {
    era: ERA_LABELS.get(ERA_NAMES[era], ERA_NAMES[era])
    for era in ("bebop", "bop", "hard bop", "hardbop", "post bop", "postbop", "cool jazz", "dixieland")
}
_PROGRESSION_SUFFIXES = ("changes", "progression", "chords")
# A major-mode progression and its minor twin: "blues in F# minor" means the minor blues.
_MINOR_TWINS = {"blues": "minor-blues", "jazz-blues": "minor-blues", "ii-v-i": "minor-ii-v-i"}
# Emoji that name a lead instrument ("/jazz 🎷 blues"); other symbols are decoration and skipped.
_INSTRUMENT_EMOJI = {"🎷": "tenor sax", "🎺": "trumpet", "🎹": "piano", "🎸": "jazz guitar"}

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve "  # noqa: SIM905
        "thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60}
_NUMBER = (
    r"\d+|(?:"
    + "|".join(_TENS)
    + r")(?:[\s-]?(?:one|two|three|four|five|six|seven|eight|nine))?|"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
)
_NAMED_NUMBERS = {
    "bar": "bars",
    "bars": "bars",
    "length": "bars",
    "tempo": "tempo",
    "bpm": "tempo",
    "seed": "seed",
    "temperature": "temperature",
    "temp": "temperature",
}
_KEYWORD = r"bars?|measures?|length|tempo|bpm|seed"
_KEYWORD_FIELD = {"bar": "bars", "measure": "bars", "measures": "bars"}
_KEYWORD_PAIR = re.compile(rf"\b({_KEYWORD})\s*(?:of\s*)?(\d+)\b", re.IGNORECASE)
_KEYWORD_FIRST_CHAIN = re.compile(
    rf"\b(?:{_KEYWORD})\s*(?:of\s*)?\d+(?:\s+(?:{_KEYWORD})\s*(?:of\s*)?\d+)+\b", re.IGNORECASE
)
_ENDS_WITH_NUMBER = re.compile(rf"(?:\b(?:{_NUMBER})|\d)\s*-?\s*\Z", re.IGNORECASE)
_DECIMAL = r"-?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:e[-+]?\d+)?"
_ACCIDENTAL = r"#|♯|♭|b|-?sharp|-?flat"
_MINOR_MODES = ("m", "min", "minor", "dorian", "aeolian")
_MODE = r"minor|major|min|maj|dorian|aeolian|m"
_KEY_AFTER_WORD = re.compile(
    r"\b(?:in\s+the\s+key\s+of|in\s+key\s+of|in\s+key|key\s+of|in|key)\s+"
    rf"(?P<letter>[a-g])(?:\s*(?P<acc>{_ACCIDENTAL}))?(?:\s*(?P<mode>{_MODE})|(?P<dash>-))?(?![\w#♯♭])",
    re.IGNORECASE,
)
_KEY_WITH_MODE_WORD = re.compile(
    rf"\b(?P<letter>[a-g])(?:\s*(?P<acc>{_ACCIDENTAL}))?\s*(?P<mode>minor|major|dorian|aeolian)(?![\w#♯♭])",
    re.IGNORECASE,
)
# Standalone "Bb", "F#m", "Ebm", "C", "Dm": an upper-case letter (not "A", the article) or any letter
# with an accidental sign.
_KEY_ALONE = re.compile(
    r"(?<![\w#♯♭])(?:(?P<letter>[B-G])(?P<acc>[#♯♭b])?|(?P<letter2>A)(?P<acc2>[#♯♭b])|"
    r"(?P<letter3>[a-g])(?P<acc3>[#♯♭]))(?P<mode>m|min|maj)?(?![\w#♯♭])"
)
_FOLLOWS_BARE_A = re.compile(r"\s*(?:$|[,.;!?)]|\d|(?:at|with|on|for|and|please)\b)", re.IGNORECASE)
_LONG_QUOTE = re.compile(r"'([^']{41,})'")  # a long bar quoted in the chart reader's message
_CHART = re.compile(r"\|.*\|", re.DOTALL)
# "3/4", "in 6/8", "5/4 time", "in 7" (a lone number after "in" is a meter: keys are letters)
_METER = re.compile(
    r"(?:\bin\s+)?(?<![\d/|])\d{1,2}\s*/\s*\d{1,2}(?![\d/])(?:\s+time\b)?"
    r"|\bin\s+\d{1,2}\b(?!\s*(?:bars?|measures?|bpm|choruses?|[.,]\d))",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"\s*[=:]\s*")
_PHRASE_SEPARATOR = r"[\s\-_/,.]+"
_SPACES = re.compile(r"\s+")
_STRIP = ".,!?;:\"'`()[]{}<>…*~"
_LIKE_WORDS = r"like|in\s+the\s+style\s+of|in\s+the\s+manner\s+of|style\s+of|à\s+la|a\s+la"
# An unknown name after "like" is taken when capitalised ("like Zappa", not "like some"), so the
# composer can answer with the closest soloists it knows.
_LIKE_UNKNOWN = re.compile(rf"\b(?:[Ll]ike|(?i:{_LIKE_WORDS}))\s+([A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)?)")
_QUOTED = re.compile(
    r"(?<!\w)(?:\"([^\"|\n]{1,80})\"|“([^”|\n]{1,80})”|'([^'|\n]{1,80})'(?!\w)|‘([^’|\n]{1,80})’)"
)
_TITLE_TRIGGERS = frozenset({"of", "play", "tune"})  # a one-word title may follow these
_TITLE_FILLER_EDGE = 3  # filler words a title may start or end with beyond the unknown words
STYLED_TITLE_CUTOFF = 0.85  # how close typed words must be to a title with a style word in it


class RequestError(InputError):
    """A ``/jazz`` request that cannot be played; the message says what was understood and what is wrong."""


@dataclass(frozen=True)
class JazzRequest:
    """A validated request, fully resolved except the seed (None: the composer draws one).

    Construction checks every field and canonicalises names (key "bb" -> "Bb", style "bossa nova"
    -> "bossa", instrument "vibes" -> "vibraphone", progression "Autumn Leaves" -> "autumn-leaves", and
    "blues" in a minor key -> "minor-blues"), so a ``dataclasses.replace`` (Extend's ``bars + 8``)
    is checked too.
    """

    bars: int = 16
    tempo: int | None = None  # None -> model.arrange.DEFAULT_TEMPI[style]
    key: str | None = None  # canonical Key.name ("Bb", "F#m", ...); None -> C in the progression's mode
    style: str = "swing"
    progression: str | None = None  # library slug or chart text; None -> the composer picks by seed
    temperature: float = 1.0
    seed: int | None = None
    instrument: str = "tenor sax"  # a key of model.arrange.LEAD_INSTRUMENTS
    like: str | None = None  # a soloist or an era, as typed; the composer checks it (Composer.style)
    primer: str | None = None  # "Continue my idea": notes as model.primer.primer_text writes them
    meter: int | str | None = None  # beats per bar (4, 3; "3/4" is read); None: the tune's own meter
    line_range: str = "players"  # one of LINE_RANGES

    def __post_init__(self) -> None:
        _check_whole("bars", self.bars, MIN_BARS, MAX_BARS, "16 bars")
        if self.line_range not in LINE_RANGES:
            raise RequestError(
                f"A line range must be one of {', '.join(LINE_RANGES)}, not {self.line_range!r}."
            )
        if self.tempo is not None:
            _check_whole("tempo", self.tempo, MIN_TEMPO, MAX_TEMPO, "at 160 bpm")
        temperature = self.temperature
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, int | float)
            or not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE
        ):
            raise RequestError(
                f"Temperature must be from {MIN_TEMPERATURE:g} to {MAX_TEMPERATURE:g} (1.0 is the model's "
                "own taste, lower is tamer, higher is wilder), "
                f"not {_shown(temperature)}. Example: temperature 0.8"
            )
        if self.seed is not None:
            _check_whole("seed", self.seed, 0, MAX_SEED, "seed 42")
        key = None if self.key is None else _resolve_key(self.key)
        progression = None if self.progression is None else _resolve_progression(self.progression)
        if key is not None and key.endswith("m") and progression in _MINOR_TWINS:
            progression = _MINOR_TWINS[progression]
        resolved = {
            "like": _resolve_like(self.like),
            "temperature": float(temperature),
            "key": key,
            "style": _resolve_style(self.style),
            "instrument": _resolve_instrument(self.instrument),
            "progression": progression,
        }
        resolved["style"], resolved["meter"] = _style_and_meter(
            str(resolved["style"]), _resolve_meter(self.meter), progression
        )
        played = _played_meter(resolved["meter"], progression)
        resolved["primer"] = _resolve_primer(self.primer, self.bars, played)
        for name, value in resolved.items():
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, object]:
        """JSON-able values (SQLite rows, button state); :meth:`from_dict` reads them back."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> JazzRequest:
        """The request :meth:`to_dict` wrote; anything else (unknown fields, wrong types, out of range
        values) is a :class:`RequestError`. Missing fields take their defaults."""
        if not isinstance(data, Mapping) or not all(isinstance(name, str) for name in data):
            raise RequestError("A stored request must be a mapping of field names to values.")
        unknown = sorted(set(data) - set(FIELDS) - {"line_range"})
        if unknown:
            raise RequestError(f"A stored request has unknown fields: {', '.join(map(_quote, unknown))}.")
        types: dict[str, tuple[type, ...]] = {
            "bars": (int,),
            "tempo": (int, type(None)),
            "key": (str, type(None)),
            "style": (str,),
            "progression": (str, type(None)),
            "temperature": (int, float),
            "seed": (int, type(None)),
            "instrument": (str,),
            "like": (str, type(None)),
            "primer": (str, type(None)),
            "meter": (int, type(None)),
            "line_range": (str,),
        }
        for name, value in data.items():
            if isinstance(value, bool) or not isinstance(value, types[name]):
                raise RequestError(f"A stored request has a {type(value).__name__} for '{name}'.")
        return cls(**{"line_range": "composer", **data})

    def compose_request(self) -> ComposeRequest:
        """The composer's arguments; the tempo defaults to the style's usual tempo, the key to the
        tune's own (None), and the line is composed in the lead instrument's part of its range
        (:attr:`model.arrange.Instrument.line_range`), so the band plays it as composed, centred where
        the instrument's real players sit (the composer's ``lead``); a clip stored before either is
        composed as it was (:data:`LINE_RANGES`).

        Without a progression (and with the seed known, so the same seed still gives the same clip)
        a tune fitting the style is picked here by the seed (:func:`model.tunes.pick_tune`: a ballad
        picks a ballad-friendly tune, bossa a Latin one), among those in the asked mode when a key
        was asked for, so "a ballad in Eb" never comes out in Eb minor.
        """
        tempo = self.tempo if self.tempo is not None else DEFAULT_TEMPI[self.style]
        progression = self.progression
        if progression is None and self.seed is not None:
            minor = None if self.key is None else parse_key(self.key).minor
            progression = pick_tune(self.style, random.Random(self.seed), minor).slug
        lead = self.arrange_options().lead
        if self.line_range == "composer":
            low, high = DEFAULT_LOW, DEFAULT_HIGH
        else:
            low, high = LEADS[lead].line_range
        return ComposeRequest(
            self.bars,
            tempo,
            self.key,
            progression,
            self.temperature,
            self.seed,
            self.like,
            low=low,
            high=high,
            primer=self.primer_notes(),
            meter=self.meter if isinstance(self.meter, int) else None,
            lead=lead if self.line_range == "players" else None,
        )

    @property
    def beats_per_bar(self) -> int:
        """The meter the piece is played in: the asked one, else the tune's own (4 for a typed chart and
        for a tune picked by the seed, which is a waltz tune only when the style is the waltz, in 3)."""
        return _played_meter(self.meter, self.progression)

    def primer_notes(self) -> tuple[Note, ...] | None:
        """The member's idea as notes, its bar lines read in the piece's meter (None without one)."""
        return None if self.primer is None else parse_primer(self.primer, self.beats_per_bar)

    def summary(self) -> str:
        """A short description for lists and titles: "16 bars of swing in Bb like Charlie Parker"."""
        where = f" in {self.key}" if self.key is not None else ""
        like = f" like {self.like}" if self.like is not None else ""
        idea = " from your idea" if self.primer is not None else ""
        meter = f" in {self.meter}/4" if self.meter == 3 else ""
        return f"{self.bars} bar{'s' * (self.bars != 1)} of {self.style}{meter}{where}{like}{idea}"

    def arrange_options(self) -> ArrangeOptions:
        """The band's options. The seed is this request's (None: the caller may pass the piece's seed)."""
        return ArrangeOptions(style=self.style, lead=self.instrument, seed=self.seed)


@dataclass(frozen=True)
class TextRequest:
    """What :func:`parse_request_text` read: ``values`` by field name (see :data:`FIELDS`), the
    phrases it understood ("8 bars", "key F"), the words it did not, and how many words there were
    (symbols such as "♫" are not words)."""

    values: dict[str, object]
    understood: tuple[str, ...]
    not_understood: tuple[str, ...]
    words: int = 0

    @property
    def mostly_unknown(self) -> bool:
        """Whether most words are unknown: junk, or a request too garbled to guess at."""
        return 2 * len(self.not_understood) > self.words


def parse_request_text(text: str) -> TextRequest:
    """Read chat phrasing into request values (not range-checked: :func:`build_request` does that).

    Raises :class:`RequestError` only for text that cannot be read at all: too long, a broken chart,
    or two different values for one field ("8 bars ... 16 bars").
    """
    if len(text) > MAX_TEXT_CHARS:
        raise RequestError(
            f"That request is {len(text)} characters long; please keep it under {MAX_TEXT_CHARS}. "
            f"Example: {EXAMPLES[1]}"
        )
    reader = _Reader(text)
    reader.take("|".join(_INSTRUMENT_EMOJI), lambda m: ("instrument", _INSTRUMENT_EMOJI[m.group(0)]))
    reader.take(_METER, lambda m: ("meter", " ".join(m.group(0).split())))
    reader.take(_CHART, lambda m: ("progression", _chart(m.group(0))))
    reader.take(_like_pattern(), lambda m: ("like", _like_names()[_normal(m.group("name"))]))
    reader.take(_QUOTED, _quoted_title)
    reader.take(rf"\b({'|'.join(_NAMED_NUMBERS)})\s*[=:]\s*({_DECIMAL})(?![\d.])", _named_number)
    reader.rest = _SEPARATOR.sub(" ", reader.rest)  # "key=Bb", "style: ballad" read like "key Bb"
    reader.take_pairs(_KEYWORD_FIRST_CHAIN, _keyword_first_pairs)
    reader.take(r"\bseed\s*(?:#|no\.?|number)?\s*(-?\d+)\b", lambda m: ("seed", int(m.group(1))))
    reader.take(
        rf"\b(?:temperature|temp)\s*(?:of\s*)?({_DECIMAL})(?![\d.])",
        lambda m: ("temperature", float(m.group(1).replace(",", "."))),
    )
    reader.take(rf"\b(a|{_NUMBER})\s+choruse?s?\b", lambda m: ("choruses", _number(m.group(1))))
    reader.take(rf"\b({_NUMBER})\s*-?\s*(?:bars?|measures?)\b", lambda m: ("bars", _number(m.group(1))))
    reader.take(r"\b(?:bars?|measures?|length)\s*(?:of\s*)?(\d+)\b", lambda m: ("bars", int(m.group(1))))
    reader.take(r"\b(\d+)\s*(?:bpm|beats\s+(?:per|a)\s+minute)\b", lambda m: ("tempo", int(m.group(1))))
    reader.take(r"\b(?:tempo|bpm)\s*(?:of\s*)?(\d+)\b", lambda m: ("tempo", int(m.group(1))))
    reader.take(r"(?:\bat\s+|@\s*)(\d+)\b", lambda m: ("tempo", int(m.group(1))))
    _take_styled_title(reader)
    phrases = _phrases()
    reader.take(phrases.pattern, lambda m: phrases.values[_normal(m.group(0))])
    reader.take(_KEY_AFTER_WORD, _key_after_word)
    reader.take(_KEY_WITH_MODE_WORD, _key_match)
    reader.take(_KEY_ALONE, _key_match, flags=0)
    _take_title(reader)
    reader.take(_LIKE_UNKNOWN, _unknown_like)
    return reader.result()


def prepare_parser() -> None:
    """Build the phrase, soloist and title tables now instead of on the event loop at the first request
    (they take a while)."""
    _phrases()
    _like_pattern()
    _titles()


def build_request(
    text: str | TextRequest | None = None,
    *,
    max_bars: int = MAX_BARS,
    bars: int | str | None = None,
    tempo: int | str | None = None,
    key: str | None = None,
    style: str | None = None,
    progression: str | None = None,
    temperature: float | str | None = None,
    seed: int | str | None = None,
    instrument: str | None = None,
    like: str | None = None,
    primer: str | None = None,
    meter: int | str | None = None,
) -> JazzRequest:
    """The request from ``text`` (or what :func:`parse_request_text` read from it) and typed options
    (typed options win over the text). Whole-number options may also be given as digit strings
    (console ``key=value`` input). A few unknown words are left out (see :func:`ignored_note`);
    text that is mostly unknown words is refused."""
    if isinstance(text, TextRequest):
        parsed = text
    else:
        parsed = parse_request_text(text) if text and text.strip() else TextRequest({}, (), ())
    understood = parsed.understood
    if parsed.mostly_unknown:
        raise RequestError(_not_understood_message(parsed))
    typed = {
        "bars": _typed_whole("bars", bars),
        "tempo": _typed_whole("tempo", tempo),
        "key": key,
        "style": style,
        "progression": progression,
        "temperature": _typed_decimal(temperature),
        "seed": _typed_whole("seed", seed),
        "instrument": instrument,
        "like": like,
        "primer": primer,
        "meter": meter,
    }
    values = dict(parsed.values)
    values.update({name: value for name, value in typed.items() if value is not None})
    asked_like = values.get("like")
    if "instrument" not in values and isinstance(asked_like, str):
        soloists_own = _soloist_instrument(asked_like)
        if soloists_own is not None:
            values["instrument"] = soloists_own
    limit = max(MIN_BARS, min(max_bars, MAX_BARS))
    try:
        requested_bars = values.get("bars", JazzRequest.bars)
        if isinstance(requested_bars, int) and requested_bars > limit:
            raise RequestError(
                f"This bot plays at most {limit} bars, not {_shown(requested_bars)}. Example: {limit} bars"
            )
        return JazzRequest(**values)  # type: ignore[arg-type]  # values were typed field by field above
    except RequestError as error:
        if not understood:
            raise
        raise RequestError(f"{error} (I understood: {', '.join(understood)}.)") from None


def ignored_note(parsed: TextRequest) -> str | None:
    """What to tell the user about the words :func:`build_request` left out, or None when it used all."""
    if not parsed.not_understood:
        return None
    return f"I left out {_unknown_words(parsed)}; the rest is as you asked."


# ---- reading text ------------------------------------------------------------------------------

Handler = Callable[[re.Match[str]], tuple[str, object] | None]


class _Reader:
    """The text still unread, the values found so far and the phrases they came from."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.rest = text
        self.values: dict[str, object] = {}
        self.sources: dict[str, str] = {}

    def take(self, pattern: str | re.Pattern[str], handler: Handler, flags: int = re.IGNORECASE) -> None:
        """Replace every match the handler accepts (returns a field and value) by a space."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)

        def replace(match: re.Match[str]) -> str:
            found = handler(match)
            if found is None:
                return match.group(0)
            self._set(*found, _SPACES.sub(" ", match.group(0).strip()))
            return " "

        self.rest = regex.sub(replace, self.rest)

    def take_pairs(
        self, pattern: re.Pattern[str], pairs: Callable[[re.Match[str]], list[tuple[str, object, str]] | None]
    ) -> None:
        """Like :meth:`take` for a handler that reads several (field, value, phrase) from one match."""

        def replace(match: re.Match[str]) -> str:
            found = pairs(match)
            if found is None:
                return match.group(0)
            for name, value, phrase in found:
                self._set(name, value, phrase)
            return " "

        self.rest = pattern.sub(replace, self.rest)

    def _set(self, name: str, value: object, phrase: str) -> None:
        if name in self.values and self.values[name] != value:
            raise RequestError(
                f"'{_shown_text(self.sources[name])}' and '{_shown_text(phrase)}' ask for two different "
                f"{name} values; please give one. Example: {EXAMPLES[1]}"
            )
        self.values[name] = value
        self.sources[name] = phrase

    def result(self) -> TextRequest:
        choruses = self.values.pop("choruses", None)
        if isinstance(choruses, int):
            phrase = self.sources.pop("choruses")
            self._set("bars", choruses * _chorus_bars(self.values.get("progression")), phrase)
        leftovers = [word.strip(_STRIP) for word in self.rest.split()]
        unknown: list[str] = []
        for word in leftovers:
            if word.isdecimal() and "bars" not in self.values:
                self._set("bars", int(word), word)  # "/jazz 16": a lone number is the length
            elif _is_word(word) and word.lower() not in FILLER:
                unknown.append(word)
        ordered = [name for name in FIELDS if name in self.values]
        understood = tuple(_describe(name, self.values[name]) for name in ordered)
        words = sum(_is_word(word) for word in self.text.split())
        values = {name: self.values[name] for name in ordered}
        return TextRequest(values, understood, tuple(unknown), max(words, len(unknown)))


def _is_word(text: str) -> bool:
    """Whether ``text`` has a letter or digit in it; "♫", "--" and "!!" are decoration."""
    return any(char.isalnum() for char in text)


def _chorus_bars(progression: object) -> int:
    """Bars in one chorus: once through the tune, or a 32-bar song form when no tune was named."""
    if isinstance(progression, str):
        return chorus_bars(resolve(progression).progression)
    return SONG_FORM_BARS


def _chart(text: str) -> str:
    """The chart as typed, checked: it must read in 4/4 or in 3/4 (the meter is settled later)."""
    chart = " ".join(visible(text).split())  # no NUL, ANSI escapes or other control characters to echo
    try:
        parse_chart(chart)
    except InputError as error:  # names the bad bar (as 4/4 reads it), quoting it (a bar may be long)
        if not _reads_in_three(chart):
            quoted_short = _LONG_QUOTE.sub(lambda m: f"'{shorten(m.group(1), 40)}'", str(error))
            reason = literal(_capitalised(quoted_short), MAX_ECHO)
            raise RequestError(f"{reason} Example: | Dm7 G7 | Cmaj7 | at 140 bpm") from None
    return chart


def _reads_in_three(chart: str) -> bool:
    try:
        parse_chart(chart, beats_per_bar=3)
    except InputError:
        return False
    return True


def _named_number(match: re.Match[str]) -> tuple[str, object]:
    """ "tempo=120", "bars: 8" (console style): unambiguous even beside "120 bars"."""
    text = match.group(2).replace(",", ".")
    return _NAMED_NUMBERS[match.group(1).lower()], float(text) if any(c in text for c in ".eE") else int(text)


def _keyword_first_pairs(match: re.Match[str]) -> list[tuple[str, object, str]] | None:
    """ "tempo 60 bars 48": a chain that starts with a keyword pairs each number with the keyword before
    it (not "60 bars" and "tempo ... 48"). A chain after a number ("16 bars 120 bpm") is left to the
    number-first readings."""
    if _ENDS_WITH_NUMBER.search(match.string, 0, match.start()):
        return None
    return [
        (_NAMED_NUMBERS[_KEYWORD_FIELD.get(word.lower(), word.lower())], int(number), f"{word} {number}")
        for word, number in _KEYWORD_PAIR.findall(match.group(0))
    ]


def _number(text: str) -> int:
    """ "16", "sixteen", "twenty-four"; "a" is one ("a chorus")."""
    words = re.split(r"[\s-]+", text.lower())
    if words == ["a"]:
        return 1
    if words[0].isdigit():
        return int(words[0])
    return sum(_TENS.get(word, _NUMBER_WORDS.get(word, 0)) for word in words)


def _key_after_word(match: re.Match[str]) -> tuple[str, object] | None:
    """ "in F", "key of Bb minor", but not the article in "in a bossa"."""
    bare = not match.group("acc") and not match.group("mode") and not match.group("dash")
    if bare and match.group("letter") == "a" and not _FOLLOWS_BARE_A.match(match.string, match.end()):
        return None
    return _key_match(match)


def _key_match(match: re.Match[str]) -> tuple[str, object]:
    groups = {name: value for name, value in match.groupdict().items() if value}
    letter = groups.get("letter") or groups.get("letter2") or groups.get("letter3") or ""
    accidental = (groups.get("acc") or groups.get("acc2") or groups.get("acc3") or "").lower().lstrip("-")
    mode = (groups.get("mode") or "").lower()
    sign = {"sharp": "#", "♯": "#", "flat": "b", "♭": "b"}.get(accidental, accidental)
    minor = mode in _MINOR_MODES or "dash" in groups
    return "key", parse_key(letter.upper() + sign + ("m" if minor else "")).name


@dataclass(frozen=True)
class _PhraseTable:
    pattern: re.Pattern[str]
    values: dict[str, tuple[str, object]]  # normalised phrase -> (field, value)


@cache
def _phrases() -> _PhraseTable:
    """Every multi-word name the text may use: progressions, styles, instruments, tempo and
    temperature words. Longer phrases win ("blue bossa" is a progression, "bossa" a style)."""
    values: dict[str, tuple[str, object]] = {}
    for slug in library():  # slugs before titles: "rhythm changes" is rhythm-changes, not rhythm-a's title
        _add_progression_phrase(values, slug, slug)
    for slug, progression in library().items():
        for title in (progression.title, re.sub(r"\(.*?\)", "", progression.title)):
            if not re.match(r"\s*\d", title):  # "12-bar blues": "12-bar" is read as the length
                _add_progression_phrase(values, title, slug)
    for alias, slug in _PROGRESSION_ALIASES.items():
        if slug in library() or slug in tunes():
            _add_progression_phrase(values, alias, slug)
    values.update({_normal(word): ("tempo", tempo) for word, tempo in _TEMPO_WORDS.items()})
    values.update({_normal(word): ("temperature", value) for word, value in _TEMPERATURE_WORDS.items()})
    values.update(_named("style", STYLES, _STYLE_ALIASES))
    values.update(_named("instrument", LEAD_INSTRUMENTS, _INSTRUMENT_ALIASES))
    values.update({_normal(era): ("like", label) for era, label in _BARE_ERAS.items()})  # "bebop" is an era
    alternatives = sorted(values, key=lambda phrase: (-len(phrase), phrase))
    words = "|".join(_PHRASE_SEPARATOR.join(_word_pattern(w) for w in p.split()) for p in alternatives)
    # Apostrophes inside words belong to the word ("needn't"); quotes around a title do not.
    edges = (r"(?<!\w)(?<!\w['’])", r"(?!\w)(?!['’]\w)")
    return _PhraseTable(re.compile(rf"{edges[0]}(?:{words}){edges[1]}", re.IGNORECASE), values)


@cache
def _like_names() -> dict[str, str]:
    """What may follow "like": soloists by full name, by surname where only one has it, by nickname
    ("Bird"), and eras ("hard bop"); normalised phrase -> the name the composer is asked for."""
    names = [name for name, _era in SOLOISTS.values()]
    surnames = [name.split()[-1] for name in names]
    found = {
        _normal(last): name for name, last in zip(names, surnames, strict=True) if surnames.count(last) == 1
    }
    found.update({_normal(nickname): name for nickname, name in NICKNAMES.items()})
    found.update({_normal(name): name for name in names})
    found.update({" ".join(_joined_initials(name)): name for name in names if "." in name})  # "jj johnson"
    eras = {phrase: ERA_LABELS.get(era, era) for phrase, era in ERA_NAMES.items() if phrase != "swing"}
    found.update({_normal(phrase): label for phrase, label in eras.items()})
    found["swing era"] = "swing"
    return found


def _soloist_instrument(like: str) -> str | None:
    """The instrument a soloist asked for by ``like`` played ("like Miles Davis" is heard on a trumpet
    unless another lead is asked for); None for an era or a name the table does not know. A name the
    text table lacks ("Dizzy", "JJ Johnson") is matched by its words, as the composer matches it."""
    names = _like_names()
    name = names.get(_normal(like))
    if name is None:
        words = set(_joined_initials(like))
        matches = {known for known in names.values() if words <= set(_joined_initials(known))}
        name = matches.pop() if len(matches) == 1 else None
    return None if name is None else instrument_of(name)


def _joined_initials(name: str) -> list[str]:
    """A name's words with its initials run together: "J.J. Johnson" and "JJ Johnson" -> jj, johnson."""
    return re.sub(r"(?<=\b\w) (?=\w\b)", "", _normal(name)).split()


@cache
def _like_pattern() -> re.Pattern[str]:
    alternatives = sorted(_like_names(), key=lambda phrase: (-len(phrase), phrase))
    names = "|".join(_PHRASE_SEPARATOR.join(_word_pattern(w) for w in p.split()) for p in alternatives)
    quote = "[\"'“”‘’]?"
    return re.compile(
        rf"\b(?:{_LIKE_WORDS})\s+(?:the\s+)?{quote}(?P<name>{names}){quote}(?!\w)(?!['’]\w)", re.IGNORECASE
    )


def _unknown_like(match: re.Match[str]) -> tuple[str, object] | None:
    name = match.group(1).strip(_STRIP)
    if not name or name.split()[0].lower() in FILLER:
        return None
    return "like", name


@cache
def _titles() -> dict[str, str]:
    """Every tune and library title, normalised as the tune index does -> the title."""
    names = [tune.title for tune in tunes().values()] + [p.title for p in library().values()]
    found: dict[str, str] = {}
    for title in names:
        for name in (title, title.partition("(")[0]):
            found.setdefault(normal_title(name), title)
    found.pop("", None)
    return found


def _quoted_title(match: re.Match[str]) -> tuple[str, object] | None:
    """ "Stella by Starlight" in quotes: a title, typos forgiven; other quoted text is read as words."""
    text = next(group for group in match.groups() if group is not None)
    if not _is_word(text):
        return None
    try:
        return "progression", resolve(text).label
    except InputError:
        return None


def _take_title(reader: _Reader) -> None:
    """A tune named in the words nothing else read: the unknown words (with a few filler words around
    them) must make up a whole title, found as typed in the text. A one-word title counts only after
    "of", "play" or "tune" ("32 bars of solar"), so an ordinary word is never taken for a title."""
    if "progression" in reader.values:
        return
    tokens = list(re.finditer(r"\S+", reader.rest))
    words = [token.group(0).strip(_STRIP) for token in tokens]
    unknown = [i for i, word in enumerate(words) if _is_word(word) and word.lower() not in FILLER]
    if not unknown or any(words[i].isdecimal() for i in unknown):
        return
    first, last = unknown[0], unknown[-1]
    spans = [
        (start, end)
        for start in range(max(0, first - _TITLE_FILLER_EDGE), first + 1)
        for end in range(last, min(len(words), last + _TITLE_FILLER_EDGE + 1))
    ]
    for start, end in sorted(spans, key=lambda span: span[0] - span[1]):  # longest first
        title = _titles().get(normal_title(" ".join(words[start : end + 1])))
        one_word = start == end
        if title is None or (one_word and (start == 0 or words[start - 1].lower() not in _TITLE_TRIGGERS)):
            continue
        typed = r"[\W_]+".join(re.escape(word) for word in words[start : end + 1])
        if not re.search(rf"(?<!\w){typed}(?!\w)", reader.text, re.IGNORECASE):
            continue  # the words are not side by side in the text (something between them was read)
        reader._set("progression", resolve(title).label, title)
        reader.rest = reader.rest[: tokens[start].start()] + " " + reader.rest[tokens[end].end() :]
        return


@cache
def _styled_titles() -> dict[str, str]:
    """Titles of two words or more with a style's name in them ("Waltz For Debbie", "The Jitterbug
    Waltz"), normalised -> the title: read as the tune before the word is read as the style. (Aliases
    such as "bebop" stay the style or era: "a bebop blues" is the blues.)"""
    return {
        name: title
        for name, title in _titles().items()
        if len(name.split()) >= 2 and set(STYLES) & set(name.split())
    }


def _take_styled_title(reader: _Reader) -> None:
    """A tune whose title holds a style's word, typed whole (a typo forgiven: "waltz for debby"), is the
    tune; the longest run of words that reads as one wins."""
    tokens = list(re.finditer(r"\S+", reader.rest))
    words = [token.group(0).strip(_STRIP) for token in tokens]
    named = [i for i, word in enumerate(words) if word.lower() in STYLES]
    if not named or "progression" in reader.values:
        return
    styled = _styled_titles()
    longest = max(len(name.split()) for name in styled)
    spans = {
        (start, end)
        for i in named
        for start in range(max(0, i - longest + 1), i + 1)
        for end in range(max(start + 1, i), min(len(words), start + longest))
    }
    for start, end in sorted(spans, key=lambda span: (span[0] - span[1], span)):  # longest first
        typed = normal_title(" ".join(words[start : end + 1]))
        close = difflib.get_close_matches(typed, list(styled), n=1, cutoff=STYLED_TITLE_CUTOFF)
        if close and len(close[0].split()) == len(typed.split()):
            reader._set("progression", resolve(styled[close[0]]).label, styled[close[0]])
            reader.rest = reader.rest[: tokens[start].start()] + " " + reader.rest[tokens[end].end() :]
            return


def _add_progression_phrase(values: dict[str, tuple[str, object]], name: str, slug: str) -> None:
    phrase = _normal(name)
    values.setdefault(phrase, ("progression", slug))
    for suffix in _PROGRESSION_SUFFIXES:  # "ballad changes" is the progression, "ballad" the style
        values[f"{phrase} {suffix}"] = ("progression", slug)


def _named(field: str, names: Iterable[str], aliases: Mapping[str, str]) -> dict[str, tuple[str, object]]:
    """Phrases for a closed set of names: the names, their aliases, and each name's last word where
    only one name ends with it ("guitar" for "jazz guitar")."""
    names = list(names)
    found: dict[str, tuple[str, object]] = {}
    last_words = [name.split()[-1] for name in names]
    for name, last in zip(names, last_words, strict=True):
        if last_words.count(last) == 1:
            found[_normal(last)] = (field, name)
    found.update({_normal(alias): (field, name) for alias, name in aliases.items() if name in names})
    found.update({_normal(name): (field, name) for name in names})
    return found


def _normal(phrase: str) -> str:
    """Lower case, apostrophes dropped, separators as single spaces: how phrases are looked up."""
    return " ".join(re.split(_PHRASE_SEPARATOR, re.sub(r"['’]", "", phrase.lower()).strip(" -_/,.")))


def _word_pattern(word: str) -> str:
    """A word of a phrase as a pattern that also matches it with apostrophes ("neednt", "needn't")."""
    return "['’]?".join(re.escape(char) for char in word)


# ---- resolving names ---------------------------------------------------------------------------


def _resolve_key(value: object) -> str:
    if not isinstance(value, str):
        raise RequestError(f"The key must be text like Bb or F#m, not {_shown(value)}.")
    try:
        return parse_key(value.replace("♭", "b").replace("♯", "#")).name
    except InputError:
        raise RequestError(f"'{_shown_text(value)}' is not a key; try C, Bb, F#, Ebm or 'D minor'.") from None


def _resolve_like(value: object) -> str | None:
    """A soloist or era as typed, spaces tidied; whether the composer knows it is its own check
    (:meth:`model.compose.Composer.style`, which names the closest known ones)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LIKE_CHARS:
        shown = _shown_text(value) if isinstance(value, str) else _shown(value)
        raise RequestError(
            f"'like' takes a soloist or an era of at most {MAX_LIKE_CHARS} characters, not '{shown}'. "
            "Example: like Charlie Parker, like bebop"
        )
    return " ".join(visible(value).split())


def _resolve_meter(value: object) -> int | None:
    """Beats per bar asked for (None: the tune's own); any meter but 4/4 and 3/4 is refused, and the
    refusal logged (a member asking for 5/4 is worth knowing about)."""
    if value is None:
        return None
    try:
        return parse_meter(value)
    except InputError as refused:
        log.info("meter refused: %r", value)
        raise RequestError(_capitalised(str(refused))) from None


def _style_and_meter(style: str, meter: int | None, progression: str | None) -> tuple[str, int | None]:
    """The style and meter played: a waltz is in 3/4 (a 4/4 tune asked as a waltz is played in 3), a
    swing request in 3/4 or over a waltz tune is the jazz waltz, bossa over a waltz tune plays it in 4;
    ballads play in either meter."""
    own = _own_meter(progression)
    played = own if meter is None else meter
    if style == "waltz" or (played == 3 and style == "swing"):
        if meter == 4:
            raise RequestError("A waltz is in 3/4, not 4/4; ask for a waltz, or for 4/4 with another style.")
        return "waltz", None if own == 3 else 3  # canonical: read again, it resolves the same
    if played == 3 and style == "bossa":
        if meter == 3:
            raise RequestError("Bossa is played in 4/4; in 3/4 ask for a waltz or a ballad.")
        return style, 4
    return style, meter


def plays_in(style: str, meter: object) -> bool:
    """Whether ``style`` can be played in the meter a member asked for (as typed: "3/4", "in 4/4";
    None: no meter asked): the waltz is 3/4 only, bossa 4/4 only. A meter jazzbot does not play is
    left for the request to refuse."""
    if meter is None:
        return True
    try:
        beats = parse_meter(meter)
    except InputError:
        return True  # the request refuses it, naming the meters that work
    try:
        _style_and_meter(style, beats, None)
    except RequestError:
        return False
    return True


def _played_meter(meter: object, progression: str | None) -> int:
    """Beats per bar played: the resolved ``meter``, else the progression's own."""
    return meter if isinstance(meter, int) else _own_meter(progression)


def _own_meter(progression: str | None) -> int:
    """Beats per bar of the tune or chart ``progression`` names (4 when none is named)."""
    if progression is None or "|" in progression:
        return 4
    return resolve(progression, meters=(3, 4)).progression.beats_per_bar


def _resolve_style(value: object) -> str:
    return _resolve_name("style", value, _named("style", STYLES, _STYLE_ALIASES), STYLES)


def _resolve_instrument(value: object) -> str:
    table = _named("instrument", LEAD_INSTRUMENTS, _INSTRUMENT_ALIASES)
    return _resolve_name("instrument", value, table, LEAD_INSTRUMENTS)


def _resolve_name(
    field: str, value: object, table: Mapping[str, tuple[str, object]], names: Iterable[str]
) -> str:
    if isinstance(value, str) and _normal(value) in table:
        return str(table[_normal(value)][1])
    shown = _shown_text(value) if isinstance(value, str) else _shown(value)
    raise RequestError(f"There is no {field} '{shown}'; choose one of: {', '.join(names)}.")


def _resolve_progression(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestError(
            "The progression must be a name like 'blues' or a chart like '| Dm7 G7 | Cmaj7 |'."
        )
    if "|" in value:
        return _chart(value)
    known = _phrases().values.get(_normal(value))
    if known is not None and known[0] == "progression":
        return str(known[1])
    try:
        return resolve(value).label  # library slug or title, a tune's title (typos forgiven)
    except InputError as error:  # lists the nearest names
        raise RequestError(_capitalised(str(error))) from None


# ---- checking values ---------------------------------------------------------------------------


def _check_whole(name: str, value: object, low: int, high: int, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RequestError(
            f"{name.capitalize()} must be a whole number from {low} to {high}, not {_shown(value)}. "
            f"Example: {example}"
        )


def _typed_whole(name: str, value: int | str | None) -> int | None:
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"-?\d{1,30}", text):
            raise RequestError(f"{name.capitalize()} must be a whole number, not '{_shown_text(value)}'.")
        return int(text)
    return value


def _typed_decimal(value: float | str | None) -> float | None:
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise RequestError(f"Temperature must be a number like 0.8, not '{_shown_text(value)}'.")
        return number
    return value


# ---- messages ----------------------------------------------------------------------------------


def _describe(name: str, value: object) -> str:
    """How a value read from the text is repeated back, short even for a 2,000-digit number."""
    shown = f"{value:g}" if isinstance(value, float) else _shown_text(str(value), 40)
    return {
        "bars": f"{shown} bar{'' if value == 1 else 's'}",
        "tempo": f"{shown} bpm",
        "key": f"key {shown}",
        "style": f"{shown} style",
        "progression": f"progression {shown}",
        "temperature": f"temperature {shown}",
        "seed": f"seed {shown}",
        "instrument": f"on {shown}",
        "like": f"like {shown}",
        "meter": f"meter {shown}",
    }[name]


def _unknown_words(parsed: TextRequest) -> str:
    """The unknown words, quoted, each with the closest known phrase when one is close."""
    vocabulary = sorted(set(_phrases().values) | {"bars", "bpm", "tempo", "seed", "temperature"})
    shown = []
    unique = list({word.lower(): word for word in reversed(parsed.not_understood)}.values())[::-1]
    for word in unique[:8]:
        close = difflib.get_close_matches(word.lower(), vocabulary, n=1, cutoff=0.75)
        shown.append(_quote(word) + (f" (did you mean '{close[0]}'?)" if close else ""))
    more = len(unique) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _not_understood_message(parsed: TextRequest) -> str:
    understood = f" I understood: {', '.join(parsed.understood)}." if parsed.understood else ""
    return (
        f"I didn't understand {_unknown_words(parsed)}.{understood} "
        f"Try for example: {EXAMPLES[1]} — or blues in Bb on vibes, seed 42."
    )


def _capitalised(message: str) -> str:
    """A message from elsewhere starting with a capital, like this module's own."""
    return message[:1].upper() + message[1:]


def _quote(word: str) -> str:
    return f"'{_shown_text(word, 24)}'"


def _shown_text(text: str, limit: int = 60) -> str:
    """User text made safe to echo: shown literally (no markdown, mentions or control characters), short."""
    return literal(text, limit)


def _shown(value: object) -> str:
    if isinstance(value, int | float):  # a number needs no escaping, only shortening
        return shorten(repr(value), 40)
    return _shown_text(repr(value), 40)


def _resolve_primer(value: object, bars: int, beats: int) -> str | None:
    """The idea to continue as canonical note text (every note with its octave and length, so a stored
    request replays the same notes), its bar lines read and written in the piece's meter (``beats`` a
    bar), checked against the request's bars."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(f'The idea to continue must be notes like "C D Eb G", not {_shown(value)}.')
    notes = parse_primer(value, beats)
    needed = primer_bars(notes, beats)
    if needed > bars:
        raise RequestError(
            f"Your idea lasts {needed} bar{'s' * (needed != 1)}; ask for at least {needed} bars "
            f"(it has {bars}). Example: {max(needed, 8)} bars"
        )
    return primer_text(notes, beats)
