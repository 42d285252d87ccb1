"""The import rule of docs/ARCHITECTURE.md, read from the source with :mod:`ast`.

Imports run one way: the adapters (``bot.discord``, ``bot.console``) -> ``bot.services`` -> ``bot.store``
-> ``bot.audio`` -> ``bot.core`` -> ``model``. A module may import its own package and any package on
a lower rank, never one on its own rank or above; so ``model`` never imports ``bot``, and the two
adapters never import each other. Every import counts, including those under ``TYPE_CHECKING`` and
inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

RANKS: dict[str, int] = {
    "bot.__main__": 6,  # the entry point chooses an adapter
    "bot.health": 6,  # `python -m bot.health`: asks the running bot
    "bot.worker": 6,  # the worker tier's entry point, `python -m bot.worker`: makes clips for the bots
    "bot.discord": 5,
    "bot.console": 5,
    "bot.services": 4,
    "bot.store": 3,
    "bot.audio": 2,
    "bot.core": 1,
    "model": 0,
}


def layer(module: str) -> str | None:
    """The entry of :data:`RANKS` a dotted module name belongs to (longest prefix), if any."""
    matches = [name for name in RANKS if module == name or module.startswith(name + ".")]
    return max(matches, key=len) if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(module: str, source: str, is_package: bool = False) -> Iterator[str]:
    """Every module ``source`` imports, as absolute dotted names (``from a import b`` yields ``a.b``,
    which names the submodule when ``b`` is one and lands in the same layer as ``a`` when it is not)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield from (f"{base}.{alias.name}" for alias in node.names)


def violations(sources: Mapping[str, tuple[str, bool]]) -> list[str]:
    """Each import that breaks the rule, as ``"importer -> imported"``; ``sources`` maps a module name
    to its source text and whether it is a package's ``__init__``."""
    found = []
    for module, (source, is_package) in sorted(sources.items()):
        own = layer(module)
        if own is None:
            if module != "bot":  # the empty top-level package
                found.append(f"{module} is in no layer: add its package to RANKS and docs/ARCHITECTURE.md")
            continue
        for target in imported(module, source, is_package):
            other = layer(target)
            if other is None or other == own:
                continue
            if RANKS[other] >= RANKS[own]:
                found.append(f"{module} -> {target}")
    return found


def project_sources() -> dict[str, tuple[str, bool]]:
    paths = [*sorted((REPO / "bot").rglob("*.py")), *sorted((REPO / "model").rglob("*.py"))]
    return {
        module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py") for path in paths
    }


def test_imports_run_from_the_adapters_down_to_the_model() -> None:
    sources = project_sources()
    assert "bot.discord.app" in sources and "model.compose" in sources
    assert violations(sources) == []


def test_an_import_against_the_rule_is_found() -> None:
    sources = {
        "model.compose": ("from bot.core.requests import JazzRequest\n", False),
        "bot.store.clips": ("def f() -> None:\n    import bot.services.jobs\n", False),
        "bot.console.app": ("from bot.discord import errors\nfrom bot.services import jazz\n", False),
        "bot.audio": ("from . import render\nfrom ..core import requests\n", True),
        "bot.core.requests": ("from ..audio import render\n", False),
        "bot.widgets.spinner": ("import model\n", False),
    }
    assert violations(sources) == [
        "bot.console.app -> bot.discord.errors",
        "bot.core.requests -> bot.audio.render",
        "bot.store.clips -> bot.services.jobs",
        "bot.widgets.spinner is in no layer: add its package to RANKS and docs/ARCHITECTURE.md",
        "model.compose -> bot.core.requests.JazzRequest",
    ]
