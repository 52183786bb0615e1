"""The end-to-end figure of `make bench`: the whole bot process against the local Bot API.

The real `python -m bot run` answers residents through python-telegram-bot, over HTTP, against
the local stand-in served from this process. Beside it, in the same run and the same way, a
minimal PTB echo bot sets the floor of what the stack itself costs on this machine: the ratio
between the two is the figure to compare across machines.

- throughput: a burst of questions from many residents, answered as fast as the bot can;
- latency: questions at a steady 300 a second, from arrival to the bot's reply;
- memory: the bot process's peak RSS (VmHWM).
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
STEADY_RATE = 300
STEADY_SECONDS = 10
TARGETS = {"rate": 300.0, "p99_ms": 50.0, "rss_mb": 150.0}
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
    command: Sequence[str], env: dict[str, str], harness: _Harness
) -> dict[str, float]:
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
        burst_seconds = time.perf_counter() - started
        harness.reset()

        total = STEADY_RATE * STEADY_SECONDS
        started = time.perf_counter()
        for index in range(total):
            due = started + index / STEADY_RATE
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            harness.ask(index, QUESTIONS[(index * 7) % len(QUESTIONS)])
        await harness.wait_replies(total, 300)
        latencies = sorted(harness.latencies)
        return {
            "rate": BURST / burst_seconds,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
            "rss_mb": _peak_rss_mb(process.pid),
        }
    finally:
        process.terminate()
        await process.wait()
        await server.stop()


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
        ours = await _measure([sys.executable, "-m", "bot", "run"], env, _Harness())
        echo = await _measure([sys.executable, "-c", ECHO_BOT], env, _Harness())
    return ours, echo


def bot_benchmark(settings: Settings) -> list[str]:
    """Run both bots and return the report lines."""
    ours, echo = asyncio.run(_run(settings))
    lines = [
        "The bot end to end (PTB over HTTP against the local Bot API; echo = bare PTB floor)",
        f"{'bot':>8} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'RSS MB':>8}",
    ]
    for name, figures in (("ours", ours), ("echo", echo)):
        lines.append(
            f"{name:>8} {figures['rate']:>10.0f} {figures['p50_ms']:>8.1f} "
            f"{figures['p99_ms']:>8.1f} {figures['rss_mb']:>8.0f}"
        )
    ratios = [ours[k] / echo[k] for k in ("rate", "p50_ms", "p99_ms", "rss_mb")]
    lines.append(f"{'ratio':>8} {ratios[0]:>9.2f}x " + " ".join(f"{r:>7.2f}x" for r in ratios[1:]))
    lines.append("")
    lines.append("Targets:")
    for key, label, better in (
        ("rate", "updates/s", "higher"),
        ("p99_ms", "p99 ms at 300 updates/s", "lower"),
        ("rss_mb", "peak RSS MB", "lower"),
    ):
        value, limit = ours[key], TARGETS[key]
        ok = value >= limit if better == "higher" else value <= limit
        sign = ">=" if better == "higher" else "<="
        lines.append(f"  {'ok  ' if ok else 'MISS'} {label}: {value:.1f} (target {sign} {limit:g})")
    return lines
