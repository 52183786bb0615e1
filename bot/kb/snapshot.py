"""The last good knowledge base, kept on disk so that a restart with a broken file still answers.

After every load without errors the loaded `KnowledgeBase` is written as JSON to the data
directory, with when it was taken and a digest of the YAML it came from. JSON validated by
pydantic on the way back in: a snapshot is data, never code (no pickle), and a damaged or
outdated file is refused as a whole rather than half-loaded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from bot.kb.knowledge import Entry, KnowledgeBase

logger = logging.getLogger(__name__)

SNAPSHOT_FILE = "knowledge-snapshot.json"
# Raised whenever the loaded model changes shape: an older file is then not read at all.
SNAPSHOT_FORMAT = 1


@dataclass(frozen=True)
class Snapshot:
    """A knowledge base that loaded without errors, when it did, and from which files."""

    kb: KnowledgeBase
    taken_at: datetime
    digest: str


class _SnapshotFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1]
    taken_at: datetime
    digest: str
    knowledge: KnowledgeBase


def source_digest(root: Path) -> str:
    """A SHA-256 of every YAML file's path and content: equal digests, equal sources."""
    digest = hashlib.sha256()
    if root.is_dir():
        for path in sorted(root.rglob("*.y*ml")):
            try:
                content = path.read_bytes()
            except OSError:
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(content + b"\0")
    return f"sha256:{digest.hexdigest()}"


_ENTRY_JSON = TypeAdapter(Entry)
_KEY_JSON = TypeAdapter(str)
# Where the entries go in the document written with none.
_NO_ENTRIES = b'"entries":{}'


def _write_streamed(file: BinaryIO, document: _SnapshotFile) -> None:
    """`document` as `model_dump_json` writes it, byte for byte, one entry at a time: the
    whole text of 10,000 entries (and its copies) is never in memory at once, which was most
    of a reload's peak."""
    empty = document.model_copy(update={"knowledge": replace(document.knowledge, entries={})})
    head, found, tail = empty.__pydantic_serializer__.to_json(empty).partition(_NO_ENTRIES)
    if not found:
        raise ValueError("the snapshot's layout has no entries")  # never: a test checks it
    file.write(head + b'"entries":{')
    for number, (entry_id, entry) in enumerate(document.knowledge.entries.items()):
        file.write(
            (b"," if number else b"")
            + _KEY_JSON.dump_json(entry_id)
            + b":"
            + _ENTRY_JSON.dump_json(entry)
        )
    file.write(b"}" + tail)


def write_snapshot(path: Path, snapshot: Snapshot) -> None:
    """Write `snapshot` to `path` atomically: a reader sees the old file or the new, whole."""
    document = _SnapshotFile(
        format=SNAPSHOT_FORMAT,
        taken_at=snapshot.taken_at,
        digest=snapshot.digest,
        knowledge=snapshot.kb,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            _write_streamed(file, document)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@lru_cache(maxsize=1)
def loader_digest() -> str:
    """A digest of the code that turns YAML into a knowledge base (this package): a snapshot
    taken by other code may not be what loading the same files gives now."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def knowledge_digest(root: Path) -> str:
    """What a snapshot must match to stand in for loading `root`: its files and the loader."""
    return f"{source_digest(root)} loader:{loader_digest()}"


def read_snapshot(path: Path) -> Snapshot | None:
    """The snapshot at `path`; None when there is none or it cannot be used (logged)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("the knowledge snapshot %s cannot be read: %s", path, error.strerror)
        return None
    try:
        document = _SnapshotFile.model_validate_json(raw)
    except ValidationError as error:
        # The content is knowledge-base text, not residents' data, but a count is enough here.
        logger.warning(
            "the knowledge snapshot %s is damaged or from another version (%d problem(s)); "
            "it is not used",
            path,
            error.error_count(),
        )
        return None
    return Snapshot(document.knowledge, document.taken_at, document.digest)
