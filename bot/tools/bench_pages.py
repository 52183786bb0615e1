"""`make bench`, the console's pages: every page's time over HTTP with 100,000 stored questions
and 10,000 help requests (the issue's target: under 200 ms a page).

The data is the console data bench's (`bench_console.seed`: a long tail of residents'
wordings, votes and help requests), written to a temporary database; each page is fetched
through the real aiohttp routes (session cookie, rendering and all) `RUNS` times after one
warm-up.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.console.web import COOKIE, NAV, Console, add_console
from bot.helpdesk.routing import EVERYWHERE, StaffScope
from bot.services import Services
from bot.tools.bench_console import FULL, seed

QUESTIONS = FULL.questions
REQUESTS = FULL.requests
VOLUNTEERS = 300
# The notices page lists its 50 newest, each with its progress counted: one went to 100,000.
NOTICES = 50
BIG_NOTICE = 100_000
NOTICE_RECIPIENTS = 2_000
RUNS = 5
TARGET_MS = 200.0
ASKER = StaffScope(municipalities=frozenset({"asker"}))


async def _seed(services: Services) -> None:
    """The console data bench's questions, votes and help requests (one way to fill the
    tables for both benches), plus the volunteers the volunteers page lists."""
    stamp = int(time.time())
    kb = services.knowledge.responder.kb
    await services.db.run_write(lambda connection: seed(connection, kb, stamp))
    await services.db.write_many(
        """INSERT INTO volunteers (user_id, name, area, skills, language, state, registered_at)
           VALUES (?, ?, 'Sentrum', 'groceries', 'nb', ?, ?)""",
        [
            (5000 + n, f"Frivillig{n} Test", "approved" if n % 3 else "pending", stamp)
            for n in range(VOLUNTEERS)
        ],
    )
    await _seed_notices(services, stamp)


async def _seed_notices(services: Services, stamp: int) -> None:
    """Notices being sent, paused and done, with their deliveries in every state."""
    states = ("sending", "paused", "done")
    await services.db.write_many(
        """INSERT INTO notices (id, municipality, texts, languages, state, created_by,
             recipients, created_at, started_at) VALUES (?, 'asker', ?, '["nb", "en"]', ?, 1,
             ?, ?, ?)""",
        [
            (
                n,
                '{"nb": "Kok vannet.", "en": "Boil the water."}',
                states[n % 3],
                BIG_NOTICE if n == 1 else NOTICE_RECIPIENTS,
                stamp - 3600,
                stamp - 3600,
            )
            for n in range(1, NOTICES + 1)
        ],
    )
    outcomes = ("sent", "sent", "sent", "waiting", "failed", "blocked", "unknown")
    await services.db.write_many(
        """INSERT INTO notice_deliveries (notice_id, user_id, municipality, language, state)
           VALUES (?, ?, 'asker', 'nb', ?)""",
        [
            (n, user, outcomes[user % len(outcomes)])
            for n in range(1, NOTICES + 1)
            for user in range(BIG_NOTICE if n == 1 else NOTICE_RECIPIENTS)
        ],
    )


async def _measure(settings: Settings) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        services = Services(replace(settings, data_dir=Path(folder)))
        async with services:
            await _seed(services)

            async def is_staff(user_id: int) -> bool | None:
                return True

            lines = [
                f"Console pages ({QUESTIONS:,} questions, {REQUESTS:,} help requests, "
                f"median and slowest of {RUNS} fetches over HTTP):"
            ]
            # The global staff see every municipality; a municipality's staff only theirs.
            for who, scope in (("global staff", EVERYWHERE), ("Asker's staff", ASKER)):

                async def scope_of(user_id: int, scope: StaffScope = scope) -> StaffScope:
                    return scope

                app = web.Application()
                console = Console(services, is_staff, "http://127.0.0.1", scope_of)
                add_console(app, console)
                token = await services.console_auth.issue_link(1, "Bench", "nb")
                redeemed = await services.console_auth.redeem(token)
                assert redeemed is not None
                lines.append(f"  as the {who}:")
                async with TestClient(TestServer(app)) as client:
                    # The unanswered questions are grouped once after the start: timed on
                    # their own, then the pages (whose CPU time would include it otherwise).
                    started, started_cpu = time.perf_counter(), time.process_time()
                    if console.warming is not None:
                        await console.warming
                    lines.append(
                        f"    grouping the unanswered questions after the start: "
                        f"{time.perf_counter() - started:.1f} s "
                        f"({time.process_time() - started_cpu:.1f} s CPU)"
                    )
                    lines += await _pages(client, {COOKIE: redeemed[0]})
            return lines


async def _pages(
    client: TestClient[web.Request, web.Application], cookies: dict[str, str]
) -> list[str]:
    """Each page's median and slowest time, against the target; its median CPU time (the
    bench's client and the server are one process: what a busy machine cannot inflate by
    making it wait), and the first fetch's (the first of that page since the start)."""
    lines = []
    for name in NAV:
        times, cpu, first = [], [], 0.0
        for run in range(RUNS + 1):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = await client.get(f"/console/{name}", cookies=cookies)
            await response.read()
            assert response.status == 200, (name, response.status)
            elapsed = (time.perf_counter() - started) * 1000
            if run:  # the first fetch warms caches
                times.append(elapsed)
                cpu.append((time.process_time() - started_cpu) * 1000)
            else:
                first = elapsed
        slowest = max(times)
        mark = "ok  " if slowest <= TARGET_MS else "MISS"
        lines.append(
            f"    {mark} {name}: {statistics.median(times):.0f} ms median, "
            f"{slowest:.0f} ms slowest, {statistics.median(cpu):.0f} ms CPU; first fetch "
            f"{first:.0f} ms (target <= {TARGET_MS:g} ms)"
        )
    return lines


def pages_benchmark(settings: Settings) -> list[str]:
    """The report's lines."""
    return asyncio.run(_measure(settings))


def main() -> int:
    """`python -m bot.tools.bench_pages`: the console pages' figures alone (settings from the
    environment, as `python -m bot bench`)."""
    from bot.config import load_settings

    for line in pages_benchmark(load_settings()):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
