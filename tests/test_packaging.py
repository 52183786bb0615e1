"""Every data file the bot reads at run time is package data, so an installed copy has it too
(the dev venv is an editable install, where a missing glob goes unnoticed)."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bot"


def _globs() -> dict[str, list[str]]:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: dict[str, list[str]] = document["tool"]["setuptools"]["package-data"]
    return found


def _shipped(path: Path, globs: dict[str, list[str]]) -> bool:
    """True when a package-data glob of one of the file's packages names it."""
    for package, patterns in globs.items():
        folder = ROOT.joinpath(*package.split("."))
        if folder not in path.parents:
            continue
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        for pattern in patterns:
            wanted = PurePosixPath(pattern)
            if len(wanted.parts) == len(relative.parts) and relative.match(pattern):
                return True
    return False


def test_every_data_file_in_the_package_is_package_data() -> None:
    globs = _globs()
    data = [
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    assert data, "the package has no data files: the test looks in the wrong place"
    missing = [str(path.relative_to(ROOT)) for path in data if not _shipped(path, globs)]
    assert missing == []


def test_a_file_outside_every_glob_is_found() -> None:
    globs = {"bot.answering.practical_help": ["data/*.json"]}
    concept = PACKAGE / "answering" / "practical_help" / "data" / "concepts" / "nb.yaml"
    model = PACKAGE / "answering" / "practical_help" / "data" / "model.json"
    assert not _shipped(concept, globs)
    assert _shipped(model, globs)
