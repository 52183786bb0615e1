"""The live knowledge base: loaded at start, reloaded on request or when files change.

A reload that finds errors keeps the last good knowledge base answering and reports what is
wrong, so a staff member's broken edit never takes the bot down or half-loads.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.responder import Responder
from bot.kb.loader import LoadResult, Problem, load_knowledge

logger = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


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


class KnowledgeService:
    """Holds the current `Responder`; `reload` swaps it only for an error-free load."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._fingerprint: Fingerprint = ()
        result = load_knowledge(root)
        self._fingerprint = fingerprint(root) if root.is_dir() else ()
        for problem in result.errors:
            logger.error("knowledge base: %s", problem)
        # At start there is no earlier version to keep, so answer from whatever loaded.
        self.responder = Responder(result.kb)
        self.last_result: LoadResult = result
        settle_memory()

    async def reload(self) -> ReloadOutcome:
        """Load the folder again; apply it only if it has no errors."""
        self._fingerprint = fingerprint(self.root) if self.root.is_dir() else ()
        result = await asyncio.to_thread(load_knowledge, self.root)
        if result.errors:
            logger.warning("knowledge reload refused: %d error(s)", len(result.errors))
            return ReloadOutcome(
                False, len(self.responder.kb.entries), result.errors, result.warnings
            )
        responder = await asyncio.to_thread(Responder, result.kb)
        gc.unfreeze()  # the old knowledge base may now be collected
        self.responder = responder
        self.last_result = result
        settle_memory()
        logger.info("knowledge reloaded: %d entries", len(result.kb.entries))
        return ReloadOutcome(True, len(result.kb.entries), [], result.warnings)

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
