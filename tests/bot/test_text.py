"""The one escaping function: every Discord markup a member can type shows literally, and the console
reads the same words as plain text."""

from __future__ import annotations

import pytest

from bot.core.text import fit, link, literal, plain, visible


@pytest.mark.parametrize(
    "typed",
    [
        "**bold** *it* __under__ ~~strike~~ `code` ```block```",
        "[click](https://evil.example/login) ||spoiler||",
        "# heading",
        "-# subtext",
        "> quote",
        ">>> quote",
        "- item",
        "* item",
        "+ item",
        "1. item",
        "<@123> <@!123> <#456> <@&789> <t:0:R> </jazz:1> <:emoji:1>",
        "\\*not escaped by the member\\*",
    ],
)
def test_markup_is_escaped_and_plain_gives_the_text_back(typed: str) -> None:
    shown = literal(typed)
    if typed.lstrip()[:1] in ("#", ">", "-", "+"):  # line-start markdown: the line starts with an escape
        assert shown.lstrip().startswith("\\")
    for mark in "*_~`|[]()<":
        # every mark in the shown text is escaped: preceded by an odd number of backslashes
        for index, char in enumerate(shown):
            if char == mark:
                run = len(shown[:index]) - len(shown[:index].rstrip("\\"))
                assert run % 2 == 1, (typed, shown, index)
    assert plain(shown) == typed


def test_mass_pings_are_broken_and_control_characters_dropped() -> None:
    assert literal("@everyone @here") == "@\u200beveryone @\u200bhere"
    assert literal("a\x00b\x1b[31mc\u202ed\u200be") == "ab\\[31mcde"
    assert literal("line one\nline two") == "line one line two"
    assert literal("line one\n1. two", multiline=True) == "line one\n1\\. two"
    assert visible("tab\there") == "tab here"


def test_cutting_happens_before_escaping_and_messages_fit() -> None:
    assert literal("*" * 10, 4) == "\\*\\*\\*…"
    assert len(fit("x" * 5000)) == 2000 and fit("short") == "short"
    assert link("https://a.example/x>y") == "<https://a.example/x%3Ey>"
