"""The package's layers: domain code has no Telegram imports, and each layer imports nothing
above it (storage < kb < answering, the help desk < the console's reports < the console's web
pages < the Telegram layer and the web server < the entry points)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot

PACKAGE = Path(bot.__file__).parent
DOMAIN = ("answering", "console", "console/web", "kb", "helpdesk", "notices", "storage")
# A layer's folder without the folders of the layers inside it.
INNER_LAYERS = {"console": ("web",)}
# What each lower layer may not import: the knowledge base is read by the answer engine, the
# help desk and the Telegram layer, never the other way round.
ENTRY_POINTS = ("bot.cli", "bot.tools")
FORBIDDEN_ABOVE = {
    "storage": ("bot.kb", "bot.answering", "bot.helpdesk", "bot.notices", "bot.tg", *ENTRY_POINTS),
    "kb": ("bot.answering", "bot.helpdesk", "bot.notices", "bot.tg", *ENTRY_POINTS),
    "answering": ("bot.helpdesk", "bot.notices", "bot.tg", *ENTRY_POINTS),
    "helpdesk": ("bot.answering", "bot.tg", *ENTRY_POINTS),
    # Notices build on storage and the knowledge base's entry type; the help desk erases a
    # resident's subscriptions with everything else, so notices sit below it.
    "notices": ("bot.answering", "bot.helpdesk", "bot.tg", *ENTRY_POINTS),
    # The console's reports are a pure library: the web pages render them, so they know
    # nothing of HTTP, templates or of the bot that serves them.
    "console": ("bot.tg", "bot.console.web", "bot.services", "aiohttp", "jinja2", *ENTRY_POINTS),
    # The web pages read every service; the Telegram layer serves them, never the reverse.
    "console/web": ("bot.tg", *ENTRY_POINTS),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, absolute names only (the package uses no relative ones)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules_of(layer: str) -> list[Path]:
    root = PACKAGE / layer
    inner = [root / name for name in INNER_LAYERS.get(layer, ())]
    return sorted(p for p in root.rglob("*.py") if not any(p.is_relative_to(i) for i in inner))


@pytest.mark.parametrize("layer", DOMAIN)
def test_domain_code_has_no_telegram_imports(layer: str) -> None:
    files = modules_of(layer)
    assert files, f"bot/{layer} has no modules"
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "telegram"
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_ABOVE))
def test_lower_layers_import_nothing_above_them(layer: str) -> None:
    forbidden = FORBIDDEN_ABOVE[layer]
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name
            for name in imported_modules(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        )
        for path in modules_of(layer)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


# The help desk's own modules, lowest first: each imports only those before it, so the rules
# (requests, volunteers, privacy) build on the reads and the outbox, never the reverse, and
# only desk.py wires them together.
HELPDESK_ORDER = (
    "models",
    "areas",
    "routing",
    "intake",
    "texts",
    "repository",
    "outbox",
    "conversations",
    "requests",
    "volunteers",
    "privacy",
    "desk",
)


def test_the_help_desk_modules_import_only_those_below_them() -> None:
    files = {path.stem for path in modules_of("helpdesk")} - {"__init__"}
    assert files == set(HELPDESK_ORDER), "add the new module to HELPDESK_ORDER"
    offenders = {}
    for position, name in enumerate(HELPDESK_ORDER):
        allowed = {f"bot.helpdesk.{below}" for below in HELPDESK_ORDER[:position]}
        used = {
            module
            for module in imported_modules(PACKAGE / "helpdesk" / f"{name}.py")
            if module.startswith("bot.helpdesk")
        }
        if used - allowed:
            offenders[name] = sorted(used - allowed)
    assert offenders == {}


def test_the_composition_root_knows_no_telegram() -> None:
    names = imported_modules(PACKAGE / "services.py")
    assert not {n for n in names if n.split(".")[0] == "telegram" or n.startswith("bot.tg")}


def test_the_shared_types_import_nothing_of_the_bot() -> None:
    assert not {n for n in imported_modules(PACKAGE / "types.py") if n.split(".")[0] == "bot"}


def test_the_import_scanner_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import telegram.ext\nfrom bot.answering import Responder\n")
    assert imported_modules(sample) == {"telegram.ext", "bot.answering"}
