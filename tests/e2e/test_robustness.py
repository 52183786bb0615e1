"""Restart safety, 429s, the webhook secret, configuration errors and what reaches the log."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing

import aiohttp
import pytest

from bot.fakeapi import Message
from tests.e2e.conftest import WEBHOOK_SECRET, BotProcess, World
from tests.harness import seeds


def text_of(message: Message) -> str:
    return message.text or ""


async def test_update_fetched_but_not_handled_is_answered_after_kill(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident = world.core, world.resident
    # The bot fetches the update, records it, and stalls sending the reply; then dies.
    stall = core.delay(30.0, "sendMessage", times=1)
    core.inject_text(resident, "innbyggerservice telefon")
    # Fetched and confirmed: from here only the bot's own inbox remembers the update.
    await core.wait_for(lambda: core.pending_update_count == 0, what="the update to be fetched")
    await asyncio.sleep(0.5)  # the reply is now stalled inside sendMessage
    await polling_bot.kill()
    core.remove_fault(stall)
    assert not core.bot_messages(resident)
    await polling_bot.start()
    reply = await core.wait_for_message(resident, timeout=15)
    assert "66 700 000" in text_of(reply)
    await asyncio.sleep(1.0)
    assert len(core.bot_messages(resident)) == 1


QUESTIONS_PER_ROUND = 6


def inbox_state(world: World) -> tuple[set[int], set[int]]:
    """The update ids the bot has recorded, and those it has marked done (committed state)."""
    with closing(sqlite3.connect(f"file:{world.data_dir / 'bot.db'}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT update_id, processed_at FROM inbox").fetchall()
    return {u for u, _ in rows}, {u for u, done in rows if done is not None}


@pytest.mark.soak
async def test_repeated_kills_answer_every_question_and_repeat_only_what_was_on_its_way(
    polling_bot: BotProcess, world: World
) -> None:
    """The guarantee: every question is answered at least once, and an update the bot has
    marked done is never answered again; a second, identical answer comes only for an update
    the kill caught before that commit (its answer on its way). Each kill freezes the bot first
    (SIGSTOP), so what the database holds at that moment can be read exactly."""
    core = world.core
    asked: dict[int, int] = {}  # user id -> update id
    may_repeat: set[int] = set()
    # Rounds of kill -9 at a random moment while residents ask; `make soak` runs many more.
    for round_number in seeds(bounded=3, soak=40):
        rng = random.Random(round_number)
        users = [
            core.add_user(f"R{round_number}-{n}", language_code="nb")
            for n in range(QUESTIONS_PER_ROUND)
        ]
        for user in users:
            injected = core.inject_text(user, "innbyggerservice telefon")
            assert injected.update_id is not None
            asked[user.id] = injected.update_id
        await asyncio.sleep(rng.uniform(0.0, 0.25))  # the random moment of the kill
        assert polling_bot.process is not None
        polling_bot.process.send_signal(signal.SIGSTOP)
        # Frozen, the bot commits nothing more: what is marked done now is what it will know
        # after the restart. An answer on its way may still reach Telegram (the request can
        # be in the socket already), so any update not marked done may be answered again.
        _, done = inbox_state(world)
        may_repeat.update(user.id for user in users if asked[user.id] not in done)
        await polling_bot.kill()
        await polling_bot.start()
        await core.wait_for(
            lambda users=users: all(core.bot_messages(u) for u in users),
            timeout=30,
            what="every answer",
        )
    await core.wait_for(
        lambda: inbox_state(world)[1] >= set(asked.values()), timeout=30, what="all done"
    )
    repeated = sum(len(core.bot_messages(u)) > 1 for u in asked)
    print(f"{len(asked)} questions, {len(may_repeat)} not done at a kill, {repeated} repeated")
    for user_id, update_id in asked.items():
        answers = [m.text for m in core.bot_messages(user_id)]
        assert answers, f"update {update_id} was never answered"
        if user_id in may_repeat:
            assert len(answers) <= 2 and len(set(answers)) == 1, answers
        else:
            assert len(answers) == 1, (update_id, answers)
    with closing(sqlite3.connect(f"file:{world.data_dir / 'bot.db'}?mode=ro", uri=True)) as db:
        per_update = db.execute(
            "SELECT update_id, COUNT(*) FROM questions GROUP BY update_id HAVING COUNT(*) > 1"
        ).fetchall()
    assert per_update == []


async def test_redelivered_update_is_not_answered_twice(
    polling_bot: BotProcess, world: World
) -> None:
    core, resident = world.core, world.resident
    injected = core.inject_text(resident, "innbyggerservice telefon")
    await core.wait_for_message(resident)
    await polling_bot.stop()
    assert injected.update is not None
    core.redeliver(injected.update)  # as if the confirmation never reached Telegram
    await polling_bot.start()
    await core.wait_for(lambda: core.pending_update_count == 0, what="the redelivery")
    core.inject_text(resident, "/help")
    await core.wait_for_message(resident, lambda m: "/municipality" in text_of(m))
    assert sum("66 700 000" in text_of(m) for m in core.bot_messages(resident)) == 1


async def test_429_is_retried_after_retry_after(polling_bot: BotProcess, world: World) -> None:
    core, resident = world.core, world.resident
    core.too_many_requests(retry_after=2, method="sendMessage", times=2)
    core.inject_text(resident, "/help")
    await core.wait_for_message(resident, lambda m: "/municipality" in text_of(m), timeout=20)
    attempts = core.calls_to("sendMessage")
    refused = [c for c in attempts if c.status == 429]
    assert len(refused) == 2
    delivered = next(c for c in attempts if c.ok)
    assert delivered.started - refused[0].finished >= 2 * 2 - 0.1


async def test_webhook_refuses_a_wrong_secret(world: World, tmp_path: object) -> None:
    process = BotProcess(world, webhook=True, log=world.data_dir.parent / "webhook.log")
    await process.start()
    try:
        core = world.core
        injected = core.inject_text(world.resident, "/help")
        await core.wait_for_message(world.resident)
        assert injected.update is not None
        forged = dict(injected.update, update_id=injected.update["update_id"] + 1000)
        wrong = await core.post_webhook_update(forged, secret_token="not-the-secret")
        missing = await core.post_webhook_update(forged, secret_token=None)
        assert (wrong.status, missing.status) == (403, 403)
        good = await core.post_webhook_update(forged, secret_token=WEBHOOK_SECRET)
        assert good.status == 200
    finally:
        await process.stop()


MALFORMED_BODIES = [
    b"",
    b"not json",
    b'{"update_id": NaN, "message": {"text": "SECRET-TEXT-1"}}',
    b'{"update_id": "7", "message": {"text": "SECRET-TEXT-2"}}',
    b"[1, 2, 3]",
    b'{"update_id": 77, "message": {"message_id": "x", "text": "SECRET-TEXT-3"}}',
    b"\xff\xfe\x00",
]


async def test_webhook_answers_400_to_what_is_not_an_update_and_stores_none(
    world: World,
) -> None:
    process = BotProcess(world, webhook=True, log=world.data_dir.parent / "webhook.log")
    await process.start()
    try:
        core = world.core
        assert core.webhook is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with aiohttp.ClientSession() as session:
            statuses = []
            for body in MALFORMED_BODIES:
                async with session.post(core.webhook.url, data=body, headers=headers) as answer:
                    statuses.append(answer.status)
        assert statuses == [400] * len(MALFORMED_BODIES)
        # A real update afterwards is stored and answered as usual.
        core.inject_text(world.resident, "/help")
        await core.wait_for_message(world.resident, lambda m: "/municipality" in text_of(m))
    finally:
        await process.stop()
    with closing(sqlite3.connect(world.data_dir / "bot.db")) as db:
        stored = [u for (u,) in db.execute("SELECT update_id FROM inbox")]
    assert 77 not in stored and "7" not in stored and len(stored) == 1
    assert "SECRET-TEXT" not in process.output()


async def test_token_and_messages_never_reach_the_log(world: World) -> None:
    process = BotProcess(
        world,
        webhook=False,
        log=world.data_dir.parent / "debug.log",
        extra_env={"LOG_LEVEL": "DEBUG"},
    )
    await process.start()
    try:
        core = world.core
        core.inject_text(world.resident, "mitt telefonnummer er 98765432, kan noen handle for meg?")
        await core.wait_for_message(world.resident)
        core.inject_text(world.resident, "/help")
        await core.wait_for_message(world.resident, lambda m: "/municipality" in text_of(m))
    finally:
        await process.stop()
    log = process.output()
    assert core.token not in log
    assert core.token.split(":")[1] not in log
    assert "98765432" not in log
    assert "Kari" not in log


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "123:" + "a" * 35, "STAFF_CHAT_ID": "staff"}, "STAFF_CHAT_ID"),
        (
            {"TELEGRAM_BOT_TOKEN": "123:" + "a" * 35, "TELEGRAM_BASE_URL": "nope"},
            "TELEGRAM_BASE_URL",
        ),
        ({"TELEGRAM_BOT_TOKEN": "123:" + "a" * 35, "RETENTION_DAYS": "-3"}, "RETENTION_DAYS"),
        ({"TELEGRAM_BOT_TOKEN": "123:" + "a" * 35, "VOLUNTEER_CHAT_ID": "-100"}, "STAFF_CHAT_ID"),
    ],
)
def test_bad_setting_is_one_line_naming_it_with_status_2(env: dict[str, str], name: str) -> None:
    result = run_cli("run", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr


def test_webhook_mode_needs_its_settings() -> None:
    result = run_cli("run", "--webhook", env={"TELEGRAM_BOT_TOKEN": "123:" + "a" * 35})
    assert result.returncode == 2
    assert "WEBHOOK_URL" in result.stderr
    assert "Traceback" not in result.stderr
