"""`python -m bot run` with broken knowledge files: the last good version, or a clear refusal."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.kb.snapshot import SNAPSHOT_FILE
from tests.e2e.conftest import BotProcess, World

EXIT_TIMEOUT = 60.0


async def test_broken_files_start_from_the_snapshot_or_exit_2_without_one(
    world: World, editable_knowledge: Path, tmp_path: Path
) -> None:
    payments = editable_knowledge / "asker" / "payments.yaml"
    good = payments.read_text(encoding="utf-8")
    broken = good.replace("    topic:", "    topik:", 1)
    bot = BotProcess(world, webhook=False, log=tmp_path / "bot.log")

    # Broken files and no snapshot yet: nothing to answer from, so the bot refuses to start.
    payments.write_text(broken, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=bot.env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err_bytes = await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT)
    err = err_bytes.decode(errors="replace")
    assert process.returncode == 2, err
    assert "no good snapshot" in err
    assert "asker/payments.yaml:3: error: unknown field 'topik'" in err
    assert "Traceback" not in err
    assert not world.core.polling

    # Good files: the bot starts and keeps them as the last good version.
    payments.write_text(good, encoding="utf-8")
    await bot.start()
    await bot.stop()
    assert (world.data_dir / SNAPSHOT_FILE).is_file()

    # Broken again at the next start: the bot answers from the snapshot and tells staff.
    payments.write_text(broken, encoding="utf-8")
    core, resident = world.core, world.resident
    await bot.start()
    try:
        notice = await core.wait_for_message(
            world.staff_chat, lambda m: "last good version" in (m.text or ""), timeout=15
        )
        assert "asker/payments.yaml:3" in (notice.text or "")
        core.inject_text(resident, "/municipality asker")
        await core.wait_for_message(resident)
        core.inject_text(resident, "kan jeg få utsatt betalingsfristen på fakturaen?")
        await core.wait_for_message(
            resident, lambda m: "forsinkelsesrente" in (m.text or ""), timeout=15
        )
    finally:
        await bot.stop()
