"""The Bot API's error texts, as Telegram words them, each recognised by one predicate."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest

from bot.tg.errors import cannot_edit, message_gone, not_modified, query_expired

PREDICATES = {
    "not_modified": not_modified,
    "query_expired": query_expired,
    "message_gone": message_gone,
    "cannot_edit": cannot_edit,
}


@pytest.mark.parametrize(
    ("text", "recognised_by"),
    [
        (
            "Message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message",
            {"not_modified"},
        ),
        (
            "Query is too old and response timeout expired or query id is invalid",
            {"query_expired"},
        ),
        ("Message to edit not found", {"message_gone", "cannot_edit"}),
        ("Message can't be edited", {"cannot_edit"}),
        ("Chat not found", {"cannot_edit"}),
        ("Can't parse entities: unclosed start tag", set()),
    ],
)
def test_each_error_text_is_recognised_by_its_predicates(
    text: str, recognised_by: set[str]
) -> None:
    error = BadRequest(text)
    assert {name for name, says in PREDICATES.items() if says(error)} == recognised_by
