"""Small named exceptions. The CLI turns each into a one-line message and an exit status."""

from __future__ import annotations


class BotError(Exception):
    """Base class for errors reported to a person as one plain line."""

    exit_status = 1


class ConfigError(BotError):
    """A setting is missing or malformed; `name` is the environment variable."""

    exit_status = 2

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class KnowledgeError(BotError):
    """The knowledge base cannot be used at all (for example, the folder is missing)."""


class NoGoodKnowledgeError(KnowledgeError):
    """The knowledge files have errors and no last good version can stand in for them."""

    exit_status = 2


class UsageError(BotError):
    """A command was called with arguments that do not fit."""

    exit_status = 2


class NotStaffError(BotError):
    """A command that changes something was run `--as` someone who is not configured staff,
    or not staff of the municipality it is about."""

    exit_status = 2
