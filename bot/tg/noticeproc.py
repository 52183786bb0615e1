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
"sending", as the README says. If the process dies alone, the bot records what it handed
back, reconciles the rest of that batch to "unknown" (never sent again) and starts another,
1 s later, doubling to 60 s while it keeps dying (`Backoff`).

A stop (the bot stopping) hands back at once every delivery not yet on its way ("untried":
waiting again) and records each one on its way as it ends; after `STOP_SECONDS` the process
is killed and only those still on their way are "unknown". A `record` that fails is tried
again (`RECORD_TRIES`); if it keeps failing, the process hands its results to the bot, which
records them on its own connection or reconciles them, and exits.

Both ends write to the pipe from a thread of their own through a bounded queue
(`PipeWriter`): a process that does not read (stopped, stuck) never blocks the bot's loop.
The process's logs and any output of its own (a traceback, a fatal error) go over the pipe
and the bot logs them, redacted first (`redact`: the token, residents' ids and the notices'
texts never leave the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
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
from bot.types import Lang

logger = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
# A stop lets the sends on their way finish for this long (Runtime.stop cancels again after
# 1 s); one still going then is killed, and its rows are "unknown".
STOP_SECONDS = 0.8
# After a death: 1 s, doubling to 60 s while it keeps dying; back to 1 s once one has run
# this long.
RESTART_SECONDS = 1.0
MAX_RESTART_SECONDS = 60.0
HEALTHY_SECONDS = 60.0
# A failed record is tried this many times, this long apart (doubling), before the process
# hands its results to the bot and exits.
RECORD_TRIES = 4
RECORD_RETRY_SECONDS = 0.05
# A question to the bot not answered in this long (a reply lost to a full queue) fails.
ASK_SECONDS = 30.0
# Messages waiting for the pipe, at each end; more are dropped (a process that reads nothing
# this long is stuck, and a stuck one is killed at the stop).
QUEUE_SIZE = 10_000
FLUSH_SECONDS = 0.5
PR_SET_PDEATHSIG = 1
EXIT_RECORD_FAILED = 3
EXIT_CRASHED = 4

# (notice id, the resident's language or None, the municipality) -> the text, or None.
Render = Callable[[int, Lang | None, str | None], Awaitable[str | None]]
RecordResults = Callable[[list[Result]], Awaitable[object]]

# Residents' Telegram ids are long numbers: none reaches a log from the process.
_LONG_NUMBER = re.compile(r"\d{5,}")


def redact(text: str, token: str, texts: Iterable[str] = ()) -> str:
    """`text` without the bot token, residents' ids or any line of a notice's text."""
    if token:
        text = text.replace(token, "<token>")
    for known in texts:
        for line in known.splitlines():
            if len(line.strip()) >= 8 and line in text:
                text = text.replace(line, "<text>")
    return _LONG_NUMBER.sub("<id>", text)


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


class Backoff:
    """How long to wait before starting another process after one died."""

    def __init__(
        self,
        first: float = RESTART_SECONDS,
        most: float = MAX_RESTART_SECONDS,
        healthy: float = HEALTHY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first, self.most, self.healthy, self.clock = first, most, healthy, clock
        self._next = first
        self._started_at: float | None = None

    def started(self) -> None:
        self._started_at = self.clock()

    def died(self) -> float:
        """The wait before the next start: doubled at each death, reset by a long run."""
        if self._started_at is not None and self.clock() - self._started_at >= self.healthy:
            self._next = self.first
        wait, self._next = self._next, min(self.most, self._next * 2)
        return wait


class PipeWriter:
    """Sends on a connection from a thread of its own, through a bounded queue, so that the
    loop that writes never waits for the other end to read. `put(urgent=True)` (the stop, the
    results handed back) goes first and is never dropped for a full queue."""

    def __init__(self, conn: Connection, on_lost: Callable[[], None], size: int = QUEUE_SIZE):
        self.conn = conn
        self.on_lost = on_lost
        self.size = size
        self.dropped = 0
        self._queue: deque[tuple[Any, ...]] = deque()
        self._urgent: deque[tuple[Any, ...]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="notice-pipe", daemon=True)
        self._thread.start()

    def put(self, message: tuple[Any, ...], urgent: bool = False) -> bool:
        """Queue `message`; False when it was dropped (closed, or the queue is full)."""
        with self._ready:
            if self._closed:
                return False
            if urgent:
                self._urgent.append(message)
            elif len(self._queue) >= self.size:
                self.dropped += 1
                return False
            else:
                self._queue.append(message)
            self._ready.notify()
            return True

    def close(self) -> None:
        """Send what is queued, then end (the thread ends by itself)."""
        with self._ready:
            self._closed = True
            self._ready.notify()

    def flush(self, timeout: float) -> None:
        """Close, and wait (at most `timeout`) until everything queued is sent."""
        self.close()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not (self._urgent or self._queue or self._closed):
                    self._ready.wait()
                if self._urgent:
                    message = self._urgent.popleft()
                elif self._queue:
                    message = self._queue.popleft()
                else:
                    return  # closed, and everything sent
            try:
                self.conn.send(message)
            except (OSError, ValueError):
                self.on_lost()
                return


class NoticeProcess:
    """The bot's side: starts the process, answers its questions, stops it."""

    def __init__(
        self,
        config: ProcessConfig,
        limiter: ChatRateLimiter | None,
        render: Render,
        reconcile: Callable[[], Awaitable[int]],
        record: RecordResults | None = None,
        on_restart: Callable[[], None] = lambda: None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        backoff: Backoff | None = None,
        stop_seconds: float = STOP_SECONDS,
    ) -> None:
        self.config = config
        self.limiter = limiter
        self.render = render
        self.reconcile = reconcile
        self.record = record
        self.on_restart = on_restart
        self.sleep = sleep
        self.backoff = backoff or Backoff()
        self.stop_seconds = stop_seconds
        self.restarts = 0
        # How each process ended (a negative number: killed by that signal), for the record.
        self.exit_codes: list[int | None] = []
        self.signals = Signals()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._writer: PipeWriter | None = None
        self._dropped = 0  # messages dropped since the process last read
        self._gone: asyncio.Event = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._recording: set[asyncio.Task[None]] = set()
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
                self.backoff.started()
                await self._gone.wait()
                if self._stop_asked():
                    break  # close() stopped it: none is started after
                code = await asyncio.to_thread(self._join, STOP_SECONDS)
                if self._process is not None and self._process.is_alive():
                    self._process.kill()  # its pipe is gone: it sends nothing more
                    code = await asyncio.to_thread(self._join, None)
                self.exit_codes.append(code)
                wait = self.backoff.died()
                # Every time, not only the first: a process dying again and again is news.
                logger.error(
                    "the notice process stopped (exit code %s); starting another in %.0f s",
                    code,
                    wait,
                )
                await self._settle()
                self.restarts += 1
                self.on_restart()
                await self.sleep(wait)
        except asyncio.CancelledError:
            self.stopping = True
            raise
        finally:
            await self.close()

    async def _settle(self) -> None:
        """After a death: record what it handed back, then its batch still "sending" may or
        may not have gone: "unknown", never sent again. Before another starts (whose claim
        a reconcile would catch too), and tried until it works: no row stays "sending"."""
        if self._recording:
            await asyncio.gather(*self._recording, return_exceptions=True)
        wait = RESTART_SECONDS
        while not self._stop_asked():
            try:
                await self.reconcile()
                return
            except Exception:
                logger.exception("could not reconcile the notice process's batch; again")
            await self.sleep(wait)
            wait = min(MAX_RESTART_SECONDS, wait * 2)

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
        loop = asyncio.get_running_loop()

        def lost() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to tell
                loop.call_soon_threadsafe(self._lost, mine)

        self._writer = PipeWriter(mine, lost)
        self._gone = asyncio.Event()
        self.ready.clear()
        loop.add_reader(mine.fileno(), self._readable)
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

    def _send(self, message: tuple[Any, ...], urgent: bool = False) -> None:
        writer = self._writer
        if writer is None or self._conn is None:
            return
        if not writer.put(message, urgent) and not urgent:
            # Not read for QUEUE_SIZE messages: stuck. Its question times out there. One
            # warning as it sticks and one count when it reads again, not one for each.
            if not self._dropped:
                logger.warning("the notice process reads nothing; what it is told is dropped")
            self._dropped += 1
        elif self._dropped:
            self._dropped_summary()

    def _dropped_summary(self) -> None:
        if self._dropped:
            logger.warning(
                "the notice process reads again; %d messages were dropped", self._dropped
            )
            self._dropped = 0

    def _lost(self, conn: Connection | None = None) -> None:
        current = self._conn
        if current is None or (conn is not None and conn is not current):
            return  # an earlier process's pipe
        # Cleared first: a question in what is read below gets no answer (nobody to read it),
        # and nothing counts as dropped.
        self._conn = None
        # A failed write may come before the read of what the process sent as it went (its
        # results handed back, its last logs): read that first, or it is lost.
        with contextlib.suppress(EOFError, OSError):
            while current.poll():
                self._dispatch(current.recv())
        self._dropped_summary()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(current.fileno())
        current.close()
        self.ready.clear()
        self._gone.set()

    def _readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            while conn.poll():
                self._dispatch(conn.recv())
        except (EOFError, OSError):
            self._lost(conn)

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            self.ready.set()
            return
        if kind == "log":
            self._log(int(message[1]), str(message[2]))
            return
        if kind == "unrecorded":
            self._take_over(list(message[1]))
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

    def _log(self, level: int, text: str) -> None:
        # Redacted there already; again here, in case anything reached it another way.
        logger.log(level, "notice process: %s", redact(text, self.config.token))

    def _take_over(self, results: list[Result]) -> None:
        """The process could not record these: the bot records them on its own connection
        (or, failing that, the reconcile after its exit makes them "unknown")."""
        record = self.record
        if record is None or not results:
            return

        async def run() -> None:
            try:
                await record(results)
            except Exception:
                logger.exception("could not record the notice process's %d results", len(results))

        task = asyncio.create_task(run())
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)

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
        """Ask the process to stop; one that does not within STOP_SECONDS is killed, and the
        rows it left "sending" (its sends on their way then) are reconciled."""
        self.stopping = True
        if self._closing:
            return
        self._closing = True
        process = self._process
        try:
            # Urgent: a full queue (a process not reading) does not drop the stop.
            self._send(("stop",), urgent=True)
            if process is not None:
                await asyncio.to_thread(process.join, self.stop_seconds)
                if process.is_alive():
                    logger.warning("the notice process did not stop in time; killed")
                    process.kill()
                    await asyncio.to_thread(process.join, STOP_SECONDS)
                self.exit_codes.append(process.exitcode)
                # Its last words (results handed back, logs) are read before the pipe closes.
                self._readable()
                if self._recording:
                    await asyncio.gather(*self._recording, return_exceptions=True)
                try:
                    await self.reconcile()
                except Exception:
                    logger.exception("could not reconcile the notice process's last sends")
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


class _PipeLog(logging.Handler):
    """The process's log records, formatted and redacted, to the bot, which logs them."""

    def __init__(self, writer: PipeWriter, redacting: Callable[[str], str]) -> None:
        super().__init__()
        self.writer = writer
        self.redacting = redacting
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.redacting(self.format(record))
        except Exception:
            text = f"{record.name}: (a log record that could not be formatted)"
        # Dropped when the queue is full: a log is never worth blocking or dying for.
        self.writer.put(("log", record.levelno, text))


def _capture_output(writer: PipeWriter, redacting: Callable[[str], str]) -> None:
    """Whatever the process writes to stdout or stderr (a traceback Python prints, a fatal
    error) goes to the bot as log lines, redacted, instead of the terminal."""
    read, write = os.pipe()
    os.dup2(write, 1)
    os.dup2(write, 2)
    os.close(write)

    def forward() -> None:
        with os.fdopen(read, "r", errors="replace") as lines:
            for line in lines:
                writer.put(("log", logging.WARNING, "output: " + redacting(line.rstrip())))

    threading.Thread(target=forward, name="notice-output", daemon=True).start()


def child_main(config: ProcessConfig, conn: Connection, shared: Any, parent: int) -> None:
    """The notice process: dies with the bot, sends until told to stop or the bot is gone."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        return  # the bot died before the line above: nothing is sent
    # The bot stops it over the pipe, not a terminal's Ctrl-C nor the SIGTERM a platform
    # (a Procfile's, systemd's control group) sends the whole group: that would kill it
    # mid-batch. The bot's death is covered by PDEATHSIG and the pipe's EOF.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = _Child(config, conn, Signals(shared))
    _capture_output(child.writer, child.redact)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    level = logging.getLevelName(config.log_level)
    root.addHandler(_PipeLog(child.writer, child.redact))
    root.setLevel(max(level, logging.INFO))
    logging.getLogger("bot").setLevel(level)
    code = 0
    try:
        asyncio.run(child.run())
    except RecordFailed:
        code = EXIT_RECORD_FAILED
    except BaseException:
        logger.exception("the notice process failed")
        code = EXIT_CRASHED
    child.writer.flush(FLUSH_SECONDS)
    os._exit(code)  # not Python's exit: the daemon threads may still hold the pipes


class AskFailed(Exception):
    """The bot could not answer a question (a render error, say): ask again later."""


class RecordFailed(Exception):
    """The database would not take a batch's results: handed to the bot, and the process
    exits."""


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
        self._stop = asyncio.Event()
        self._stopping = False
        self._release_owed = False
        self.writer = PipeWriter(conn, self._gone)
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
        self.notices: Notices | None = None

    def redact(self, text: str) -> str:
        return redact(text, self.config.token, [t for t in self.texts.values() if t])

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.conn.fileno(), self._readable)
        db = Database(self.config.database)
        await db.open()
        self._tell(("ready",))
        notices = self.notices = Notices(db)
        try:
            while not self._stopping:
                try:
                    sent = await self._round(notices)
                except RecordFailed:
                    raise
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
            with contextlib.suppress(Exception):
                await db.close()

    async def _round(self, notices: Notices) -> int:
        """Claim, send and record one batch, as the bot's loop did; returns how many."""
        await self._answers_first()
        if self._release_owed:
            # An earlier claim failed and so did its put-back: done before anything new is
            # claimed (a failure here fails the round, tried again the next one).
            await notices.release_all()
            self._release_owed = False
        try:
            claimed = await notices.claim(self.config.batch)
        except Exception:
            # It may have committed before failing (a failed fsync): between rounds none of
            # this process's sends is on its way, so every row "sending" is untried.
            self._release_owed = True
            with contextlib.suppress(Exception):
                await notices.release_all()
                self._release_owed = False
            raise
        if not claimed:
            return 0
        batch: list[tuple[Delivery, str]] = []
        first: list[Result] = []
        unanswered: set[tuple[int, Lang | None, str | None]] = set()
        try:
            for delivery in claimed:
                key = (delivery.notice_id, delivery.language, delivery.municipality)
                if self._stop.is_set() or key in unanswered:
                    # Asked once this round and not answered: not asked (and waited for)
                    # again for each delivery with the same text; the next round asks.
                    first.append(Result(delivery, "untried"))
                    continue
                try:
                    text = await self._text(delivery)
                except AskFailed:
                    # Not this resident's fault: waiting again, no attempt counted.
                    unanswered.add(key)
                    first.append(Result(delivery, "untried"))
                    continue
                if text is None:
                    first.append(Result(delivery, "failed", error="no such notice"))
                else:
                    batch.append((delivery, text))
        except Exception:
            logger.exception("could not prepare a batch of notices; put back")
            decided = {r.delivery for r in first}
            rest = [Result(d, "untried") for d in claimed if d not in decided]
            await self._record(first + rest, wait=False)
            return 0
        if first:
            try:
                await self._record(first, wait=False)
            except RecordFailed:
                # None of the batch was tried: handed back too, or the reconcile after the
                # exit would make them "unknown", never sent.
                untried = [Result(d, "untried") for d, _ in batch]
                if untried:
                    self.writer.put(("unrecorded", untried), urgent=True)
                raise
        tried = 0

        async def record(results: list[Result]) -> None:
            nonlocal tried
            tried += sum(1 for r in results if r.outcome != "untried")
            await self._record(results)

        await self.sender.run(batch, record, self._stop, notices.still_claimed)
        # Only put back (every check failed, say, the database's reads failing): the loop
        # waits its idle time before claiming them again, not at once at the pace's rate.
        return sum(1 for r in first if r.outcome != "untried") + tried

    async def _record(self, results: list[Result], wait: bool = True) -> None:
        """Record a batch's answers, trying again a few times; when the database will not
        take them, hand them to the bot and stop (RecordFailed)."""
        if not results:
            return
        notices = self.notices
        assert notices is not None
        if wait and not self._stop.is_set():
            await self._answers_first()
        pause = RECORD_RETRY_SECONDS
        for attempt in range(1, RECORD_TRIES + 1):
            try:
                await notices.record(results)
                return
            except Exception as exc:
                logger.warning(
                    "could not record %d notice results (%s), try %d of %d",
                    len(results),
                    type(exc).__name__,
                    attempt,
                    RECORD_TRIES,
                )
            if attempt < RECORD_TRIES:
                await asyncio.sleep(pause)
                pause *= 2
        logger.error("the database will not take the notice results; handing them to the bot")
        self.writer.put(("unrecorded", results), urgent=True)
        raise RecordFailed()

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
        # A stop is not kept waiting for the answer (up to ASK_SECONDS): the parent would kill
        # the process at STOP_SECONDS with the whole claimed batch "sending".
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            self._tell((kind, request, *args))
            async with asyncio.timeout(ASK_SECONDS):
                await asyncio.wait({future, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not future.done():
                raise AskFailed()  # stopped
            return future.result()
        except TimeoutError as exc:
            raise AskFailed() from exc
        finally:
            stopped.cancel()
            self._replies.pop(request, None)

    def _tell(self, message: tuple[Any, ...]) -> None:
        # Dropped when the queue is full (the bot reads nothing): a question then times out.
        self.writer.put(message)

    def _gone(self) -> None:
        """The bot is gone: nothing more is sent (its rows are reconciled at its start)."""
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
            self._stop.set()
            self._wake.set()
