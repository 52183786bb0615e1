"""Subscriptions: asked once after a municipality is chosen, /subscribe and /unsubscribe in the
resident's language, shown in /privacy and erased by /forgetme."""

from __future__ import annotations

import re
from pathlib import Path

from bot.messages import say
from tests.inprocess import LiveBot, live_bot


def plain(key: str, lang: str = "nb", **values: str) -> str:
    """A catalogue text as the resident reads it, tags dropped."""
    return re.sub(r"<[^>]+>", "", say(key, lang, **values))  # type: ignore[arg-type]


async def subscribed(bot: LiveBot) -> list[str]:
    return await bot.runtime.subscriptions.active(bot.resident.id)


async def test_choosing_a_municipality_asks_once_and_yes_subscribes(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        greeting = await bot.send(bot.resident, "/start")
        bot.core.press_button(bot.resident, greeting, text="Asker kommune")
        offer = plain("notices_offer", name="Asker kommune")
        await bot.core.wait_for(
            lambda: offer in (bot.core.get_message(bot.resident, greeting.message_id).text or ""),
            what="the notices offer",
        )
        shown = bot.core.get_message(bot.resident, greeting.message_id)
        assert say("button_notices_yes", "nb") in shown.button_texts
        bot.core.press_button(bot.resident, shown, text=say("button_notices_yes", "nb"))
        done = plain("notices_subscribed", name="Asker kommune")
        await bot.core.wait_for(
            lambda: done in (bot.core.get_message(bot.resident, greeting.message_id).text or ""),
            what="the subscription to be confirmed",
        )
        assert await subscribed(bot) == ["asker"]
        # Chosen again: not asked again.
        again = await bot.send(bot.resident, "/municipality asker")
        assert offer not in (again.text or "")
        assert say("button_notices_yes", "nb") not in again.button_texts


async def test_no_is_kept_and_not_asked_again(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        chosen = await bot.send(bot.resident, "/municipality asker")
        bot.core.press_button(bot.resident, chosen, text=say("button_notices_no", "nb"))
        declined = plain("notices_declined")
        await bot.core.wait_for(
            lambda: declined in (bot.core.get_message(bot.resident, chosen.message_id).text or ""),
            what="the no to be kept",
        )
        assert await subscribed(bot) == []
        assert await bot.runtime.subscriptions.choice(bot.resident.id, "asker") is False
        again = await bot.send(bot.resident, "/municipality asker")
        assert say("button_notices_no", "nb") not in again.button_texts


async def test_subscribe_and_unsubscribe_commands_in_the_residents_language(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.send(bot.resident, "/language sv")
        needs = await bot.send(bot.resident, "/subscribe")
        assert needs.text == plain("notices_need_municipality", "sv")
        await bot.send(bot.resident, "/municipality ockero")
        on = await bot.send(bot.resident, "/subscribe")
        assert on.text == plain("notices_subscribed", "sv", name="Öckerö kommun")
        assert await subscribed(bot) == ["ockero"]
        off = await bot.send(bot.resident, "/unsubscribe")
        assert off.text == plain("notices_unsubscribed", "sv")
        assert await subscribed(bot) == []
        again = await bot.send(bot.resident, "/unsubscribe")
        assert again.text == plain("notices_not_subscribed", "sv")


async def test_privacy_tells_and_forgetme_erases_the_subscription(tmp_path: Path) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.send(bot.resident, "/municipality asker")
        await bot.send(bot.resident, "/subscribe")
        privacy = await bot.send(bot.resident, "/privacy")
        assert "/unsubscribe" in (privacy.text or "")
        asked = await bot.send(bot.resident, "/forgetme")
        done = await bot.press(bot.resident, asked, asked.button_texts[0])
        assert done.text == plain("forget_done")
        rows = await bot.runtime.db.fetchval(
            "SELECT COUNT(*) FROM subscriptions WHERE user_id = ?", (bot.resident.id,)
        )
        assert rows == 0
