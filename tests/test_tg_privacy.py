"""/forgetme erases the resident from the database file itself, freed pages included."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.answering import query
from bot.answering.emergency import detect_emergency
from bot.storage.records import folded_wording
from tests.inprocess import live_bot, opening


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


async def test_the_clis_erase_empties_the_running_bots_memory_of_the_resident(
    tmp_path: Path,
) -> None:
    question = "Kan jeg få utsatt betalingen av fakturaen min?"
    async with live_bot(tmp_path) as bot:
        await bot.choose_asker()
        await bot.send(bot.resident, question)
        menu = await bot.send(bot.resident, "/menu")
        assert (menu.text or "").startswith(opening("menu_topics", name="Asker"))  # remembered
        assert question in query._analysed
        # `python -m bot erase` is another process: it writes the database only.
        erase = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "erase",
            str(bot.resident.id),
            "--as",
            str(bot.staff.id),
            env={
                **os.environ,
                "DATA_DIR": str(bot.runtime.settings.data_dir),
                # The command line cannot see the staff chat: staff are listed for it.
                "STAFF_USER_IDS": str(bot.staff.id),
            },
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await erase.wait() == 0
        for _ in range(100):  # the bot looks once a second
            if bot.resident.id not in bot.runtime.residents._cache:
                break
            await asyncio.sleep(0.05)
        assert bot.resident.id not in bot.runtime.residents._cache
        assert question not in query._analysed
        # Nor any other cache of whole messages or question wordings.
        assert detect_emergency.cache_info().currsize == 0
        assert folded_wording.cache_info().currsize == 0
        # Not from memory either: the bot no longer knows the resident's municipality.
        menu = await bot.send(bot.resident, "/menu")
        assert (menu.text or "").startswith(opening("menu_needs_municipality"))
