"""The end-to-end figure of `make bench`: the whole bot process against the local Bot API.

The real `python -m bot run` answers residents through python-telegram-bot, over HTTP, against
the local stand-in served from this process. Beside it, in the same run and the same way, a
minimal PTB echo bot sets the floor of what the stack itself costs on this machine: the ratio
between the two is the figure to compare across machines.

- the maximum sustained rate: a burst of questions from many residents, answered as fast as
  the bot can (its capacity; any steady rate above it only grows a queue);
- latency at a fixed offered rate of half the echo bot's maximum, the same for both bots, from
  a question's arrival to the bot's reply: at saturation queueing alone decides latency, so
  it is measured where neither bot is saturated;
- memory: the bot process's peak RSS (VmHWM);
- in-process, a getUpdates batch admitted into the durable update queue (recorded in the
  inbox and queued, as polling does it) beside one commit per update in a row, the way it
  was done before: the ratio between the two.
The goals are ratios to the echo bot: at least 0.8x its maximum rate, and a p99 at most 1.5x
its p99 at the fixed rate.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings

USERS = 500
BURST = 3000
STEADY_SECONDS = 10
# Ratios to the echo bot: ours / echo for the rate (higher is better), for p99 (lower is
# better); and the bot's own peak RSS.
RATE_RATIO_MIN = 0.8
P99_RATIO_MAX = 1.5
RSS_MB_MAX = 150.0
QUESTIONS = (
    "kan jeg få utsatt betalingsfristen på fakturaen?",
    "hvordan blir jeg frivillig i nyby",
    "innbyggerservice telefon",
    "hva gjør politiet i påsken",
    "er det nok smittevernutstyr",
    "når går neste tog til Oslo?",
    "hei",
    "trenger noen som kan handle for meg",
    "sårbare barn skoleplass",
    "how bad is the corona situation now",
)

ECHO_BOT = """
import os
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await update.effective_message.reply_text(update.effective_message.text)

app = (
    ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
    .base_url(os.environ["TELEGRAM_BASE_URL"]).concurrent_updates(128).build()
)
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling()
"""


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of a process, in MB (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class _Harness:
    """The local Bot API, the residents, and the clock on every reply."""

    def __init__(self) -> None:
        from bot.fakeapi import FakeTelegram

        self.core = FakeTelegram(call_log_limit=1000)
        self.users = [
            self.core.add_user(f"Resident {n}", user_id=10_000 + n, language_code="nb")
            for n in range(USERS)
        ]
        self.sent: dict[int, deque[float]] = {u.id: deque() for u in self.users}
        self.latencies: list[float] = []
        self.replies = 0
        self.core.add_listener(self._on_event)

    def _on_event(self, event: Any) -> None:
        if event.kind != "message" or event.chat_id not in self.sent:
            return
        queue = self.sent[event.chat_id]
        if queue:
            self.latencies.append((time.perf_counter() - queue.popleft()) * 1000)
        self.replies += 1

    def ask(self, index: int, text: str) -> None:
        user = self.users[index % len(self.users)]
        self.sent[user.id].append(time.perf_counter())
        self.core.inject_text(user, text)

    async def wait_replies(self, count: int, seconds: float) -> None:
        await self.core.wait_for(lambda: self.replies >= count, timeout=seconds, what="replies")

    def reset(self) -> None:
        self.latencies.clear()
        self.replies = 0
        for queue in self.sent.values():
            queue.clear()


async def _measure(
    command: Sequence[str], env: dict[str, str], harness: _Harness, fixed_rate: float | None
) -> dict[str, float]:
    """Start a bot, measure its maximum rate, then its latency at `fixed_rate` (None: half its
    own maximum, for the echo bot)."""
    from bot.fakeapi.server import FakeTelegramServer

    server = FakeTelegramServer(harness.core)
    url = await server.start()
    process = await asyncio.create_subprocess_exec(
        *command,
        env={**env, "TELEGRAM_BOT_TOKEN": harness.core.token, "TELEGRAM_BASE_URL": url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await harness.core.wait_for(lambda: harness.core.polling, timeout=30, what="polling")
        # Warm up: every resident chooses Asker, so questions get real answers.
        for index in range(USERS):
            harness.ask(index, "/municipality asker")
        await harness.wait_replies(USERS, 120)
        harness.reset()

        started = time.perf_counter()
        for index in range(BURST):
            harness.ask(index, QUESTIONS[index % len(QUESTIONS)])
        await harness.wait_replies(BURST, 300)
        rate = BURST / (time.perf_counter() - started)
        harness.reset()

        offered = fixed_rate if fixed_rate is not None else rate / 2
        total = max(1, int(offered * STEADY_SECONDS))
        started = time.perf_counter()
        for index in range(total):
            due = started + index / offered
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            harness.ask(index, QUESTIONS[(index * 7) % len(QUESTIONS)])
        await harness.wait_replies(total, 300)
        latencies = sorted(harness.latencies)
        return {
            "rate": rate,
            "offered": offered,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
            "rss_mb": _peak_rss_mb(process.pid),
        }
    finally:
        process.terminate()
        await process.wait()
        await server.stop()


ADMIT_BATCH = 100
ADMIT_ROUNDS = 3


async def _admit_batch(background: bool, first_id: int) -> float:
    """Seconds to admit one polled batch into the durable update queue: as PTB's updater puts
    it, until every update is recorded and queued (what the next getUpdates waits for)."""
    from telegram import Bot, Update

    from bot.storage import Database
    from bot.storage.records import Inbox
    from bot.tg.processing import DurableUpdateQueue

    bot = Bot("123456:ABCdefGhIJKlmNoPQRsTUVwxyZ")
    updates = []
    for n in range(first_id, first_id + ADMIT_BATCH):
        person = {"id": n, "is_bot": False, "first_name": "R"}
        message = {"message_id": 1, "date": 0, "chat": {"id": n, "type": "private"}}
        data = {"update_id": n, "message": {**message, "from": person, "text": "hei"}}
        update = Update.de_json(data, bot)
        assert update is not None
        updates.append(update)
    with tempfile.TemporaryDirectory(prefix="bench-admit-") as folder:
        async with Database(Path(folder) / "bot.db") as db:
            queue = DurableUpdateQueue(set())
            queue.inbox = Inbox(db)
            queue.background = background
            started = time.perf_counter()
            for update in updates:
                await queue.put(update)
            await queue.settled()
            seconds = time.perf_counter() - started
            assert queue.qsize() == ADMIT_BATCH
    return seconds


async def _admission() -> tuple[float, float]:
    """The median of a few rounds: (one commit each in a row, the whole batch together)."""
    serial, together = [], []
    for _ in range(ADMIT_ROUNDS):
        serial.append(await _admit_batch(False, 1))
        together.append(await _admit_batch(True, 1))
    return statistics.median(serial), statistics.median(together)


async def _run(settings: Settings) -> tuple[dict[str, float], dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-bot-") as data:
        env = {
            **os.environ,
            "DATA_DIR": data,
            "KNOWLEDGE_DIR": str(settings.knowledge_dir),
            "SEND_RATE_PER_SECOND": "0",
            "GROUP_RATE_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
        }
        echo = await _measure([sys.executable, "-c", ECHO_BOT], env, _Harness(), None)
        ours = await _measure(
            [sys.executable, "-m", "bot", "run"], env, _Harness(), echo["offered"]
        )
    return ours, echo


def bot_benchmark(settings: Settings) -> list[str]:
    """Run both bots and return the report lines."""
    ours, echo = asyncio.run(_run(settings))
    offered = echo["offered"]
    lines = [
        "The bot end to end (PTB over HTTP against the local Bot API; echo = bare PTB floor)",
        f"{'bot':>8} {'max/s':>8} {f'p50 ms @{offered:.0f}/s':>14} "
        f"{f'p99 ms @{offered:.0f}/s':>14} {'RSS MB':>8}",
    ]
    for name, figures in (("ours", ours), ("echo", echo)):
        lines.append(
            f"{name:>8} {figures['rate']:>8.0f} {figures['p50_ms']:>14.1f} "
            f"{figures['p99_ms']:>14.1f} {figures['rss_mb']:>8.0f}"
        )
    ratios = {k: ours[k] / echo[k] for k in ("rate", "p50_ms", "p99_ms", "rss_mb")}
    lines.append(
        f"{'ratio':>8} {ratios['rate']:>7.2f}x {ratios['p50_ms']:>13.2f}x "
        f"{ratios['p99_ms']:>13.2f}x {ratios['rss_mb']:>7.2f}x"
    )
    serial, together = asyncio.run(_admission())
    lines.append(
        f"a polled batch of {ADMIT_BATCH} admitted: {together * 1000:.0f} ms recorded together, "
        f"{serial * 1000:.0f} ms with one commit each in a row ({serial / together:.1f}x)"
    )
    lines += ["", "Targets:"]
    for ok, text in (
        (
            ratios["rate"] >= RATE_RATIO_MIN,
            f"maximum rate: {ratios['rate']:.2f}x the echo bot's (target >= {RATE_RATIO_MIN}x)",
        ),
        (
            ratios["p99_ms"] <= P99_RATIO_MAX,
            f"p99 at {offered:.0f}/s: {ratios['p99_ms']:.2f}x the echo bot's "
            f"(target <= {P99_RATIO_MAX}x)",
        ),
        (
            ours["rss_mb"] <= RSS_MB_MAX,
            f"peak RSS: {ours['rss_mb']:.0f} MB (target <= {RSS_MB_MAX:g} MB)",
        ),
    ):
        lines.append(f"  {'ok  ' if ok else 'MISS'} {text}")
    return lines
