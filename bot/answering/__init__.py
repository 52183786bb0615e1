"""The answer engine: one analysed message in, one reply out (no Telegram imports).

`Responder.answer` is the one function every front end calls. The emergency detector lives in
`bot.answering.emergency`.
"""

from bot.answering.responder import MAX_REPLY_CHARS, Kind, Reply, Responder, Suggestion

__all__ = ["MAX_REPLY_CHARS", "Kind", "Reply", "Responder", "Suggestion"]
