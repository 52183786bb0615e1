"""The last good knowledge base on disk: written after good loads, used when files are broken."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.answering import Responder
from bot.answering.service import KnowledgeService
from bot.cli import main
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.errors import NoGoodKnowledgeError
from bot.kb.cache import CACHE_FOLDER, CacheStore
from bot.kb.loader import load_knowledge
from bot.kb.snapshot import (
    SNAPSHOT_FILE,
    Snapshot,
    knowledge_digest,
    read_snapshot,
    source_digest,
    write_snapshot,
)
from tests.conftest import ENTRY
from tests.inprocess import live_bot

QUESTION = "Kan jeg utsette fakturaen?"


def break_file(root: Path) -> Path:
    """Misspell a field in the tiny knowledge base's only topic file; returns that file."""
    payments = root / "asker" / "payments.yaml"
    payments.write_text(
        ENTRY.format(id="asker-a").replace("    topic:", "    topik:"), encoding="utf-8"
    )
    return payments


def test_a_snapshot_loads_back_as_the_same_knowledge_and_answers_the_same(
    tmp_path: Path,
) -> None:
    loaded = load_knowledge(DEFAULT_KNOWLEDGE_DIR)
    assert loaded.errors == []
    taken = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
    digest = source_digest(DEFAULT_KNOWLEDGE_DIR)
    path = tmp_path / SNAPSHOT_FILE
    write_snapshot(path, Snapshot(loaded.kb, taken, digest))
    snapshot = read_snapshot(path)
    assert snapshot is not None
    assert snapshot.kb == loaded.kb
    assert (snapshot.taken_at, snapshot.digest) == (taken, digest)
    original, restored = Responder(loaded.kb), Responder(snapshot.kb)
    asked = 0
    for entry in loaded.kb.entries.values():
        for lang, questions in entry.questions.items():
            for question in questions:
                for municipality in (None, entry.scope if entry.scope != "shared" else "ockero"):
                    want = original.answer(question, municipality, lang).to_json()
                    assert restored.answer(question, municipality, lang).to_json() == want
                    asked += 1
    assert asked > 1000


def test_the_digest_changes_with_any_source_file(tiny_kb: Path) -> None:
    before = source_digest(tiny_kb)
    assert before.startswith("sha256:") and source_digest(tiny_kb) == before
    payments = tiny_kb / "asker" / "payments.yaml"
    payments.write_text(payments.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert source_digest(tiny_kb) != before


def test_a_good_start_writes_the_snapshot_and_leaves_no_temporary_file(
    tiny_kb: Path, tmp_path: Path
) -> None:
    path = tmp_path / "data" / SNAPSHOT_FILE
    before = datetime.now(UTC)
    service = KnowledgeService(tiny_kb, path)
    service.require_usable()
    assert service.fallback is None
    snapshot = read_snapshot(path)
    assert snapshot is not None
    assert snapshot.kb == service.responder.kb
    assert snapshot.digest == knowledge_digest(tiny_kb)
    assert before <= snapshot.taken_at <= datetime.now(UTC)
    assert [p.name for p in path.parent.iterdir()] == [SNAPSHOT_FILE]


def test_broken_files_with_a_snapshot_answer_from_the_snapshot(
    tiny_kb: Path, tmp_path: Path
) -> None:
    path = tmp_path / SNAPSHOT_FILE
    good = KnowledgeService(tiny_kb, path)
    break_file(tiny_kb)
    written = path.read_bytes()
    service = KnowledgeService(tiny_kb, path)
    service.require_usable()  # does not raise: the snapshot stands in
    assert service.last_result.errors
    assert service.fallback is not None
    assert service.responder.kb == good.responder.kb
    assert service.responder.answer(QUESTION, "asker").entry_id == "asker-a"
    # A start from the snapshot never overwrites it.
    assert path.read_bytes() == written


def test_broken_files_without_a_snapshot_name_every_problem(tiny_kb: Path, tmp_path: Path) -> None:
    break_file(tiny_kb)
    service = KnowledgeService(tiny_kb, tmp_path / SNAPSHOT_FILE)
    assert service.fallback is None
    with pytest.raises(NoGoodKnowledgeError) as raised:
        service.require_usable()
    assert raised.value.exit_status == 2
    message = str(raised.value)
    assert "no good snapshot" in message
    assert "asker/payments.yaml:3: error: unknown field 'topik'" in message
    assert not (tmp_path / SNAPSHOT_FILE).exists()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe not json",
        b'{"format": 1, "taken_at": "2026-11-22T08:30:00Z", "digest": "sha256:0", "knowl',
        b'{"format": 99, "taken_at": "2026-11-22T08:30:00Z", "digest": "x", "knowledge": {}}',
        b'{"format": 1, "taken_at": "yesterday", "digest": "x", "knowledge": {"entries": 3}}',
        b"[1, 2, 3]",
    ],
)
def test_a_corrupt_snapshot_counts_as_none_and_is_logged(
    tiny_kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    path = tmp_path / SNAPSHOT_FILE
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="bot.kb.snapshot"):
        assert read_snapshot(path) is None
    assert any(SNAPSHOT_FILE in r.getMessage() for r in caplog.records)
    break_file(tiny_kb)
    service = KnowledgeService(tiny_kb, path)
    assert service.fallback is None
    with pytest.raises(NoGoodKnowledgeError):
        service.require_usable()


def test_an_unreadable_snapshot_counts_as_none(tmp_path: Path) -> None:
    folder = tmp_path / SNAPSHOT_FILE
    folder.mkdir()  # reading a folder fails with an OSError
    assert read_snapshot(folder) is None


async def test_a_failed_reload_keeps_the_snapshot_and_a_good_one_refreshes_it(
    tiny_kb: Path, tmp_path: Path
) -> None:
    path = tmp_path / SNAPSHOT_FILE
    service = KnowledgeService(tiny_kb, path)
    written = path.read_bytes()
    payments = break_file(tiny_kb)
    outcome = await service.reload()
    assert not outcome.applied
    assert path.read_bytes() == written
    payments.write_text(
        ENTRY.format(id="asker-a").replace("søke om", "søke skriftlig om"), encoding="utf-8"
    )
    assert (await service.reload()).applied
    snapshot = read_snapshot(path)
    assert snapshot is not None
    assert snapshot.digest == knowledge_digest(tiny_kb)
    assert "skriftlig" in snapshot.kb.entries["asker-a"].answer["nb"]


async def test_a_reload_that_cannot_write_the_snapshot_still_applies(
    tiny_kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    service = KnowledgeService(tiny_kb, blocker / SNAPSHOT_FILE)
    assert "could not write the knowledge snapshot" in caplog.text
    assert (await service.reload()).applied


async def test_a_start_from_the_snapshot_tells_the_staff_chat(
    tiny_kb: Path, tmp_path: Path
) -> None:
    KnowledgeService(tiny_kb, tmp_path / "data" / SNAPSHOT_FILE)
    break_file(tiny_kb)
    async with live_bot(tmp_path, tiny_kb) as live:
        notice = await live.core.wait_for_message(
            live.staff_chat, lambda m: "last good version" in (m.text or "")
        )
        text = notice.text or ""
        assert "2 error(s)" in text
        assert "asker/payments.yaml:3" in text and "topik" in text
        assert f"{datetime.now(UTC).year}" in text and "UTC" in text
        # Residents are answered from the snapshot, the broken file's entry included.
        live.core.inject_text(live.resident, "/municipality asker")
        await live.core.wait_for_message(live.resident)
        reply = await live.send(live.resident, QUESTION)
        assert "utsatt betalingsfrist" in (reply.text or "")


async def test_a_good_start_tells_the_staff_chat_nothing(tiny_kb: Path, tmp_path: Path) -> None:
    async with live_bot(tmp_path, tiny_kb) as live:
        reply = await live.send(live.resident, "/help")
        assert reply.text
        assert live.core.bot_messages(live.staff_chat.id) == []
    assert read_snapshot(tmp_path / "data" / SNAPSHOT_FILE) is not None


def test_chat_mode_without_a_good_version_exits_2_with_the_problems(
    tiny_kb: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    break_file(tiny_kb)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tiny_kb))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["chat"]) == 2
    err = capsys.readouterr().err
    assert "asker/payments.yaml:3: error: unknown field 'topik'" in err
    assert "Traceback" not in err


def test_an_unchanged_knowledge_base_starts_from_its_snapshot(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second start reads JSON instead of parsing YAML; an edit makes it parse again."""
    path = tmp_path / SNAPSHOT_FILE
    first = KnowledgeService(tiny_kb, path)
    parsed: list[Path] = []

    def counted_load(root: Path) -> object:
        parsed.append(root)
        return load_knowledge(root)

    monkeypatch.setattr("bot.answering.service.load_knowledge", counted_load)
    again = KnowledgeService(tiny_kb, path)
    assert parsed == []
    assert again.responder.kb == first.responder.kb
    assert again.responder.answer(QUESTION, "asker").entry_id == "asker-a"
    payments = tiny_kb / "asker/payments.yaml"
    payments.write_text(payments.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    KnowledgeService(tiny_kb, path)
    assert parsed == [tiny_kb]


def test_a_snapshot_taken_by_another_loader_is_not_a_shortcut(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / SNAPSHOT_FILE
    KnowledgeService(tiny_kb, path)
    monkeypatch.setattr("bot.kb.snapshot.loader_digest", lambda: "other-code")
    parsed: list[Path] = []
    monkeypatch.setattr(
        "bot.answering.service.load_knowledge",
        lambda root: parsed.append(root) or load_knowledge(root),
    )
    KnowledgeService(tiny_kb, path)
    assert parsed == [tiny_kb]


def test_a_restart_with_unchanged_files_is_not_a_start_from_the_last_good_version(
    tiny_kb: Path, tmp_path: Path
) -> None:
    """Only broken files make the bot answer from its snapshot and say so; unchanged ones
    read back from it (or from the cache) are the files' own version."""
    path = tmp_path / SNAPSHOT_FILE
    KnowledgeService(tiny_kb, path)
    again = KnowledgeService(tiny_kb, path)
    assert again.fallback is None
    store = CacheStore(tmp_path / CACHE_FOLDER)
    KnowledgeService(tiny_kb, path, store)
    written = path.stat().st_mtime_ns
    cached = KnowledgeService(tiny_kb, path, CacheStore(store.folder))
    assert cached.fallback is None
    assert path.stat().st_mtime_ns == written  # the same snapshot is not written again
    assert cached.responder.answer(QUESTION, "asker").entry_id == "asker-a"
    break_file(tiny_kb)
    broken = KnowledgeService(tiny_kb, path, CacheStore(store.folder))
    assert broken.fallback is not None
    assert [str(p) for p in broken.last_result.errors] == [
        str(p) for p in load_knowledge(tiny_kb).errors
    ]
    assert broken.responder.answer(QUESTION, "asker").entry_id == "asker-a"


async def test_a_restart_with_unchanged_files_tells_the_staff_chat_nothing(
    tiny_kb: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    # The bot's last run: what it wrote as it started.
    KnowledgeService(tiny_kb, data / SNAPSHOT_FILE, CacheStore(data / CACHE_FOLDER))
    async with live_bot(tmp_path, tiny_kb) as live:
        assert live.core.bot_messages(live.staff_chat.id) == []
        reply = await live.send(live.resident, "/help")
        assert reply.text
        assert live.core.bot_messages(live.staff_chat.id) == []
    assert any((data / CACHE_FOLDER).glob("kb-*.rec"))


async def test_a_reload_with_the_cache_applies_the_edit(tiny_kb: Path, tmp_path: Path) -> None:
    store = CacheStore(tmp_path / CACHE_FOLDER)
    service = KnowledgeService(tiny_kb, tmp_path / SNAPSHOT_FILE, store)
    payments = tiny_kb / "asker" / "payments.yaml"
    payments.write_text(
        payments.read_text(encoding="utf-8").replace("utsatt betalingsfrist", "en ny frist"),
        encoding="utf-8",
    )
    outcome = await service.reload()
    assert outcome.applied and outcome.errors == []
    assert "en ny frist" in service.responder.answer(QUESTION, "asker").text
    break_file(tiny_kb)
    refused = await service.reload()
    assert not refused.applied
    assert [str(p) for p in refused.errors] == [str(p) for p in load_knowledge(tiny_kb).errors]
    assert "en ny frist" in service.responder.answer(QUESTION, "asker").text


def test_the_snapshot_is_written_as_pydantic_writes_it_byte_for_byte(tmp_path: Path) -> None:
    # Written one entry at a time (for the peak memory of a reload), read back by pydantic.
    from dataclasses import replace

    from bot.kb.snapshot import SNAPSHOT_FORMAT, _SnapshotFile

    kb = load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb
    first = next(iter(kb.entries.values()))
    odd = replace(first, id='notice-1~9 "ø"\\', title={"nb": "Kok vannet – «nå»", "en": "\u2028"})
    kb = replace(kb, entries={**kb.entries, odd.id: odd})
    snapshot = Snapshot(kb, datetime(2026, 12, 4, 19, 0, tzinfo=UTC), "digest")
    path = tmp_path / "snapshot.json"
    write_snapshot(path, snapshot)
    whole = _SnapshotFile(
        format=SNAPSHOT_FORMAT, taken_at=snapshot.taken_at, digest="digest", knowledge=kb
    ).model_dump_json()
    assert path.read_bytes() == whole.encode()
    back = read_snapshot(path)
    assert back is not None and back.kb == kb
