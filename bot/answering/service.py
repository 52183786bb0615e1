"""The live knowledge base: loaded at start, reloaded on request or when files change.

A reload that finds errors keeps the last good knowledge base answering and reports what is
wrong, so a staff member's broken edit never takes the bot down or half-loads. Every good load
is also kept on disk as a snapshot, so a restart with a broken file answers from it too.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.answering.emergency import detect_emergency
from bot.answering.intents import forget_analyses
from bot.answering.practical_help import detect_help
from bot.answering.query import forget_analysed
from bot.answering.responder import Responder
from bot.errors import NoGoodKnowledgeError
from bot.kb.cache import CacheStore
from bot.kb.knowledge import Entry, KnowledgeBase
from bot.kb.loader import FileSegment, LoadResult, Problem, load_knowledge
from bot.kb.snapshot import Snapshot, knowledge_digest, read_snapshot, write_snapshot

logger = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


def forget_recent_messages() -> None:
    """Drop every cache that holds whole messages as residents wrote them (the analyses, the
    help and small-talk verdicts): after an erasure, no erased resident's words stay in
    memory. They refill from the next messages."""
    forget_analysed()
    forget_analyses()
    detect_help.cache_clear()
    detect_emergency.cache_clear()


def settle_memory() -> None:
    """Exempt what is loaded now from the cyclic garbage collector.

    A full collection walks every live object; with a large index that is a 100 ms pause in
    the middle of answering someone. Call `gc.unfreeze()` before replacing what was frozen.
    """
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: `applied` is False when errors kept the previous version live."""

    applied: bool
    entries: int
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def fingerprint(root: Path) -> Fingerprint:
    """Name, size and modification time of every YAML file: changes when staff save a file."""
    items = []
    for path in sorted(root.rglob("*.y*ml")):
        try:
            stat = path.stat()
        except OSError:
            continue
        items.append((str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns))
    return tuple(items)


def with_extra(kb: KnowledgeBase, extra: Sequence[Entry]) -> KnowledgeBase:
    """`kb` with entries that do not come from its files (live notices) added after them.

    An added entry never takes a file entry's place: one whose id is taken (the schema keeps
    `notice-` ids for notices, but an older snapshot may hold one) is added under an id no
    file entry can have, and the log says so."""
    if not extra:
        return kb
    entries = dict(kb.entries)
    for entry in extra:
        if entry.id in kb.entries:
            new_id = f"{entry.id}~{len(entries)}"  # '~' is in no slug
            logger.warning("the id %s is taken by a knowledge entry; added as %s", entry.id, new_id)
            entry = replace(entry, id=new_id)
        entries[entry.id] = entry
    return replace(kb, entries=entries)


def _load(root: Path, cache: CacheStore | None = None) -> tuple[str, LoadResult]:
    """The digest of the files, taken first (a file saved meanwhile makes it differ), and
    what loaded from them (unchanged files from `cache`)."""
    digest = knowledge_digest(root)
    return digest, load_knowledge(root) if cache is None else load_knowledge(root, cache=cache)


# Under this key the cache notes which snapshot file the last good load wrote.
_SNAPSHOT_NOTE = ("snapshot", "written")


def _snapshot_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _start(
    root: Path, snapshot_path: Path | None, cache: CacheStore | None
) -> tuple[str, LoadResult, bool]:
    """Load at start. With a cache, from the files (unchanged ones from the cache, faster than
    reading the snapshot back); the flag says whether the snapshot already holds what loaded.
    Without one, from the snapshot when the files and the loader are byte for byte what it was
    taken from (reading JSON is many times faster than parsing and checking YAML), else from
    the files; the flag then says whether the snapshot was used."""
    if cache is not None:
        digest, result = _load(root, cache)
        note = cache.get(*_SNAPSHOT_NOTE)
        stamp = _snapshot_stamp(snapshot_path) if snapshot_path is not None else None
        kept = stamp is not None and note == [digest, *stamp]
        return digest, result, kept and not result.errors
    if snapshot_path is not None:
        digest = knowledge_digest(root)
        cached = read_snapshot(snapshot_path)
        if cached is not None and cached.digest == digest:
            return digest, LoadResult(cached.kb), True
    digest, result = _load(root)
    return digest, result, False


class KnowledgeService:
    """Holds the current `Responder`; `reload` swaps it only for an error-free load.

    With `snapshot_path`, every error-free load is written there, and a start with broken
    files answers from what is there (`fallback`) instead of from the entries that loaded.
    With `cache`, each load and index takes the files that did not change from there.
    """

    def __init__(
        self, root: Path, snapshot_path: Path | None = None, cache: CacheStore | None = None
    ) -> None:
        started = time.perf_counter()
        self.root = root
        self.snapshot_path = snapshot_path
        self.cache = cache
        self._fingerprint: Fingerprint = fingerprint(root) if root.is_dir() else ()
        digest, result, cached = _start(root, snapshot_path, cache)
        if cached:
            logger.info("knowledge base unchanged since its snapshot was taken")
        for problem in result.errors:
            logger.error("knowledge base: %s", problem)
        # The snapshot answering because the files have errors; None when the files are used
        # (also when they are unchanged since the snapshot and it was read instead).
        self.fallback: Snapshot | None = None
        kb = result.kb
        # The entries of `kb` by the file they come from, for the cache.
        self.segments: tuple[FileSegment, ...] = result.segments
        if not result.errors and not cached:
            self._keep(result.kb, digest)
        elif result.errors and snapshot_path is not None:
            self.fallback = read_snapshot(snapshot_path)
            if self.fallback is not None:
                kb = self.fallback.kb
                self.segments = ()
                logger.warning(
                    "knowledge base has %d error(s): answering from the last good version, "
                    "the snapshot of %s (%d entries)",
                    len(result.errors),
                    self.fallback.taken_at.isoformat(timespec="seconds"),
                    len(kb.entries),
                )
        # Without a snapshot there is no earlier version to keep: answer from what loaded.
        self.responder = Responder(kb, segments=self.segments, cache=cache)
        # What the files hold, and the entries merged into it (live notices, `show_extra`).
        self.base: KnowledgeBase = kb
        self.extra: tuple[Entry, ...] = ()
        self.last_result: LoadResult = result
        settle_memory()
        # When the live version was loaded and how long it took; and the last reload's
        # outcome, for the staff console and /healthz.
        self.loaded_at = time.time()
        self.load_seconds = time.perf_counter() - started
        self.last_reload: tuple[float, ReloadOutcome] | None = None
        # One rebuild at a time (the watcher, /reload and the live notices' rebuild): each
        # builds from what the one before applied, so none undoes another, and they never
        # share the cache from two threads at once.
        self._rebuilding = asyncio.Lock()

    def require_usable(self) -> None:
        """Raise NoGoodKnowledgeError (exit 2): the files have errors and no snapshot stands in."""
        errors = self.last_result.errors
        if not errors or self.fallback is not None:
            return
        lines = [
            f"the knowledge base in {self.root} has {len(errors)} error(s) and there is no good "
            f"snapshot to start from ({self.snapshot_path}); fix them and start again "
            "(python -m bot kb check lists them):",
            *(f"  {problem}" for problem in errors),
        ]
        raise NoGoodKnowledgeError("\n".join(lines))

    def _keep(self, kb: KnowledgeBase, digest: str) -> None:
        """Write `kb` as the last good snapshot; a failure is logged and never stops answering."""
        if self.snapshot_path is None:
            return
        try:
            write_snapshot(self.snapshot_path, Snapshot(kb, datetime.now(UTC), digest))
        except OSError:
            logger.exception("could not write the knowledge snapshot %s", self.snapshot_path)
            return
        stamp = _snapshot_stamp(self.snapshot_path)
        if self.cache is not None and stamp is not None:
            # A restart with the same files then need not write the same snapshot again.
            self.cache.put(*_SNAPSHOT_NOTE, [digest, *stamp])

    async def reload(self) -> ReloadOutcome:
        """Load the folder again; apply it only if it has no errors."""
        async with self._rebuilding:
            return await self._reload()

    async def _reload(self) -> ReloadOutcome:
        started = time.perf_counter()
        self._fingerprint = fingerprint(self.root) if self.root.is_dir() else ()
        digest, result = await asyncio.to_thread(_load, self.root, self.cache)
        if result.errors:
            logger.warning("knowledge reload refused: %d error(s)", len(result.errors))
            refused = ReloadOutcome(
                False, len(self.responder.kb.entries), result.errors, result.warnings
            )
            self.last_reload = (time.time(), refused)
            return refused
        responder = await asyncio.to_thread(
            Responder,
            with_extra(result.kb, self.extra),
            segments=result.segments,
            cache=self.cache,
        )
        gc.unfreeze()  # the old knowledge base may now be collected
        self.responder = responder
        self.base = result.kb
        self.segments = result.segments
        self.last_result = result
        self.fallback = None
        settle_memory()
        await asyncio.to_thread(self._keep, result.kb, digest)
        logger.info("knowledge reloaded: %d entries", len(result.kb.entries))
        applied = ReloadOutcome(True, len(result.kb.entries), [], result.warnings)
        self.loaded_at = time.time()
        self.load_seconds = time.perf_counter() - started
        self.last_reload = (self.loaded_at, applied)
        return applied

    async def show_extra(self, entries: Sequence[Entry]) -> None:
        """Answer from the files' entries plus `entries` (the live notices) from now on."""
        async with self._rebuilding:
            self.extra = tuple(entries)
            responder = await asyncio.to_thread(
                Responder,
                with_extra(self.base, self.extra),
                segments=self.segments,
                cache=self.cache,
            )
            gc.unfreeze()
            self.responder = responder
            settle_memory()

    def changed(self) -> bool:
        """True when a file in the folder was added, removed or saved since the last load."""
        current = fingerprint(self.root) if self.root.is_dir() else ()
        return current != self._fingerprint

    async def watch(
        self, on_reload: Callable[[ReloadOutcome], Awaitable[None]], interval: float = 2.0
    ) -> None:
        """Reload whenever the folder changes, until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                if self.changed():
                    # Editors save in several steps; let the files settle first.
                    await asyncio.sleep(min(interval, 0.5))
                    await on_reload(await self.reload())
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("knowledge watcher failed; it keeps watching")
