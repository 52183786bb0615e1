"""SQLite storage: one writer per database, versioned schema, small repositories."""

from bot.storage.db import Database, now

__all__ = ["Database", "now"]
