"""The knowledge cache: a reload takes unchanged files from it, with exactly what parsing
them gives, and never trusts a record it did not write."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import pytest

from bot.kb import loader
from bot.kb.cache import CACHE_FOLDER, CacheStore
from bot.kb.loader import LoadResult, load_knowledge
from tests.conftest import ENTRY, WriteFile

TODAY = date(2026, 12, 1)

# Topic files with every kind of problem a file can have on its own, and ones that need the
# other files (topics, sources, related entries, the municipality's language) or today.
BROKEN = {
    "syntax": "entries:\n  - id: asker-x\n    topic: [payments\n",
    "not entries": "- just a list\n",
    "unknown field": ENTRY.format(id="asker-x").replace("    topic:", "    topik:"),
    "bad id": ENTRY.format(id="Asker X"),
    "twice": ENTRY.format(id="asker-x").replace(
        "    reviewed:", "    topic: payments\n    reviewed:"
    ),
    "long word": ENTRY.format(id="asker-x").replace("Utsatt betaling", "U" + "t" * 45),
    "unknown topic": ENTRY.format(id="asker-x").replace("topic: payments", "topic: paymants"),
    "unknown source": ENTRY.format(id="asker-x").replace("asker-2020-03-20", "nowhere"),
    "no nb": ENTRY.format(id="asker-x").replace("      nb: Utsatt betaling\n", ""),
    "related": ENTRY.format(id="asker-x") + "    related: [asker-missing, asker-a]\n",
    "review due": ENTRY.format(id="asker-x") + "    review_by: 2026-11-30\n",
    "future": ENTRY.format(id="asker-x").replace("2026-11-22", "2026-12-24"),
    "stale": ENTRY.format(id="asker-x")
    + "    reviewed_hashes: {nb: 0123456789abcdef, en: 0123456789abcdef}\n",
    "same question": ENTRY.format(id="asker-x"),
    "same id": ENTRY.format(id="asker-a"),
}


def _listing(tiny_kb: Path, *files: str) -> None:
    municipality = tiny_kb / "asker" / "municipality.yaml"
    text = municipality.read_text(encoding="utf-8").split("files:")[0]
    listed = "".join(f"  - {name}\n" for name in files)
    municipality.write_text(f"{text}files:\n{listed}", encoding="utf-8")


def _records(store: CacheStore) -> list[Path]:
    return sorted(store.folder.glob("kb-*.rec"))


def _seen(result: LoadResult) -> tuple[list[str], object]:
    return [str(p) for p in result.problems], result.kb


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_cached_file_reports_exactly_what_parsing_it_does(
    case: str, tiny_kb: Path, write: WriteFile, tmp_path: Path
) -> None:
    write("asker/other.yaml", BROKEN[case])
    _listing(tiny_kb, "payments.yaml", "other.yaml")
    plain = _seen(load_knowledge(tiny_kb, TODAY))
    store = CacheStore(tmp_path / CACHE_FOLDER)
    assert _seen(load_knowledge(tiny_kb, TODAY, store)) == plain  # written
    assert _seen(load_knowledge(tiny_kb, TODAY, CacheStore(store.folder))) == plain  # read
    assert plain[0], "each case has a problem to report"


def test_checks_that_depend_on_today_or_other_files_are_run_again(
    tiny_kb: Path, write: WriteFile, tmp_path: Path
) -> None:
    write("asker/other.yaml", BROKEN["review due"])
    _listing(tiny_kb, "payments.yaml", "other.yaml")
    store = CacheStore(tmp_path / CACHE_FOLDER)
    assert load_knowledge(tiny_kb, date(2026, 11, 29), store).warnings == []
    later = load_knowledge(tiny_kb, TODAY, CacheStore(store.folder))
    assert [str(p) for p in later.problems] == [
        str(p) for p in load_knowledge(tiny_kb, TODAY).problems
    ]
    assert "due for review" in str(later.warnings[0])
    # A topic removed from shared/topics.yaml makes the unchanged file's entry wrong.
    topics = tiny_kb / "shared" / "topics.yaml"
    topics.write_text(
        topics.read_text(encoding="utf-8").replace("payments:", "payings:"), encoding="utf-8"
    )
    again = load_knowledge(tiny_kb, TODAY, CacheStore(store.folder))
    assert [str(p) for p in again.problems] == [
        str(p) for p in load_knowledge(tiny_kb, TODAY).problems
    ]
    assert any("unknown topic 'payments'" in p.message for p in again.errors)


def test_only_the_edited_file_is_parsed_again(
    kb_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CacheStore(tmp_path / CACHE_FOLDER)
    first = load_knowledge(kb_copy, TODAY, store)
    parsed: list[str] = []
    real = loader._file_ops

    def counted(path: Path, data: bytes | None, root: Path) -> list[tuple[object, ...]]:
        parsed.append(path.name)
        return real(path, data, root)

    monkeypatch.setattr(loader, "_file_ops", counted)
    unchanged = load_knowledge(kb_copy, TODAY, CacheStore(store.folder))
    assert parsed == []
    assert unchanged.kb == first.kb and unchanged.problems == first.problems
    before = set(_records(store))
    payments = kb_copy / "asker" / "payments.yaml"
    payments.write_text(
        payments.read_text(encoding="utf-8").replace("faktura", "regning", 1), encoding="utf-8"
    )
    edited = load_knowledge(kb_copy, TODAY, CacheStore(store.folder))
    assert parsed == ["payments.yaml"]
    monkeypatch.setattr(loader, "_file_ops", real)
    assert _seen(edited) == _seen(load_knowledge(kb_copy, TODAY))
    # The edited file's old record was replaced by its new one.
    after = set(_records(store))
    assert len(before - after) == 1 and len(after - before) == 1


@pytest.mark.parametrize("damage", ["forged", "truncated", "flipped", "empty", "other key"])
def test_a_damaged_or_forged_record_is_ignored_and_rebuilt(
    damage: str,
    tiny_kb: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = CacheStore(tmp_path / CACHE_FOLDER)
    plain = _seen(load_knowledge(tiny_kb, TODAY))
    load_knowledge(tiny_kb, TODAY, store)
    [record] = _records(store)
    raw = record.read_bytes()
    if damage == "forged":
        # Someone without the secret writes a record: the MAC cannot match.
        forger = CacheStore(tmp_path / "elsewhere")
        forger.put("kb", "forged", [("p", "error", 1, "forged")])
        record.write_bytes((forger.folder / "kb-forged.rec").read_bytes())
    elif damage == "truncated":
        record.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped":
        record.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    elif damage == "empty":
        record.write_bytes(b"")
    else:
        # A genuine record of other content, put in this file's place.
        store.put("kb", "another-key", [("p", "error", 1, "not this file")])
        record.write_bytes((store.folder / "kb-another-key.rec").read_bytes())
    caplog.set_level(logging.INFO, logger="bot.kb.cache")
    again = CacheStore(store.folder)
    assert _seen(load_knowledge(tiny_kb, TODAY, again)) == plain
    assert caplog.records, "an unusable record is logged"
    # It was written again, good this time.
    assert _seen(load_knowledge(tiny_kb, TODAY, CacheStore(store.folder))) == plain


def test_a_record_from_other_code_is_not_used(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CacheStore(tmp_path / CACHE_FOLDER)
    load_knowledge(tiny_kb, TODAY, store)
    [record] = _records(store)
    monkeypatch.setattr(loader, "_loader_code", lambda: "other-code")
    parsed: list[Path] = []
    real = loader._file_ops
    monkeypatch.setattr(
        loader, "_file_ops", lambda path, data, root: parsed.append(path) or real(path, data, root)
    )
    load_knowledge(tiny_kb, TODAY, CacheStore(store.folder))
    assert len(parsed) == 1
    assert not record.exists()  # pruned: nothing uses it now


def test_an_unwritable_cache_changes_nothing(tiny_kb: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    store = CacheStore(blocker / CACHE_FOLDER)
    assert _seen(load_knowledge(tiny_kb, TODAY, store)) == _seen(load_knowledge(tiny_kb, TODAY))


def test_the_secret_is_the_bots_own(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / CACHE_FOLDER)
    store.put("kb", "k", [])
    secret = store.folder / "secret"
    assert secret.stat().st_mode & 0o077 == 0
    assert store.get("kb", "k") == []


def test_a_secret_others_can_write_is_not_trusted(
    tiny_kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = CacheStore(tmp_path / CACHE_FOLDER)
    load_knowledge(tiny_kb, TODAY, store)
    (store.folder / "secret").chmod(0o622)
    again = CacheStore(store.folder)
    assert again.get("kb", "anything") is None
    assert "can be written by others" in caplog.text
    assert _seen(load_knowledge(tiny_kb, TODAY, again)) == _seen(load_knowledge(tiny_kb, TODAY))


def test_a_write_cut_short_leaves_no_file_for_long(tiny_kb: Path, tmp_path: Path) -> None:
    store = CacheStore(tmp_path / CACHE_FOLDER)
    load_knowledge(tiny_kb, TODAY, store)
    old = store.folder / ".rec-old.tmp"
    recent = store.folder / ".rec-recent.tmp"
    for path in (old, recent):
        path.write_bytes(b"half a record")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    load_knowledge(tiny_kb, TODAY, CacheStore(store.folder))
    assert not old.exists() and recent.exists()


def test_the_libraries_that_shape_a_record_are_in_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # A record holds pydantic's verdicts and PyYAML's parse (C or pure loader): an upgrade of
    # either with the same Python must not reuse it.
    import pydantic
    import yaml

    from bot.kb.cache import code_digest

    before = code_digest([])
    monkeypatch.setattr(yaml, "__version__", "0.0-other")
    assert code_digest([]) != before
    monkeypatch.undo()
    monkeypatch.setattr(yaml, "__with_libyaml__", not yaml.__with_libyaml__)
    assert code_digest([]) != before
    monkeypatch.undo()
    monkeypatch.setattr(pydantic, "VERSION", "0.0-other")
    assert code_digest([]) != before


def test_a_secret_left_empty_by_a_crash_is_replaced(tmp_path: Path) -> None:
    # Created and then written: a crash in between left it empty, and the cache off for good.
    folder = tmp_path / CACHE_FOLDER
    folder.mkdir(mode=0o700)
    (folder / "secret").touch(mode=0o600)
    store = CacheStore(folder)
    store.put("kb", "k", [1])
    assert len((folder / "secret").read_bytes()) == 32
    assert CacheStore(folder).get("kb", "k") == [1]
    assert not [p for p in folder.iterdir() if p.name not in ("secret", "kb-k.rec")]
