"""Real python-telegram-bot against the fake: in-process, HTTP polling and HTTP webhook."""

from __future__ import annotations

import html
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.fakeapi import FakeRequest, FakeTelegram, Message, User, serve

Context = ContextTypes.DEFAULT_TYPE

# PTB's own RetryAfter constructor warns that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


async def start(update: Update, context: Context) -> None:
    assert update.message is not None and update.effective_user is not None
    await context.bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await update.message.reply_chat_action(ChatAction.TYPING)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Sweden", callback_data="se")],
            [InlineKeyboardButton("Norway", callback_data="no")],
        ]
    )
    name = html.escape(update.effective_user.first_name)
    await update.message.reply_html(f"<b>Welcome</b>, {name} &amp; co!", reply_markup=keyboard)


async def choose(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"Chose {query.data}", show_alert=True)
    await query.edit_message_text(f"You chose <i>{query.data}</i>", parse_mode=ParseMode.HTML)


async def ask_phone(update: Update, context: Context) -> None:
    assert update.message is not None
    button = KeyboardButton("Share my number", request_contact=True)
    markup = ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)
    await update.message.reply_text("May we call you?", reply_markup=markup)


async def got_contact(update: Update, context: Context) -> None:
    assert update.message is not None and update.message.contact is not None
    phone = update.message.contact.phone_number
    await update.message.reply_text(
        f"Thanks, we will call {phone}", reply_markup=ReplyKeyboardRemove()
    )


async def staff_reply(update: Update, context: Context) -> None:
    assert update.message is not None and update.effective_user is not None
    await update.message.reply_text(f"Noted, {update.effective_user.first_name}")


async def echo(update: Update, context: Context) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def add_handlers(app: Application[Any, Any, Any, Any, Any, Any], errors: list[Exception]) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("phone", ask_phone))
    app.add_handler(CallbackQueryHandler(choose))
    app.add_handler(MessageHandler(filters.CONTACT, got_contact))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.REPLY, staff_reply))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))

    async def on_error(update: object, context: Context) -> None:
        assert context.error is not None
        errors.append(context.error)

    app.add_error_handler(on_error)


@asynccontextmanager
async def running(
    app: Application[Any, Any, Any, Any, Any, Any], webhook: dict[str, Any] | None = None
) -> AsyncIterator[None]:
    async with app:
        await app.start()
        assert app.updater is not None
        if webhook is None:
            await app.updater.start_polling()
        else:
            await app.updater.start_webhook(**webhook)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


def in_process(
    core: FakeTelegram, errors: list[Exception]
) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(core.token)
        .request(FakeRequest(core))
        .get_updates_request(FakeRequest(core))
        .build()
    )
    add_handlers(app, errors)
    return app


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that retry_after will become a timedelta
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def conversation(core: FakeTelegram, ann: User) -> None:
    """The scenario every transport must pass."""
    core.inject_text(ann, "/start")
    welcome = await core.wait_for_message(ann)
    assert welcome.text == "Welcome, Ann & co!"
    assert welcome.raw_text == "<b>Welcome</b>, Ann &amp; co!"
    assert welcome.entities == [{"offset": 0, "length": 7, "type": "bold"}]
    assert welcome.button_texts == ["Sweden", "Norway"]
    assert [a.action for a in core.chat_actions] == ["typing"]
    assert [c["command"] for c in core.commands()] == ["start", "help"]

    core.press_button(ann, welcome, text="Norway")
    await core.wait_for(lambda: welcome.history, what="the keyboard message to be edited")
    assert welcome.text == "You chose no"
    assert welcome.inline_keyboard == []
    [answer] = core.callback_answers
    assert (answer.text, answer.show_alert) == ("Chose no", True)

    core.inject_text(ann, "is the library open?")
    assert (await core.wait_for_message(ann)).text == "is the library open?"


async def test_in_process_conversation(core: FakeTelegram) -> None:
    errors: list[Exception] = []
    ann = core.add_user("Ann", language_code="sv")
    async with running(in_process(core, errors)):
        await conversation(core, ann)

        core.inject_text(ann, "/phone")
        question = await core.wait_for_message(ann)
        assert question.reply_markup is not None
        assert question.reply_markup["keyboard"][0][0]["request_contact"] is True
        core.tap_reply_button(ann, "Share my number")
        thanks = await core.wait_for_message(ann)
        assert thanks.text is not None and thanks.text.startswith("Thanks, we will call +4670")
        assert core.active_reply_keyboard(ann) is None

        staff = core.add_user("Stina")
        group = core.add_group("Volunteers", members={staff: "member"})
        request = await core.api("sendMessage", chat_id=group.id, text="Who can help Ann?")
        core.inject_text(staff, "gossip nobody should see", chat=group)
        core.inject_text(staff, "Me!", chat=group, reply_to=request["message_id"])
        noted = await core.wait_for_message(group, lambda m: m.text == "Noted, Stina")
        assert noted.reply_to is not None and noted.reply_to.text == "Me!"
    assert errors == []
    assert [m.text for m in core.bot_messages(group)] == ["Who can help Ann?", "Noted, Stina"]


async def test_in_process_forged_callback_data_reaches_the_bot(core: FakeTelegram) -> None:
    errors: list[Exception] = []
    ann = core.add_user("Ann")
    async with running(in_process(core, errors)):
        core.inject_text(ann, "/start")
        welcome = await core.wait_for_message(ann)
        core.inject_callback(ann, welcome, "../../etc/passwd")
        await core.wait_for(lambda: core.callback_answers, what="an answer")
    assert core.callback_answers[0].text == "Chose ../../etc/passwd"


async def test_http_polling(core: FakeTelegram) -> None:
    errors: list[Exception] = []
    ann = core.add_user("Ann")
    async with serve(core) as base_url:
        app = ApplicationBuilder().token(core.token).base_url(base_url).build()
        add_handlers(app, errors)
        async with running(app):
            await conversation(core, ann)
    assert errors == []
    assert core.calls_to("deleteWebhook"), "PTB clears any webhook before polling"
    assert core.pending_update_count == 0, "PTB confirms what it fetched when it stops"


async def test_http_webhook_with_secret(core: FakeTelegram, free_port: Callable[[], int]) -> None:
    errors: list[Exception] = []
    ann = core.add_user("Ann")
    port = free_port()
    webhook = {
        "listen": "127.0.0.1",
        "port": port,
        "url_path": "telegram",
        "webhook_url": f"http://127.0.0.1:{port}/telegram",
        "secret_token": "Right-Secret_1",
    }
    async with serve(core) as base_url:
        app = ApplicationBuilder().token(core.token).base_url(base_url).build()
        add_handlers(app, errors)
        async with running(app, webhook):
            assert core.webhook is not None
            assert core.webhook.secret_token == "Right-Secret_1"
            await conversation(core, ann)
            forged = {"update_id": 10_000, "message": core.inject_text(ann, "x").update}
            wrong = await core.post_webhook_update(forged, secret_token="Wrong")
            missing = await core.post_webhook_update(forged, secret_token=None)
            right = await core.post_webhook_update(
                {"update_id": 10_001}, secret_token="Right-Secret_1"
            )
    assert (wrong.status, missing.status, right.status) == (403, 403, 200)
    delivered = [a for a in core.webhook_attempts if not a.forged]
    assert delivered and all(a.status == 200 for a in delivered)
    assert all(a.secret_token == "Right-Secret_1" for a in delivered)
    assert errors == []


async def test_retry_after_reaches_ptb(core: FakeTelegram) -> None:
    errors: list[Exception] = []
    ann = core.add_user("Ann")
    core.inject_text(ann, "hi")
    app = in_process(core, errors)
    async with app:
        core.too_many_requests(17, "sendMessage")
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(ann.id, "flood")
        assert retry_seconds(caught.value) == 17
        assert (await app.bot.send_message(ann.id, "later")).text == "later"
    assert [c.status for c in core.calls_to("sendMessage")] == [429, 200]


async def test_retry_after_inside_a_handler(core: FakeTelegram) -> None:
    errors: list[Exception] = []
    ann = core.add_user("Ann")
    async with running(in_process(core, errors)):
        core.too_many_requests(3, "sendMessage", chat_id=ann.id)
        core.inject_text(ann, "first")
        await core.wait_for(lambda: errors, what="the handler's error")
        core.inject_text(ann, "second")
        assert (await core.wait_for_message(ann)).text == "second"
    [error] = errors
    assert isinstance(error, RetryAfter)
    assert retry_seconds(error) == 3


async def test_rate_limiter_over_http(core: FakeTelegram) -> None:
    ann = core.add_user("Ann")
    core.inject_text(ann, "hi")
    core.enable_rate_limits()
    async with serve(core) as base_url:
        app = ApplicationBuilder().token(core.token).base_url(base_url).build()
        async with app:
            for number in range(3):
                await app.bot.send_message(ann.id, f"burst {number}")
            with pytest.raises(RetryAfter) as caught:
                await app.bot.send_message(ann.id, "one too many")
    assert 1 <= retry_seconds(caught.value) <= 3


async def test_errors_map_to_ptb_exceptions(core: FakeTelegram) -> None:
    ann = core.add_user("Ann")
    stranger = core.add_user("Stranger")
    core.inject_text(ann, "hi")
    app = in_process(core, [])
    async with app:
        bot = app.bot
        with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
            await bot.send_message(ann.id, "<p>x</p>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(ann.id, " ")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(-5, "x")
        with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
            await bot.send_message(stranger.id, "x")
        core.block(ann)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(ann.id, "x")
        core.fail("getMe", status=500)
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.get_me()
        await bot.set_webhook("https://example.com/hook")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()


async def test_slow_answers_time_out(core: FakeTelegram) -> None:
    ann = core.add_user("Ann")
    core.inject_text(ann, "hi")
    app = (
        ApplicationBuilder().token(core.token).request(FakeRequest(core, read_timeout=0.05)).build()
    )
    async with app:
        core.delay(1.0, "sendMessage", after_effect=True)
        with pytest.raises(TimedOut):
            await app.bot.send_message(ann.id, "late")
    # The message went out although the bot saw a timeout, as can happen with Telegram.
    await core.wait_for(lambda: core.bot_messages(ann), what="the late message")


async def test_wrong_token_is_invalid(core: FakeTelegram) -> None:
    other = "654321:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
    app = ApplicationBuilder().token(other).request(FakeRequest(core)).build()
    with pytest.raises(InvalidToken):
        await app.initialize()


async def test_a_bot_sees_updates_as_ptb_objects(core: FakeTelegram) -> None:
    ann = core.add_user("Ann", last_name="K", username="ann_k")
    sent: list[Message] = []
    core.inject_photo(ann, caption="the <flood>")
    core.inject_location(ann, 59.3, 18.1)
    core.inject_voice(ann)
    core.inject_sticker(ann)
    core.inject_document(ann)
    core.inject_contact(ann, "+4612345")
    app = in_process(core, [])
    async with app:
        updates = await app.bot.get_updates()
        me = await app.bot.get_me()
        chat = await app.bot.get_chat(ann.id)
        member = await app.bot.get_chat_member(ann.id, ann.id)
        message = await app.bot.send_message(ann.id, "ok")
        sent.extend(core.bot_messages(ann))
    assert [u.message.effective_attachment.__class__.__name__ for u in updates if u.message] == [
        "tuple",
        "Location",
        "Voice",
        "Sticker",
        "Document",
        "Contact",
    ]
    assert updates[0].message is not None and updates[0].message.caption == "the <flood>"
    assert me.username == "crisis_help_test_bot"
    assert chat.first_name == "Ann"
    assert member.status == "member"
    assert message.from_user is not None and message.from_user.is_bot
    assert [m.message_id for m in sent] == [message.message_id]
