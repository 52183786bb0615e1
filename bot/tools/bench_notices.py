"""The notices figure of `make bench`: one notice to 100,000 subscribed residents through the
local Bot API, with the bot's send rate and the local API's overall limit both at 2,000 a
second, while other residents keep asking questions.

The real `python -m bot run` is the subprocess; staff write and send the notice in the staff
chat as they would. Reported, in one run:
- messages a second while the notice goes out (first to last notice message), beside the
  2,000 allowed (notices are paced to four fifths of it, the rest kept for answers);
- duplicates: residents who got the notice more than once (must be 0);
- the p50 and p99 of a resident's answer during the send, beside the same questions at the
  same rate with no notice going out, just before it;
- the bot's peak RSS (VmHWM), its notice process's added.

`--cpu` sends the notice with no questions and reports the CPU each notice message costs the
bot, on its event loop (the thread residents' answers share), on its other threads and in its
notice process (bot/tg/noticeproc.py), from /proc: CPU seconds, so a busy machine changes
them far less than the timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.tg.ratelimit import RESERVED_SHARE
from bot.tools.bench_bot import QUESTIONS, _peak_rss_mb

SUBSCRIBERS = 100_000
RATE = 2000
ASKERS = 200
# Questions a second from the askers, in both phases.
QUESTION_RATE = float(os.environ.get("BENCH_QUESTION_RATE", "20"))
BASELINE_SECONDS = 10.0
STAFF_CHAT_ID = -1001000000001
FIRST_SUBSCRIBER = 1_000_000
NOTICE_TEXT = "Kokevarsel: kok vannet i ett minutt før du drikker det."


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


class _Harness:
    """The local Bot API, the subscribers, the askers and the clock on every answer."""

    def __init__(self, subscribers: int) -> None:
        from bot.fakeapi import FakeTelegram
        from bot.fakeapi.faults import RateLimits

        self.core = FakeTelegram(call_log_limit=1000)
        self.core.enable_rate_limits(
            RateLimits(overall=(RATE, 1.0), private_chat=(30, 1.0), group_chat=(600, 60.0))
        )
        self.staff = self.core.add_user("Siri", user_id=3001, language_code="nb")
        self.staff_chat = self.core.add_group(
            "Staff", chat_id=STAFF_CHAT_ID, members={self.staff: "administrator"}
        )
        self.askers = [
            self.core.add_user(f"Asker {n}", user_id=10_000 + n, language_code="nb")
            for n in range(ASKERS)
        ]
        self.subscribers = range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + subscribers)
        for user_id in self.subscribers:
            self.core.open_chat(self.core.add_user("R", user_id=user_id, language_code="nb"))
        self.asked: dict[int, deque[float]] = {u.id: deque() for u in self.askers}
        self.latencies: list[float] = []
        self.answers = 0
        self.notices: Counter[int] = Counter()
        self.first_notice = 0.0
        self.last_notice = 0.0
        self.core.add_listener(self._on_event)

    def _on_event(self, event: Any) -> None:
        if event.kind != "message" or event.chat_id is None:
            return
        if event.chat_id >= FIRST_SUBSCRIBER:
            now = time.perf_counter()
            self.first_notice = self.first_notice or now
            self.last_notice = now
            self.notices[event.chat_id] += 1
            return
        queue = self.asked.get(event.chat_id)
        if queue:
            self.latencies.append((time.perf_counter() - queue.popleft()) * 1000)
            self.answers += 1

    def ask(self, index: int) -> None:
        user = self.askers[index % len(self.askers)]
        self.asked[user.id].append(time.perf_counter())
        self.core.inject_text(user, QUESTIONS[(index * 7) % len(QUESTIONS)])

    async def ask_at_rate(self, seconds: float | None, until: Any = None) -> int:
        """Questions at QUESTION_RATE for `seconds`, or while `until()` is false."""
        started = time.perf_counter()
        index = 0
        while True:
            if seconds is not None and time.perf_counter() - started >= seconds:
                break
            if until is not None and until():
                break
            delay = started + index / QUESTION_RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.ask(index)
            index += 1
        return index

    def reset(self) -> None:
        self.latencies.clear()
        self.answers = 0


async def _prepare_database(data: Path, harness: _Harness) -> None:
    """The schema by the bot's migrations, then the residents as /subscribe stores them."""
    from bot.storage import Database

    async with Database(data / "bot.db"):
        pass
    now = int(time.time())
    with sqlite3.connect(data / "bot.db") as db:
        db.executemany(
            """INSERT INTO residents (user_id, municipality, created_at, updated_at)
               VALUES (?, 'asker', ?, ?)""",
            [(u, now, now) for u in (*[a.id for a in harness.askers], *harness.subscribers)],
        )
        db.executemany(
            """INSERT INTO subscriptions (user_id, municipality, active, updated_at)
               VALUES (?, 'asker', 1, ?)""",
            [(u, now) for u in harness.subscribers],
        )


async def _send_notice(harness: _Harness) -> None:
    """Staff write the notice in the staff chat and press Send, as in the README."""
    core, staff, chat = harness.core, harness.staff, harness.staff_chat
    core.inject_text(staff, "/notice asker", chat=chat)
    first = await core.wait_for_message(chat, timeout=30)
    core.inject_text(staff, NOTICE_TEXT, chat=chat, reply_to=first)
    second = await core.wait_for_message(chat, timeout=30)
    core.inject_text(staff, "Boil notice: boil the water.", chat=chat, reply_to=second)
    confirm = await core.wait_for_message(
        chat, lambda m: any(t.startswith("📤") for t in m.button_texts), timeout=60
    )
    button = next(t for t in confirm.button_texts if t.startswith("📤"))
    core.press_button(staff, confirm, text=button)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(stat: str) -> float:
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children(pid: int) -> set[int]:
    """A process's child processes (the notice process)."""
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids.update(int(kid) for kid in (task / "children").read_text().split())
        except OSError:
            continue  # a thread that ended meanwhile
    return kids


def _peak_rss_with_children_mb(pid: int) -> float:
    """VmHWM of a process and of each of its child processes, summed, in MB."""
    return _peak_rss_mb(pid) + sum(_peak_rss_mb(kid) for kid in _children(pid))


def _thread_cpu(pid: int) -> tuple[float, float, float]:
    """CPU seconds so far of a process's main thread (its event loop), of its other threads,
    and of its child processes (the notice process), each child's threads all counted."""
    main = others = children = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # a thread that ended meanwhile
        used = _cpu_seconds(stat)
        if task.name == str(pid):
            main += used
        else:
            others += used
    for kid in _children(pid):
        try:
            children += _cpu_seconds(Path(f"/proc/{kid}/stat").read_text())
        except OSError:
            continue  # a child that ended meanwhile
    return main, others, children


async def _run(subscribers: int, knowledge: Path, cpu: bool = False) -> dict[str, float]:
    from bot.fakeapi.server import FakeTelegramServer

    harness = _Harness(subscribers)
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as folder:
        data = Path(folder)
        await _prepare_database(data, harness)
        server = FakeTelegramServer(harness.core)
        url = await server.start()
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": harness.core.token,
            "TELEGRAM_BASE_URL": url,
            "DATA_DIR": str(data),
            "KNOWLEDGE_DIR": str(knowledge),
            "STAFF_CHAT_ID": str(STAFF_CHAT_ID),
            "SEND_RATE_PER_SECOND": str(RATE),
            "GROUP_RATE_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
            # Its console and health server on a free port: another bot on this machine
            # may hold the default one, and the bot would not start.
            "PORT": os.environ.get("PORT") or str(_free_port()),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *os.environ.get("BENCH_PROFILE_ARGS", "").split(),
            "-m",
            "bot",
            "run",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            core = harness.core
            await core.wait_for(lambda: core.polling, timeout=60, what="polling")
            if cpu:
                return await _cpu_per_message(harness, process.pid)
            # Warm up, then the baseline: the same questions at the same rate, no notice.
            await harness.ask_at_rate(2.0)
            await core.wait_for(lambda: not any(harness.asked.values()), timeout=60)
            harness.reset()
            asked = await harness.ask_at_rate(BASELINE_SECONDS)
            await core.wait_for(lambda: harness.answers >= asked, timeout=60, what="answers")
            quiet = list(harness.latencies)
            harness.reset()

            await _send_notice(harness)
            await core.wait_for(lambda: harness.first_notice > 0, timeout=60, what="a notice")
            # Questions while the notice goes out; answers counted only for those asked then.
            everyone = len(harness.subscribers)
            asked = await harness.ask_at_rate(
                None, until=lambda: sum(harness.notices.values()) >= everyone * 0.98
            )
            await core.wait_for(lambda: harness.answers >= asked, timeout=120, what="answers")
            during = list(harness.latencies)
            await core.wait_for(
                lambda: len(harness.notices) >= everyone, timeout=600, what="every notice"
            )
            # Anything more would be a duplicate: give it a moment to show.
            await asyncio.sleep(2.0)
            sent = sum(harness.notices.values())
            seconds = harness.last_notice - harness.first_notice
            return {
                "subscribers": float(everyone),
                "sent": float(sent),
                "rate": sent / seconds if seconds > 0 else float("nan"),
                "seconds": seconds,
                "duplicates": float(sum(1 for n in harness.notices.values() if n > 1)),
                "quiet_p50": statistics.median(quiet),
                "quiet_p99": _percentile(quiet, 0.99),
                "during_p50": statistics.median(during),
                "during_p99": _percentile(during, 0.99),
                "answers_during": float(len(during)),
                "rss_mb": _peak_rss_with_children_mb(process.pid),
            }
        finally:
            process.terminate()
            await process.wait()
            await server.stop()


async def _cpu_per_message(harness: _Harness, pid: int) -> dict[str, float]:
    """The notice alone, no questions: the bot's CPU per message, by thread."""
    core, everyone = harness.core, len(harness.subscribers)
    await _send_notice(harness)
    await core.wait_for(lambda: harness.first_notice > 0, timeout=60, what="a notice")
    main0, others0, children0 = _thread_cpu(pid)
    sent0 = sum(harness.notices.values())
    await core.wait_for(lambda: len(harness.notices) >= everyone, timeout=1800, what="all")
    main1, others1, children1 = _thread_cpu(pid)
    sent = max(1, sum(harness.notices.values()) - sent0)
    await asyncio.sleep(2.0)  # a duplicate would show now
    seconds = harness.last_notice - harness.first_notice
    return {
        "subscribers": float(everyone),
        "sent": float(sent),
        "rate": sum(harness.notices.values()) / seconds if seconds > 0 else float("nan"),
        "duplicates": float(sum(1 for n in harness.notices.values() if n > 1)),
        "loop_us": (main1 - main0) / sent * 1e6,
        "others_us": (others1 - others0) / sent * 1e6,
        "children_us": (children1 - children0) / sent * 1e6,
        "rss_mb": _peak_rss_with_children_mb(pid),
    }


def cpu_benchmark(subscribers: int, knowledge: Path = DEFAULT_KNOWLEDGE_DIR) -> list[str]:
    """`--cpu`: the report lines of the notice's CPU per message."""
    f = asyncio.run(_run(subscribers, knowledge, cpu=True))
    return [
        f"A notice to {f['subscribers']:.0f} subscribed residents, no questions: the bot's CPU "
        f"per message over {f['sent']:.0f} messages",
        f"  event loop (shared with answers): {f['loop_us']:.0f} us; "
        f"other threads: {f['others_us']:.0f} us; "
        f"the notice process: {f['children_us']:.0f} us",
        f"  {f['rate']:.0f} messages/s; duplicates: {f['duplicates']:.0f} (must be 0); "
        f"peak RSS of the bot (with its notice process): {f['rss_mb']:.0f} MB",
    ]


def notices_benchmark(
    subscribers: int = SUBSCRIBERS, knowledge: Path = DEFAULT_KNOWLEDGE_DIR
) -> list[str]:
    """Run the notice send and return the report lines."""
    f = asyncio.run(_run(subscribers, knowledge))
    return [
        f"A notice to {f['subscribers']:.0f} subscribed residents (bot and local Bot API at "
        f"{RATE}/s; {QUESTION_RATE:g} questions/s from {ASKERS} other residents meanwhile)",
        f"  sent {f['sent']:.0f} in {f['seconds']:.1f} s: {f['rate']:.0f} messages/s "
        f"({f['rate'] / RATE:.0%} of the {RATE}/s allowed; notices are paced to "
        f"{RATE * (1 - RESERVED_SHARE):.0f}/s, the rest kept for answers)",
        f"  duplicates: {f['duplicates']:.0f} (must be 0)",
        f"  answer p50/p99: {f['quiet_p50']:.1f}/{f['quiet_p99']:.1f} ms with no notice, "
        f"{f['during_p50']:.1f}/{f['during_p99']:.1f} ms during the send "
        f"({f['answers_during']:.0f} answers)",
        f"  peak RSS of the bot (with its notice process): {f['rss_mb']:.0f} MB",
        f"  {'ok  ' if f['duplicates'] == 0 else 'MISS'} no resident got the notice twice",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.tools.bench_notices [--subscribers N] [--cpu]`."""
    parser = argparse.ArgumentParser(prog="python -m bot.tools.bench_notices")
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS)
    parser.add_argument("--cpu", action="store_true", help="the CPU per message, no questions")
    args = parser.parse_args(argv)
    lines = cpu_benchmark(args.subscribers) if args.cpu else notices_benchmark(args.subscribers)
    for line in lines:
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
