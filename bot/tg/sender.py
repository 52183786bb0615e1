"""Who sent an update: the one check every message handler starts with.

`@from_person` runs a handler only for an update with a message and the person who sent it,
and hands it both, already checked (`sender` is the same check for other callers).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import Message, Update, User
from telegram.ext import ContextTypes

Owner = TypeVar("Owner")
Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Owner, Update, Context], Coroutine[Any, Any, None]]
PersonHandler = Callable[[Owner, Update, Context, Message, User], Coroutine[Any, Any, None]]


def sender(update: Update) -> tuple[Message, User] | None:
    """The update's message and the person who sent it; None when it lacks either (an
    update about a channel post, a poll, a member change and the like: nothing to answer)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return None
    return message, user


def from_person(handler: PersonHandler[Owner]) -> Handler[Owner]:
    """A handler method that needs a message and its sender: other updates are ignored."""

    @functools.wraps(handler)
    async def checked(owner: Owner, update: Update, context: Context) -> None:
        sent = sender(update)
        if sent is not None:
            await handler(owner, update, context, *sent)

    return checked
