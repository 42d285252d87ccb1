"""Member-written text in the bot's own words: shown literally, never as markdown, links or pings.

Every title, note, reason, link, file name and echoed word a member typed goes through :func:`literal`
before it is put into a message, embed or refusal. Discord's markdown is wider than
``discord.utils.escape_markdown`` covers (it misses ``-#`` subtext, numbered lists, ``<@id>``/``<#id>``/
``<@&id>``/``<t:..>`` tags and escapes a masked link's ``[`` only), so :func:`literal` backslash-escapes
every ASCII punctuation mark Discord's parser acts on (a backslash before any punctuation shows that mark
as is), breaks ``@everyone``/``@here`` with a zero-width space, drops control and format characters (NUL,
ANSI escapes, bidi overrides) and cuts the result to a length. Messages are also sent with
``allowed_mentions`` none, so nothing can ping even if a path were missed.

The console prints the same Discord-flavoured words; :func:`plain` turns them back into plain text.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CONTENT = 2000  # a message's content
MAX_EMBED_DESCRIPTION = 4096
ELLIPSIS = "…"

# Punctuation that starts or ends some Discord markdown anywhere in a line: emphasis * _ ~, spoilers |,
# code `, masked links [ ] ( ), tags < (mentions, channels, roles, timestamps, custom emoji, commands),
# and the backslash itself. At the start of a line (or of the member's text) also: headings and subtext
# # -#, quotes >, lists - + and "1. ".
_MARKDOWN = re.compile(r"([\\*_~|`\[\]()<])|(?m:^(\s*)([#>+\-]|\d+\.(?=\s)))")
_MASS_PING = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_PLAIN = re.compile(r"\\([^\w\s]|_)|\*\*|`")


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` without control or format characters (NUL, ANSI escapes, zero-width and bidi marks);
    other whitespace becomes a space, and newlines too unless ``multiline``."""
    kept = []
    for char in text:
        if char == "\n" and multiline:
            kept.append(char)
        elif char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cf", "Co", "Cs", "Cn"):
            kept.append(char)
    return "".join(kept)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS


def literal(text: str, limit: int | None = None, *, multiline: bool = False) -> str:
    """Member-written ``text`` made to show exactly as typed in a Discord post (see the module doc),
    first cut to ``limit`` characters of the original text when given."""
    clean = visible(text, multiline=multiline)
    if limit is not None:
        clean = shorten(clean, limit)
    escaped = _MARKDOWN.sub(_escape, clean)
    return _MASS_PING.sub("@\u200b", escaped)


def _escape(match: re.Match[str]) -> str:
    if match.group(1):
        return f"\\{match.group(1)}"
    mark = match.group(3)
    return f"{match.group(2)}{mark[:-1]}\\." if mark.endswith(".") else f"{match.group(2)}\\{mark}"


def link(url: str) -> str:
    """A checked http(s) link shown as a link that cannot unfurl into a preview or break out of its
    angle brackets (characters that could are percent-encoded by the link check already)."""
    return f"<{visible(url).replace('>', '%3E')}>"


def plain(markdown: str) -> str:
    """The bot's Discord-flavoured text for a terminal: bold and code marks dropped, escapes undone."""
    return _PLAIN.sub(lambda match: match.group(1) or "", markdown)


def fit(text: str, limit: int = MAX_CONTENT) -> str:
    """A message cut to Discord's limit (2,000 characters of content by default)."""
    return shorten(text, limit)
