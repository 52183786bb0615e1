"""Urgent notices sent from a process of their own, so that they do not slow residents' answers.

On a thread of the bot's process, a notice's JSON and HTTP work (hundreds of sends a second)
held the GIL that the bot's event loop, database writer and reader threads need at each step
of an answer: Python hands the GIL over only every 5 ms (`sys.getswitchinterval`), so each
step of an answer could wait that long, and the answer's p99 was 3.5x as long during a send.
The notice process (started with `spawn`, so it shares nothing with the bot but what is
passed to it) has its own interpreter, event loop, aiohttp session and SQLite connection. It
runs at the bot's CPU priority: at a lower one (nice +10), on a busy machine, the bench's
answers were slower during a send than with it at the same priority (p50 20 -> 183 ms),
since a process descheduled while it holds SQLite's write lock holds up the answers' writes.

What stays the bot's:
- the at-most-once record is the same SQLite rows (`Notices.claim` commits a batch "sending"
  before any send, `Notices.record` commits the answers after), written by the process on its
  own connection with `BEGIN IMMEDIATE` and a busy timeout; pause, resume, cancel and erasure
  reach it through those rows, as before. It does not write while residents' updates are
  being handled (at most `noticeworker.ANSWERS_FIRST_MAX_SECONDS`), so answers' writes go first.
- the overall limit: each tenth of a second's share is asked of the bot's rate limiter over
  the pipe (`ChatRateLimiter.low_priority_share`, on the bot's loop, with its answers-first
  rules); the bot tells the process each chat held after a 429, and the process tells the bot
  of each 429 it gets (the metrics count them).
- the counts "residents' updates being handled" and "answers waiting for the limit" are two
  integers in shared memory (`Signals`) that the bot's loop writes and the process reads
  before each notice, as the thread read them before.
- each notice's text is rendered by the bot (the knowledge base and the catalogue are there),
  once per notice, language and municipality, and asked for over the pipe.

If the bot dies (`kill -9`), the kernel kills the process too (PR_SET_PDEATHSIG; it also
stops when the pipe to the bot closes), so a crash leaves at most its one claimed batch
"sending", as the README says. If the process dies alone, the bot reconciles that batch to
"unknown" (never sent again) and starts another.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import RawArray
from pathlib import Path
from typing import Any

from bot.notices.service import Delivery, Notices, Result
from bot.storage.db import Database
from bot.tg.noticeworker import BatchSender, answers_first
from bot.tg.ratelimit import ChatRateLimiter
from bot.tg.rawsend import RawSender
from bot.tg.redact import RedactToken
from bot.types import Lang

logger = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
# A stop lets the batch on its way finish for this long (Runtime.stop cancels again after 1 s);
# one still going then is killed, and its rows are "unknown" at the next start.
STOP_SECONDS = 0.8
RESTART_SECONDS = 1.0
PR_SET_PDEATHSIG = 1

# (notice id, the resident's language or None, the municipality) -> the text, or None.
Render = Callable[[int, Lang | None, str | None], Awaitable[str | None]]


@dataclass(frozen=True)
class ProcessConfig:
    """What the notice process needs: passed to it, since only bot/config.py reads the
    environment."""

    database: Path
    base_url: str
    token: str = field(repr=False)
    rate_per_second: float
    concurrency: int
    batch: int
    # Whether the bot has an overall limit to ask shares of.
    limited: bool
    log_level: str = "INFO"


class Signals:
    """Two counts in shared memory, written by the bot's loop, read by the notice process."""

    def __init__(self, array: Any = None) -> None:
        self.array = array if array is not None else RawArray(ctypes.c_longlong, 2)

    def set_handling(self, value: int) -> None:
        self.array[0] = value

    def set_urgent(self, value: int) -> None:
        self.array[1] = value

    def handling(self) -> int:
        return int(self.array[0])

    def urgent(self) -> int:
        return int(self.array[1])


class NoticeProcess:
    """The bot's side: starts the process, answers its questions, stops it."""

    def __init__(
        self,
        config: ProcessConfig,
        limiter: ChatRateLimiter | None,
        render: Render,
        reconcile: Callable[[], Awaitable[int]],
    ) -> None:
        self.config = config
        self.limiter = limiter
        self.render = render
        self.reconcile = reconcile
        self.signals = Signals()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._gone: asyncio.Event = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        # Set by close() or by cancelling run(): a process that stops then is not replaced.
        self.stopping = False
        # Set once the running process has its database open (cleared at each start).
        self.ready: asyncio.Event = asyncio.Event()

    @property
    def pid(self) -> int | None:
        """The running notice process's id, if one runs."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def attach(self, processor: Any) -> None:
        """Publish the bot's counts to the process from now on."""
        processor.on_handling = self.signals.set_handling
        self.signals.set_handling(int(processor.handling))
        if self.limiter is not None:
            self.limiter.on_urgent = self.signals.set_urgent
            self.limiter.on_hold = self._hold
            self.signals.set_urgent(self.limiter.urgent_waiting)

    async def run(self) -> None:
        """Keep the process running until cancelled; then stop it."""
        try:
            while not self._stop_asked():
                self._start()
                await self._gone.wait()
                if self._stop_asked():
                    break  # close() stopped it: none is started after
                code = await asyncio.to_thread(self._join, STOP_SECONDS)
                if self._process is not None and self._process.is_alive():
                    self._process.kill()  # its pipe is gone: it sends nothing more
                    code = await asyncio.to_thread(self._join, None)
                logger.error("the notice process stopped (exit code %s); starting another", code)
                # Its batch on the way, if any, may or may not have gone: never sent again.
                await self.reconcile()
                await asyncio.sleep(RESTART_SECONDS)
        except asyncio.CancelledError:
            self.stopping = True
            raise
        finally:
            await self.close()

    def _stop_asked(self) -> bool:
        # A method, not the attribute: it changes while run() awaits.
        return self.stopping

    def wake(self) -> None:
        """A notice started or resumed: the process need not wait for its timer."""
        self._send(("wake",))

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=child_main,
            args=(self.config, theirs, self.signals.array, os.getpid()),
            name="notice-sender",
            daemon=True,
        )
        process.start()
        theirs.close()
        self._process, self._conn = process, mine
        self._gone = asyncio.Event()
        self.ready.clear()
        asyncio.get_running_loop().add_reader(mine.fileno(), self._readable)
        if self.limiter is not None:
            for chat, until in list(self.limiter.held_until.items()):
                if isinstance(chat, int):
                    self._hold(chat, until)

    def _join(self, timeout: float | None) -> int | None:
        process = self._process
        if process is None:
            return None
        process.join(timeout)
        return process.exitcode

    def _hold(self, chat: object, until: float) -> None:
        if isinstance(chat, int):
            self._send(("hold", chat, until))

    def _send(self, message: tuple[Any, ...]) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            conn.send(message)
        except OSError:
            self._lost()

    def _lost(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            asyncio.get_running_loop().remove_reader(conn.fileno())
            conn.close()
        self._gone.set()

    def _readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            while conn.poll():
                self._dispatch(conn.recv())
        except (EOFError, OSError):
            self._lost()

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            self.ready.set()
            return
        if kind == "retry_after":
            counted = self.limiter.on_retry_after if self.limiter is not None else None
            if counted is not None:
                counted()
            return
        if kind == "share":
            self._answer(message[1], self._share(int(message[2])))
        elif kind == "text":
            self._answer(message[1], self.render(message[2], message[3], message[4]))

    def _answer(self, request: int, work: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                value = await work
            except Exception:
                # Its own kind of reply: None is "no such notice", for good; this is not.
                logger.exception("could not answer the notice process")
                self._send(("reply", request, None, "error"))
                return
            self._send(("reply", request, value))

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _share(self, wanted: int) -> int:
        if self.limiter is None or self.limiter.overall is None:
            return max(1, wanted)
        return await self.limiter.low_priority_share(wanted)

    async def close(self) -> None:
        """Ask the process to stop; one that does not within STOP_SECONDS is killed."""
        self.stopping = True
        if self._closing:
            return
        self._closing = True
        process = self._process
        try:
            self._send(("stop",))
            if process is not None:
                await asyncio.to_thread(process.join, STOP_SECONDS)
                if process.is_alive():
                    logger.warning("the notice process did not stop in time; killed")
                    process.kill()
                    await asyncio.to_thread(process.join, STOP_SECONDS)
        finally:
            # Also when a cancellation (Runtime.stop cancels twice) left a join above: no
            # await here, so nothing can skip it, and no process is left running.
            if process is not None and process.is_alive():
                process.kill()
            if self._conn is not None:
                self._lost()
            for task in self._tasks:
                task.cancel()
            if self.limiter is not None:
                self.limiter.on_urgent = None
                self.limiter.on_hold = None


# -- in the notice process ------------------------------------------------------------------


def child_main(config: ProcessConfig, conn: Connection, shared: Any, parent: int) -> None:
    """The notice process: dies with the bot, sends until told to stop or the bot is gone."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        return  # the bot died before the line above: nothing is sent
    level = logging.getLevelName(config.log_level)
    logging.basicConfig(
        level=max(level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("bot").setLevel(level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(config.token))
    # The bot stops it over the pipe, not a terminal's Ctrl-C nor the SIGTERM a platform
    # (a Procfile's, systemd's control group) sends the whole group: that would kill it
    # mid-batch. The bot's death is covered by PDEATHSIG and the pipe's EOF.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    asyncio.run(_Child(config, conn, Signals(shared)).run())


class AskFailed(Exception):
    """The bot could not answer a question (a render error, say): ask again later."""


class _Child:
    def __init__(self, config: ProcessConfig, conn: Connection, signals: Signals) -> None:
        self.config = config
        self.conn = conn
        self.signals = signals
        self.held: dict[int, float] = {}
        self.texts: dict[tuple[int, Lang | None, str | None], str | None] = {}
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self.raw = RawSender(config.base_url, config.token, config.concurrency)
        self.sender = BatchSender(
            self.raw,
            config.rate_per_second,
            config.concurrency,
            signals.handling,
            signals.urgent,
            self._ask_share if config.limited else None,
            self.held,
            lambda: self._tell(("retry_after",)),
        )

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.conn.fileno(), self._readable)
        db = Database(self.config.database)
        await db.open()
        self._tell(("ready",))
        notices = Notices(db)
        try:
            while not self._stopping:
                try:
                    sent = await self._round(notices)
                except Exception:
                    logger.exception("notice round failed; trying again")
                    sent = 0
                if sent or self._stopping:
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_SECONDS):
                        await self._wake.wait()
        finally:
            loop.remove_reader(self.conn.fileno())
            await self.raw.close()
            await db.close()

    async def _round(self, notices: Notices) -> int:
        """Claim, send and record one batch, as the bot's loop did; returns how many."""
        await self._answers_first()
        claimed = await notices.claim(self.config.batch)
        if not claimed:
            return 0
        batch: list[tuple[Delivery, str]] = []
        results: list[Result] = []
        later: list[Delivery] = []
        for delivery in claimed:
            try:
                text = await self._text(delivery)
            except AskFailed:
                later.append(delivery)  # not this resident's fault: no attempt counted
                continue
            if text is None:
                results.append(Result(delivery, "failed", error="no such notice"))
            else:
                batch.append((delivery, text))
        results += await self.sender.send(batch)
        await self._answers_first()
        if later:
            await notices.release(later)
        await notices.record(results)
        # Only put back: the loop waits its idle time before trying them again.
        return len(claimed) - len(later)

    async def _answers_first(self) -> None:
        """The process's writes wait while residents' updates are handled (bounded)."""
        await answers_first(self.signals.handling)

    async def _text(self, delivery: Delivery) -> str | None:
        key = (delivery.notice_id, delivery.language, delivery.municipality)
        if key not in self.texts:
            # An AskFailed is not cached: the next round asks again.
            self.texts[key] = await self._ask("text", *key)
        return self.texts[key]

    async def _ask_share(self, wanted: int) -> int:
        try:
            share = await self._ask("share", wanted)
        except AskFailed:
            return 1
        return max(1, int(share)) if share is not None else 1

    async def _ask(self, kind: str, *args: Any) -> Any:
        request = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[request] = future
        try:
            self._tell((kind, request, *args))
            return await future
        finally:
            self._replies.pop(request, None)

    def _tell(self, message: tuple[Any, ...]) -> None:
        try:
            self.conn.send(message)
        except OSError:
            self._gone()

    def _gone(self) -> None:
        """The bot is gone: nothing more is sent (its rows are reconciled at its start)."""
        logger.warning("the bot closed the notice process's pipe; stopping now")
        os._exit(1)

    def _readable(self) -> None:
        try:
            while self.conn.poll():
                self._dispatch(self.conn.recv())
        except (EOFError, OSError):
            self._gone()

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "reply":
            future = self._replies.get(message[1])
            if future is not None and not future.done():
                if len(message) > 3 and message[3] == "error":
                    future.set_exception(AskFailed())
                else:
                    future.set_result(message[2])
        elif kind == "hold":
            chat, until = int(message[1]), float(message[2])
            self.held[chat] = max(self.held.get(chat, 0.0), until)
            if len(self.held) > 1024:  # forget holds long past
                now = time.monotonic()
                for key in [k for k, t in self.held.items() if t <= now]:
                    del self.held[key]
        elif kind == "wake":
            self._wake.set()
        elif kind == "stop":
            self._stopping = True
            self._wake.set()
