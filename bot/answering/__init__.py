"""The answer engine: one analysed message in, one reply out (no Telegram imports).

`Responder.answer` is the one function every front end calls. The emergency detector lives in
`bot.answering.emergency`.
"""

from bot.answering.responder import Kind, Reply, Responder, Suggestion

__all__ = ["Kind", "Reply", "Responder", "Suggestion"]
