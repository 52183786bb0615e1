"""The bench's reload part: a synthetic knowledge base, edited as staff would, loads from the
cache to what loading it from nothing gives."""

from __future__ import annotations

from pathlib import Path

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.kb.cache import CACHE_FOLDER
from bot.tools.bench import edit_one_file, write_synthetic_kb
from tests.test_index_cache import _cached, _plain, _state


def test_the_benchs_edit_reloads_to_a_build_from_nothing(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    write_synthetic_kb(DEFAULT_KNOWLEDGE_DIR, kb, 600)
    folder = tmp_path / CACHE_FOLDER
    before = _cached(kb, folder)
    edited = edit_one_file(kb)
    assert "snowblower" in edited.read_text(encoding="utf-8")
    after = _cached(kb, folder)
    assert len(after.kb.entries) == len(before.kb.entries) == 600
    assert _state(after) != _state(before)
    assert _state(after) == _state(_plain(kb))


def test_the_bench_measures_the_live_services_own_reload(tmp_path: Path) -> None:
    from bot.tools.bench import _run_load

    kb = tmp_path / "kb"
    write_synthetic_kb(DEFAULT_KNOWLEDGE_DIR, kb, 600)
    figures = _run_load(kb, tmp_path / CACHE_FOLDER, "service")
    assert figures["entries"] == 600
    assert figures["rss_mb"] >= figures["start_rss_mb"] > 0
    assert "snowblower" in "".join(p.read_text(encoding="utf-8") for p in kb.glob("*/*.yaml"))
