"""Staff reloads (by command and by saving a file), and the terminal chat mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.fakeapi import Message
from tests.e2e.conftest import BotProcess, World


def text_of(message: Message) -> str:
    return message.text or ""


async def test_broken_edit_keeps_the_last_good_knowledge_and_tells_staff(
    world: World, editable_knowledge: Path, tmp_path: Path
) -> None:
    knowledge = editable_knowledge
    bot = BotProcess(
        world, webhook=False, log=tmp_path / "bot.log", extra_env={"LOG_LEVEL": "INFO"}
    )
    await bot.start()
    core, resident, staff = world.core, world.resident, world.staff
    try:
        payments = knowledge / "asker" / "payments.yaml"
        good = payments.read_text(encoding="utf-8")
        payments.write_text(good.replace("    topic:", "    topik:", 1), encoding="utf-8")
        core.inject_text(staff, "/reload", chat=world.staff_chat)
        report = await core.wait_for_message(
            world.staff_chat, lambda m: "NOT reloaded" in text_of(m)
        )
        assert "asker/payments.yaml:3" in text_of(report)
        assert "topik" in text_of(report)
        # Residents are still answered from the last good knowledge base.
        core.inject_text(resident, "/municipality asker")
        await core.wait_for_message(resident)
        core.inject_text(resident, "kan jeg få utsatt betalingsfristen på fakturaen?")
        await core.wait_for_message(resident, lambda m: "forsinkelsesrente" in text_of(m))
        # Fixing the file is picked up without a command, and staff hear about it.
        payments.write_text(
            good.replace("66 700 000.", "66 700 000 (mandag til fredag)."), encoding="utf-8"
        )
        await core.wait_for_message(
            world.staff_chat,
            lambda m: "reloaded" in text_of(m) and "NOT" not in text_of(m),
            timeout=15,
        )
        core.inject_text(resident, "kan jeg få utsatt betalingsfristen på fakturaen?")
        await core.wait_for_message(resident, lambda m: "mandag til fredag" in text_of(m))
        # /reload is for staff only.
        core.inject_text(resident, "/reload")
        await core.wait_for_message(resident, lambda m: "for municipal staff" in text_of(m))
    finally:
        await bot.stop()


def test_chat_mode_runs_every_role_without_a_token(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/start",
            "1",
            "kan jeg få utsatt betalingsfristen på fakturaen?",
            "når går neste tog til Oslo?",
            "1",
            ":as staff",
            ":reply 1 Sjekk ruteinformasjonen hos Vy.",
            ":as resident",
            ":photo",
            ":help",
            ":quit",
        ]
    )
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Asker kommune" in out  # numbered municipality buttons
    assert "forsinkelsesrenter" in out
    assert "bot → staff chat" in out and "når går neste tog til Oslo?" in out
    assert "Svar fra kommunens ansatte" in out and "Vy" in out
    assert "bare tekst" in out
    assert ":as resident" in out  # the in-chat help
