"""/forgetme erases the resident from the database file itself, freed pages included."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.inprocess import live_bot


def _database_bytes(folder: Path) -> bytes:
    """The database file, its write-ahead log and index, as bytes: freed pages included."""
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("bot.db*")))


async def test_forgetme_leaves_no_name_and_no_question_in_the_database_files(
    tmp_path: Path,
) -> None:
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.send(bot.resident, "Kan jeg få utsatt betalingen av fakturaen?")
        asked = await bot.send(bot.resident, "/forgetme")
        await bot.press(bot.resident, asked, asked.button_texts[0])
        db = bot.runtime.db
        for _ in range(100):  # until the /forgetme press itself is marked done
            if not await db.fetchval("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL"):
                break
            await asyncio.sleep(0.05)
        await db.checkpoint()
        data = _database_bytes(tmp_path)
        assert bot.resident.first_name.encode() not in data
        assert b"fakturaen" not in data
