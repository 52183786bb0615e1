"""End to end: the bot as a subprocess against the local Bot API over HTTP. Staff write and send
a notice in the staff chat; kill -9 in the middle of the send, then a restart: nobody gets the
notice twice, and whoever did not get it is recorded as "unknown" (README: Urgent notices)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from bot.fakeapi import Message
from bot.messages import say
from bot.tg.notices import MAX_BATCH
from tests.e2e.conftest import BotProcess, World

SUBSCRIBERS = 300
NOTICE = "Kokevarsel: kok vannet i ett minutt før du drikker det."


def database(world: World) -> sqlite3.Connection:
    return sqlite3.connect(world.data_dir / "bot.db", timeout=10)


def subscribe_directly(world: World, user_ids: list[int]) -> None:
    """What /municipality asker and /subscribe store, written straight into the database."""
    now = int(time.time())
    with closing(database(world)) as db, db:
        db.executemany(
            """INSERT INTO residents (user_id, municipality, created_at, updated_at)
               VALUES (?, 'asker', ?, ?)""",
            [(user_id, now, now) for user_id in user_ids],
        )
        db.executemany(
            """INSERT INTO subscriptions (user_id, municipality, active, updated_at)
               VALUES (?, 'asker', 1, ?)""",
            [(user_id, now) for user_id in user_ids],
        )


def delivery_states(world: World) -> dict[int, str]:
    with closing(sqlite3.connect(f"file:{world.data_dir / 'bot.db'}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT user_id, state FROM notice_deliveries").fetchall())


def notice_state(world: World) -> str | None:
    with closing(sqlite3.connect(f"file:{world.data_dir / 'bot.db'}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT state FROM notices").fetchone()
        return str(row[0]) if row else None


async def in_staff_chat(world: World, text: str, reply_to: Message | None = None) -> Message:
    world.core.inject_text(world.staff, text, chat=world.staff_chat, reply_to=reply_to)
    return await world.core.wait_for_message(
        world.staff_chat, lambda m: not (m.text or "").startswith("📢 Notice #"), timeout=15
    )


async def test_kill_9_in_the_middle_of_a_notice_gives_nobody_a_second_copy(
    world: World, tmp_path: Path
) -> None:
    core = world.core
    process = BotProcess(
        world, webhook=False, log=tmp_path / "bot.log", extra_env={"NOTICE_RATE_PER_SECOND": "40"}
    )
    await process.start()
    try:
        residents = [
            core.add_user(f"R{n}", user_id=50_000 + n, language_code="nb")
            for n in range(SUBSCRIBERS)
        ]
        for resident in residents:
            core.open_chat(resident)
        subscribe_directly(world, [r.id for r in residents])
        # One more subscribes the way residents do: the offer under the municipality's
        # confirmation.
        core.inject_text(world.resident, "/municipality asker")
        chosen = await core.wait_for_message(world.resident, timeout=15)
        core.press_button(world.resident, chosen, text=say("button_notices_yes", "nb"))
        await core.wait_for(
            lambda: (
                "🔔" in (core.get_message(world.resident, chosen.message_id).text or "")
                and not core.get_message(world.resident, chosen.message_id).button_texts[1:]
            ),
            timeout=15,
            what="the subscription",
        )
        residents.append(world.resident)
        first = await in_staff_chat(world, "/notice asker")
        second = await in_staff_chat(world, NOTICE, reply_to=first)
        core.inject_text(
            world.staff, "Boil notice: boil water.", chat=world.staff_chat, reply_to=second
        )
        confirm = await core.wait_for_message(
            world.staff_chat, lambda m: any(t.startswith("📤") for t in m.button_texts), timeout=15
        )
        assert f"goes to {SUBSCRIBERS + 1} residents" in (confirm.text or "")
        core.press_button(
            world.staff, confirm, text=say("button_notice_send", "en", count=str(SUBSCRIBERS + 1))
        )

        def received() -> dict[int, int]:
            return {
                r.id: sum("Kokevarsel" in (m.text or "") for m in core.bot_messages(r))
                for r in residents
            }

        await core.wait_for(
            lambda: sum(received().values()) >= SUBSCRIBERS // 5, timeout=30, what="a fifth sent"
        )
        await process.kill()
        assert sum(received().values()) < SUBSCRIBERS, "the send was over before the kill"
        await process.start()
        await core.wait_for(lambda: notice_state(world) == "done", timeout=60, what="the notice")
        copies = received()
        states = delivery_states(world)
        assert max(copies.values()) == 1, "somebody got the notice twice"
        missing = {user_id for user_id, count in copies.items() if count == 0}
        unknown = {user_id for user_id, state in states.items() if state == "unknown"}
        # The README's guarantee: at most once; only a batch on its way at the kill is unknown,
        # and everyone who did not get it is among those.
        assert missing <= unknown
        assert len(unknown) <= MAX_BATCH
        assert {u for u, s in states.items() if s == "sent"} == {
            u for u, c in copies.items() if c == 1
        } - unknown
        progress = [
            m for m in core.bot_messages(world.staff_chat) if "📢 Notice #" in (m.text or "")
        ]
        assert progress, "no progress message in the staff chat"
        print(f"{len(unknown)} unknown after the kill, {len(missing)} without the notice")
    finally:
        await process.stop()
