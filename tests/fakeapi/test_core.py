"""The core's Bot API methods, validation errors, update queue, faults and flood limits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.fakeapi import ApiError, FakeTelegram, RateLimits, User, WaitTimeout

INLINE = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}


async def error_of(core: FakeTelegram, method: str, **params: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        await core.api(method, **params)
    return caught.value.status, caught.value.description


# ----------------------------------------------------------------- basics


async def test_get_me_describes_the_bot(core: FakeTelegram) -> None:
    me = await core.api("getMe")
    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["username"] == "crisis_help_test_bot"
    assert me["can_read_all_group_messages"] is False


async def test_method_names_are_case_insensitive(core: FakeTelegram) -> None:
    assert (await core.api("GETME"))["id"] == 123456


async def test_unknown_method_and_wrong_tokens(core: FakeTelegram) -> None:
    unknown = await core.call(core.token, "sendTelepathy", {})
    assert (unknown.status, unknown.payload) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    wrong = await core.call("654321:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", "getMe", {})
    assert (wrong.status, wrong.payload) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    malformed = await core.call("not-a-token", "getMe", {})
    assert malformed.status == 404


async def test_log_out_makes_the_token_unauthorized(core: FakeTelegram) -> None:
    assert await core.api("logOut") is True
    assert await error_of(core, "getMe") == (401, "Unauthorized")
    core.reset()
    assert (await core.api("getMe"))["id"] == 123456


# ------------------------------------------------------------- sendMessage


async def test_send_message_returns_a_telegram_message(core: FakeTelegram, ann: User) -> None:
    result = await core.api(
        "sendMessage",
        chat_id=str(ann.id),
        text="<b>Hello</b> Ann &amp; co",
        parse_mode="HTML",
        reply_markup=json.dumps(INLINE),
        link_preview_options=json.dumps({"is_disabled": True}),
        protect_content="true",
    )
    assert result["message_id"] == 2  # after Ann's /start
    assert result["from"]["id"] == core.bot_user.id
    assert result["chat"] == {
        "id": ann.id,
        "username": "ann_k",
        "first_name": "Ann",
        "type": "private",
    }
    assert result["text"] == "Hello Ann & co"
    assert result["entities"] == [{"offset": 0, "length": 5, "type": "bold"}]
    assert result["reply_markup"] == INLINE
    assert result["link_preview_options"] == {"is_disabled": True}
    assert result["has_protected_content"] is True
    sent = core.last_bot_message(ann)
    assert sent is not None
    assert sent.raw_text == "<b>Hello</b> Ann &amp; co"
    assert sent.parse_mode == "HTML"
    assert sent.protect_content is True


async def test_reply_keyboards_are_kept_but_not_echoed(core: FakeTelegram, ann: User) -> None:
    keyboard = {
        "keyboard": [[{"text": "Share my number", "request_contact": True}], ["Cancel"]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }
    result = await core.api("sendMessage", chat_id=ann.id, text="Number?", reply_markup=keyboard)
    assert "reply_markup" not in result
    assert core.active_reply_keyboard(ann) == {
        "keyboard": [[{"text": "Share my number", "request_contact": True}], [{"text": "Cancel"}]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }
    shared = core.tap_reply_button(ann, "Share my number")
    assert shared.message is not None
    assert shared.message.media["contact"]["user_id"] == ann.id
    await core.api(
        "sendMessage", chat_id=ann.id, text="Thanks", reply_markup={"remove_keyboard": True}
    )
    assert core.active_reply_keyboard(ann) is None


async def test_reply_parameters(core: FakeTelegram, ann: User) -> None:
    question = core.inject_text(ann, "Is the library open?").message
    assert question is not None
    result = await core.api(
        "sendMessage",
        chat_id=ann.id,
        text="Yes",
        reply_parameters={"message_id": question.message_id},
    )
    assert result["reply_to_message"]["text"] == "Is the library open?"
    assert await error_of(
        core, "sendMessage", chat_id=ann.id, text="x", reply_parameters={"message_id": 999}
    ) == (400, "Bad Request: message to be replied not found")
    alone = await core.api(
        "sendMessage",
        chat_id=ann.id,
        text="x",
        reply_parameters={"message_id": 999, "allow_sending_without_reply": True},
    )
    assert "reply_to_message" not in alone


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"text": ""}, "Bad Request: message text is empty"),
        ({}, "Bad Request: message text is empty"),
        ({"text": "<b> </b>", "parse_mode": "HTML"}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "😀" * 2049}, "Bad Request: message is too long"),
        (
            {"text": "<b>x</i>", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, "
            'expected "</b>", found "</i>"',
        ),
        (
            {"text": "<p>x</p>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0',
        ),
        (
            {
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 33}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        ),
        (
            {"text": "x", "reply_markup": "{not json"},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        (
            {"text": "x", "reply_markup": {"inline_keyboard": [{"text": "a"}]}},
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array '
            "of Arrays",
        ),
        (
            {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "url": "no way"}]]}},
            "Bad Request: BUTTON_URL_INVALID",
        ),
    ],
)
async def test_send_message_validation(
    core: FakeTelegram, ann: User, params: dict[str, Any], expected: str
) -> None:
    assert await error_of(core, "sendMessage", chat_id=ann.id, **params) == (400, expected)
    assert core.bot_messages(ann) == []


async def test_callback_data_of_64_bytes_is_fine(core: FakeTelegram, ann: User) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 32}]]}
    await core.api("sendMessage", chat_id=ann.id, text="x", reply_markup=markup)


async def test_a_button_needs_exactly_one_action(core: FakeTelegram, ann: User) -> None:
    button = {"text": "a", "callback_data": "a", "url": "https://example.com"}
    status, description = await error_of(
        core, "sendMessage", chat_id=ann.id, text="x", reply_markup={"inline_keyboard": [[button]]}
    )
    assert status == 400
    assert description.startswith("Bad Request: can't parse inline keyboard button:")


async def test_who_the_bot_may_write_to(core: FakeTelegram, ann: User) -> None:
    stranger = core.add_user("Stranger")
    assert await error_of(core, "sendMessage", chat_id=stranger.id, text="hi") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    assert await error_of(core, "sendMessage", chat_id=777, text="hi") == (
        400,
        "Bad Request: chat not found",
    )
    assert await error_of(core, "sendMessage", text="hi") == (400, "Bad Request: chat_id is empty")
    blocked = core.block(ann)
    assert blocked.update is not None
    assert blocked.update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    assert await error_of(core, "sendMessage", chat_id=ann.id, text="hi") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    core.inject_text(ann, "I'm back")  # writing to the bot again unblocks it
    assert not core.is_blocked(ann)
    await core.api("sendMessage", chat_id=ann.id, text="Welcome back")


async def test_groups(core: FakeTelegram, ann: User) -> None:
    staff = core.add_user("Staff")
    group = core.add_group(
        "Volunteers", members={staff: "administrator", ann: "member"}, username="helpers"
    )
    assert group.id < 0
    sent = await core.api("sendMessage", chat_id="@helpers", text="New request")
    assert sent["chat"]["type"] == "supergroup"
    assert sent["chat"]["title"] == "Volunteers"
    member = await core.api("getChatMember", chat_id=group.id, user_id=staff.id)
    assert member["status"] == "administrator"
    assert member["can_delete_messages"] is True
    outsider = core.add_user("Outsider")
    assert (await core.api("getChatMember", chat_id=group.id, user_id=outsider.id))["status"] == (
        "left"
    )
    me = await core.api("getChatMember", chat_id=group.id, user_id=core.bot_user.id)
    assert me["status"] == "member"
    info = await core.api("getChat", chat_id=group.id)
    assert info["accepted_gift_types"]["unique_gifts"] is False
    core.set_bot_status(group, "kicked")
    assert await error_of(core, "sendMessage", chat_id=group.id, text="x") == (
        403,
        "Forbidden: bot was kicked from the supergroup chat",
    )


async def test_privacy_mode_in_groups(core: FakeTelegram) -> None:
    staff = core.add_user("Staff")
    group = core.add_group("Volunteers", members=[staff])
    assert core.inject_text(staff, "just chatting", chat=group).update is None
    assert core.inject_text(staff, "/claim 12", chat=group).update is not None
    assert core.inject_text(staff, "/claim@other_bot", chat=group).update is None
    assert core.inject_text(staff, "/claim@crisis_help_test_bot", chat=group).update is not None
    assert core.inject_text(staff, "hey @crisis_help_test_bot", chat=group).update is not None
    await core.api("sendMessage", chat_id=group.id, text="Request #12 needs a volunteer")
    request = core.last_bot_message(group)
    assert request is not None
    reply = core.inject_text(staff, "I'll take it", chat=group, reply_to=request)
    assert reply.update is not None
    delivered = reply.update["message"]
    assert delivered["reply_to_message"]["message_id"] == request.message_id
    assert delivered["reply_to_message"]["from"]["is_bot"] is True
    core.set_bot_status(group, "administrator", by=staff)
    assert core.inject_text(staff, "admins see everything", chat=group).update is not None


async def test_commands_get_a_bot_command_entity(core: FakeTelegram, ann: User) -> None:
    update = core.inject_text(ann, "/start@crisis_help_test_bot asker").update
    assert update is not None
    assert update["message"]["entities"] == [{"offset": 0, "length": 27, "type": "bot_command"}]


async def test_media_messages(core: FakeTelegram, ann: User) -> None:
    kinds = {
        "contact": core.inject_contact(ann, "+46 70 123 45 67"),
        "photo": core.inject_photo(ann, caption="my street"),
        "voice": core.inject_voice(ann, duration=4),
        "sticker": core.inject_sticker(ann),
        "location": core.inject_location(ann, 59.3, 18.1),
        "document": core.inject_document(ann, file_name="bill.pdf"),
    }
    for kind, injected in kinds.items():
        assert injected.update is not None
        assert kind in injected.update["message"], kind
    contact = kinds["contact"].update
    assert contact is not None
    assert contact["message"]["contact"] == {
        "phone_number": "+46 70 123 45 67",
        "first_name": "Ann",
        "user_id": ann.id,
    }
    photo = kinds["photo"].update
    assert photo is not None
    assert photo["message"]["caption"] == "my street"
    assert len(photo["message"]["photo"]) == 3


# ------------------------------------------------------------------- edits


async def test_edit_message_text(core: FakeTelegram, ann: User) -> None:
    sent = await core.api("sendMessage", chat_id=ann.id, text="Pick", reply_markup=INLINE)
    ref = {"chat_id": ann.id, "message_id": sent["message_id"]}
    assert await error_of(core, "editMessageText", text="Pick", reply_markup=INLINE, **ref) == (
        400,
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message",
    )
    edited = await core.api("editMessageText", text="<i>Picked</i>", parse_mode="HTML", **ref)
    assert edited["text"] == "Picked"
    assert "edit_date" in edited
    assert "reply_markup" not in edited  # omitting reply_markup removes the keyboard
    message = core.get_message(ann, sent["message_id"])
    assert message.raw_text == "<i>Picked</i>"
    assert [version.text for version in message.history] == ["Pick"]
    assert await error_of(core, "editMessageText", chat_id=ann.id, message_id=99, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert await error_of(core, "editMessageText", chat_id=ann.id, message_id=1, text="x") == (
        400,
        "Bad Request: message can't be edited",
    )


async def test_edit_reply_markup_and_delete(core: FakeTelegram, ann: User) -> None:
    sent = await core.api("sendMessage", chat_id=ann.id, text="Pick", reply_markup=INLINE)
    ref = {"chat_id": ann.id, "message_id": sent["message_id"]}
    assert (await error_of(core, "editMessageReplyMarkup", reply_markup=INLINE, **ref))[
        1
    ].startswith("Bad Request: message is not modified")
    stripped = await core.api("editMessageReplyMarkup", **ref)
    assert "reply_markup" not in stripped
    assert await core.api("deleteMessage", **ref) is True
    assert core.bot_messages(ann) == []
    assert await error_of(core, "deleteMessage", **ref) == (
        400,
        "Bad Request: message to delete not found",
    )


# --------------------------------------------------------- callback queries


async def test_callback_queries(core: FakeTelegram, ann: User) -> None:
    await core.api("sendMessage", chat_id=ann.id, text="Pick", reply_markup=INLINE)
    message = core.last_bot_message(ann)
    assert message is not None
    pressed = core.press_button(ann, message, text="Yes")
    assert pressed.update is not None
    query = pressed.update["callback_query"]
    assert query["data"] == "yes"
    assert query["message"]["text"] == "Pick"
    assert query["message"]["reply_markup"] == INLINE
    assert query["from"]["id"] == ann.id
    assert await core.api(
        "answerCallbackQuery", callback_query_id=query["id"], text="Noted", show_alert=True
    )
    [answer] = core.callback_answers
    assert (answer.text, answer.show_alert, answer.data) == ("Noted", True, "yes")
    too_old = (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    assert await error_of(core, "answerCallbackQuery", callback_query_id=query["id"]) == too_old
    assert await error_of(core, "answerCallbackQuery", callback_query_id="123") == too_old
    forged = core.inject_callback(ann, message, "admin:delete-all")
    assert forged.update is not None
    assert forged.update["callback_query"]["data"] == "admin:delete-all"
    with pytest.raises(LookupError):
        core.press_button(ann, message, text="No")


async def test_callback_queries_expire() -> None:
    now = [1000.0]
    core = FakeTelegram(monotonic=lambda: now[0], callback_query_ttl=15)
    ann = core.add_user("Ann")
    core.inject_text(ann, "hi")
    await core.api("sendMessage", chat_id=ann.id, text="Pick", reply_markup=INLINE)
    message = core.last_bot_message(ann)
    assert message is not None
    query_id = core.press_button(ann, message, data="yes").callback_query_id
    now[0] += 16
    with pytest.raises(ApiError, match="query is too old"):
        await core.api("answerCallbackQuery", callback_query_id=query_id)


# ------------------------------------------------------------ other methods


async def test_commands_by_scope_and_language(core: FakeTelegram, ann: User) -> None:
    commands = [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "?"},
    ]
    assert await core.api("setMyCommands", commands=json.dumps(commands)) is True
    swedish = [{"command": "start", "description": "Börja"}]
    scope = {"type": "chat", "chat_id": ann.id}
    await core.api("setMyCommands", commands=swedish, scope=scope, language_code="sv")
    assert await core.api("getMyCommands") == commands
    assert await core.api("getMyCommands", scope=json.dumps(scope), language_code="sv") == swedish
    assert await core.api("getMyCommands", language_code="sv") == []
    assert core.commands(scope, "sv") == swedish
    assert await core.api("deleteMyCommands") is True
    assert core.commands() == []
    assert await error_of(
        core, "setMyCommands", commands=[{"command": "Start!", "description": "x"}]
    ) == (400, "Bad Request: BOT_COMMAND_INVALID")


async def test_chat_actions(core: FakeTelegram, ann: User) -> None:
    assert await core.api("sendChatAction", chat_id=ann.id, action="typing") is True
    assert [(a.chat_id, a.action) for a in core.chat_actions] == [(ann.id, "typing")]
    assert await error_of(core, "sendChatAction", chat_id=ann.id, action="dancing") == (
        400,
        "Bad Request: wrong parameter action in request",
    )


async def test_get_chat_of_a_private_chat(core: FakeTelegram, ann: User) -> None:
    info = await core.api("getChat", chat_id=ann.id)
    assert (info["id"], info["type"], info["first_name"]) == (ann.id, "private", "Ann")


# ------------------------------------------------------------------ updates


async def test_get_updates_offset_and_limit(core: FakeTelegram, ann: User) -> None:
    for number in range(5):
        core.inject_text(ann, f"m{number}")
    first = await core.api("getUpdates", limit=2)
    assert [u["message"]["text"] for u in first] == ["m0", "m1"]
    again = await core.api("getUpdates", limit="2")
    assert again == first  # nothing confirmed yet
    rest = await core.api("getUpdates", offset=first[-1]["update_id"] + 1)
    assert [u["message"]["text"] for u in rest] == ["m2", "m3", "m4"]
    assert core.pending_update_count == 3
    await core.api("getUpdates", offset=rest[-1]["update_id"] + 1, timeout=0)
    assert core.pending_update_count == 0
    # Confirmed updates are gone for good, even with a smaller offset later.
    assert await core.api("getUpdates", offset=1) == []


async def test_negative_offset_keeps_the_last_updates(core: FakeTelegram, ann: User) -> None:
    for number in range(4):
        core.inject_text(ann, f"m{number}")
    last = await core.api("getUpdates", offset=-1)
    assert [u["message"]["text"] for u in last] == ["m3"]
    assert core.pending_update_count == 1


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    core: FakeTelegram, ann: User
) -> None:
    poll = asyncio.create_task(core.api("getUpdates", timeout=30))
    await core.wait_for(lambda: core.polling, what="the long poll to start")
    started = asyncio.get_running_loop().time()
    core.inject_text(ann, "now")
    updates = await asyncio.wait_for(poll, 5)
    assert asyncio.get_running_loop().time() - started < 1
    assert [u["message"]["text"] for u in updates] == ["now"]


async def test_long_poll_times_out_empty() -> None:
    core = FakeTelegram()
    assert await core.api("getUpdates", timeout=0.01) == []


async def test_a_second_get_updates_terminates_the_first(core: FakeTelegram) -> None:
    first = asyncio.create_task(core.api("getUpdates", timeout=30))
    await core.wait_for(lambda: core.polling)
    assert await core.api("getUpdates") == []
    with pytest.raises(ApiError) as caught:
        await asyncio.wait_for(first, 5)
    assert caught.value.status == 409
    assert caught.value.description == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )


async def test_get_updates_conflicts_with_a_webhook(core: FakeTelegram, ann: User) -> None:
    poll = asyncio.create_task(core.api("getUpdates", timeout=30))
    await core.wait_for(lambda: core.polling)
    assert await core.api("setWebhook", url="https://example.com/hook") is True
    conflict = (
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first",
    )
    with pytest.raises(ApiError) as caught:
        await asyncio.wait_for(poll, 5)
    assert (caught.value.status, caught.value.description) == conflict
    assert await error_of(core, "getUpdates") == conflict
    core.inject_text(ann, "queued")
    info = await core.api("getWebhookInfo")
    assert info["url"] == "https://example.com/hook"
    assert info["pending_update_count"] == 1
    assert await core.api("deleteWebhook", drop_pending_updates=True) is True
    assert await core.api("getUpdates") == []
    assert (await core.api("getWebhookInfo"))["url"] == ""


async def test_set_webhook_validation(core: FakeTelegram) -> None:
    assert await error_of(core, "setWebhook", url="http://example.com/hook") == (
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    assert (await error_of(core, "setWebhook", url="https://x.se/h", secret_token="a b"))[0] == 400
    response = await core.call(core.token, "setWebhook", {"url": "http://127.0.0.1:9/hook"})
    assert response.payload["description"] == "Webhook was set"


async def test_allowed_updates_filter_new_updates(core: FakeTelegram, ann: User) -> None:
    await core.api("sendMessage", chat_id=ann.id, text="Pick", reply_markup=INLINE)
    message = core.last_bot_message(ann)
    assert message is not None
    await core.api("getUpdates", allowed_updates=json.dumps(["message"]))
    assert core.press_button(ann, message, data="yes").update is None
    assert core.inject_text(ann, "text still comes").update is not None
    await core.api("getUpdates", allowed_updates=[])
    assert core.press_button(ann, message, data="yes").update is not None


# ---------------------------------------------------------------- waiting


async def test_wait_for_message_finds_earlier_and_later_messages(
    core: FakeTelegram, ann: User
) -> None:
    await core.api("sendMessage", chat_id=ann.id, text="one")
    assert (await core.wait_for_message(ann)).text == "one"

    async def later() -> None:
        await core.api("sendMessage", chat_id=ann.id, text="two")
        await core.api("sendMessage", chat_id=ann.id, text="three")

    task = asyncio.create_task(later())
    found = await core.wait_for_message(ann, lambda m: m.text == "three")
    assert found.text == "three"
    await task
    with pytest.raises(WaitTimeout) as caught:
        await core.wait_for_message(ann, timeout=0.05)
    report = str(caught.value)
    assert f"Bot messages in chat {ann.id}: 3 (3 already taken)" in report
    assert "'three'" in report


async def test_wait_timeout_reports_failed_calls(core: FakeTelegram, ann: User) -> None:
    params = {"chat_id": ann.id, "text": "<b>oops", "parse_mode": "HTML"}
    await core.call(core.token, "sendMessage", params)
    with pytest.raises(WaitTimeout, match="sendMessage -> 400 Bad Request: can't parse entities"):
        await core.wait_for_message(ann, timeout=0.01)


async def test_wait_timeout_explains_privacy_mode(core: FakeTelegram) -> None:
    staff = core.add_user("Staff")
    group = core.add_group("Volunteers", members=[staff])
    core.inject_text(staff, "anyone?", chat=group)
    with pytest.raises(WaitTimeout, match="privacy mode: not a command, reply to the bot"):
        await core.wait_for_message(group, timeout=0.01)


async def test_wait_for_messages(core: FakeTelegram, ann: User) -> None:
    for text in ("a", "b", "c"):
        await core.api("sendMessage", chat_id=ann.id, text=text)
    assert [m.text for m in await core.wait_for_messages(ann, 2)] == ["a", "b"]
    assert [m.text for m in await core.wait_for_messages(ann, 1)] == ["c"]


async def test_subscribers_see_every_output(core: FakeTelegram, ann: User) -> None:
    events = core.subscribe()
    seen: list[str] = []
    core.add_listener(lambda event: seen.append(event.kind))
    sent = await core.api("sendMessage", chat_id=ann.id, text="hi", reply_markup=INLINE)
    await core.api("sendChatAction", chat_id=ann.id, action="typing")
    await core.api("deleteMessage", chat_id=ann.id, message_id=sent["message_id"])
    first = events.get_nowait()
    assert first.kind == "message"
    assert first.message is not None
    assert first.message.text == "hi"
    assert seen == ["message", "chat_action", "delete"]
    core.unsubscribe(events)


async def test_reset_forgets_everything(core: FakeTelegram, ann: User) -> None:
    await core.api("sendMessage", chat_id=ann.id, text="hi")
    core.too_many_requests(5)
    core.reset()
    assert core.users == []
    assert core.chats == []
    assert list(core.calls) == []
    assert core.faults == []
    assert core.pending_update_count == 0


# -------------------------------------------------------- faults and floods


async def test_429_fault_then_success(core: FakeTelegram, ann: User) -> None:
    fault = core.too_many_requests(7, "sendMessage", times=2)
    for _ in range(2):
        response = await core.call(core.token, "sendMessage", {"chat_id": ann.id, "text": "x"})
        assert response.status == 429
        assert response.payload == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }
    assert fault.hits == 2
    assert core.faults == []
    await core.api("sendMessage", chat_id=ann.id, text="x")
    assert [call.status for call in core.calls_to("sendMessage")] == [429, 429, 200]
    assert core.calls_to("sendMessage")[0].params == {"chat_id": ann.id, "text": "x"}


async def test_faults_by_chat_and_removal(core: FakeTelegram, ann: User) -> None:
    bob = core.add_user("Bob")
    core.inject_text(bob, "hi")
    fault = core.fail(chat_id=ann.id, status=500, times=None)
    assert await error_of(core, "sendMessage", chat_id=ann.id, text="x") == (
        500,
        "Internal Server Error",
    )
    await core.api("sendMessage", chat_id=bob.id, text="x")
    assert await error_of(core, "sendChatAction", chat_id=str(ann.id), action="typing") == (
        500,
        "Internal Server Error",
    )
    core.remove_fault(fault)
    await core.api("sendMessage", chat_id=ann.id, text="x")


async def test_delay_fault(core: FakeTelegram, ann: User) -> None:
    core.delay(0.05, "sendMessage")
    await core.api("sendMessage", chat_id=ann.id, text="slow")
    [call] = core.calls_to("sendMessage")
    assert call.finished - call.started >= 0.05


async def test_rate_limits_answer_429_with_the_right_wait() -> None:
    now = [0.0]
    core = FakeTelegram(monotonic=lambda: now[0])
    ann = core.add_user("Ann")
    core.inject_text(ann, "hi")
    group = core.add_group("G", members=[ann])
    core.enable_rate_limits(RateLimits(overall=(30, 1.0), private_chat=(3, 3.0)))
    for _ in range(3):
        await core.api("sendMessage", chat_id=ann.id, text="x")
    with pytest.raises(ApiError) as caught:
        await core.api("sendMessage", chat_id=ann.id, text="x")
    assert caught.value.status == 429
    assert caught.value.parameters == {"retry_after": 3}
    assert caught.value.description == "Too Many Requests: retry after 3"
    now[0] = 2.5
    with pytest.raises(ApiError, match="retry after 1"):
        await core.api("sendMessage", chat_id=ann.id, text="x")
    now[0] = 3.0
    await core.api("sendMessage", chat_id=ann.id, text="x")
    for _ in range(20):
        now[0] += 0.1
        await core.api("sendMessage", chat_id=group.id, text="g")
    with pytest.raises(ApiError) as group_limited:
        await core.api("sendMessage", chat_id=group.id, text="g")
    assert group_limited.value.parameters == {"retry_after": 59}  # 3.1 + 60 - 5.0, rounded up
    core.disable_rate_limits()
    await core.api("sendMessage", chat_id=group.id, text="g")


async def test_overall_rate_limit() -> None:
    core = FakeTelegram(monotonic=lambda: 0.0)
    users = [core.add_user(f"U{n}") for n in range(31)]
    for user in users:
        core.inject_text(user, "hi")
    core.enable_rate_limits()
    for user in users[:30]:
        await core.api("sendMessage", chat_id=user.id, text="x")
    with pytest.raises(ApiError, match="retry after 1"):
        await core.api("sendMessage", chat_id=users[30].id, text="x")
