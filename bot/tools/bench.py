"""`make bench`: speed and memory of answering, beside the naive approach, in one run.

Synthetic knowledge bases of 100, 1,000 and 10,000 entries are made by replicating the shipped
entries with perturbed wording, written as YAML and loaded the normal way. Each size runs in its
own process pinned to one core, so peak RSS and latency belong to that size alone. The naive
approach (rapidfuzz `process.extractOne` with WRatio over every example question) answers the
same questions in the same run; machines are noisy, so compare the ratio, not the milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.answering.service import settle_memory
from bot.config import Settings
from bot.kb.knowledge import SHARED, Entry, KnowledgeBase
from bot.kb.loader import MUNICIPALITY_FILE, SHARED_FILE, load_knowledge

SIZES = (100, 1_000, 10_000)
ENTRIES_PER_FILE = 200
QUERIES = 2_000
WARMUP = 200
# The naive method takes ~0.2 s a question at 10,000 entries; fewer questions keep the run short.
NAIVE_QUESTION_BUDGET = 1_000_000
SYLLABLES = ("ka", "lo", "vi", "ne", "sto", "mer", "dra", "fin")
TARGETS = {
    "shipped_p99_ms": 1.0,
    "large_p99_ms": 5.0,
    "large_rss_mb": 200.0,
    "cold_s": 1.0,
    "emergency_p99_ms": 0.3,
    "large_load_index_s": 5.0,
}

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _tag(number: int) -> str:
    """A pseudo-word unique to one synthetic entry, like a place name staff might write."""
    parts = []
    while True:
        number, digit = divmod(number, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
        if number == 0:
            break
    return "".join(parts) + "vik"


def _perturb(text: str, rng: random.Random, vocabulary: Sequence[str], tag: str) -> str:
    """Reword an example question: drop, swap or replace a word, and add the entry's tag."""
    words = text.split()
    roll = rng.random()
    if len(words) > 3 and roll < 0.3:
        del words[rng.randrange(len(words))]
    elif len(words) > 2 and roll < 0.6:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif words and roll < 0.8:
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
    words.insert(rng.randrange(len(words) + 1), tag)
    return " ".join(words)


def _entry_document(entry: Entry) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": entry.id,
        "topic": entry.topic,
        "title": dict(entry.title),
        "questions": {lang: list(q) for lang, q in entry.questions.items()},
        "answer": dict(entry.answer),
        "source": list(entry.sources),
        "reviewed": entry.reviewed.isoformat(),
    }
    if entry.keywords:
        document["keywords"] = {lang: list(k) for lang, k in entry.keywords.items()}
    if entry.countries:
        document["countries"] = list(entry.countries)
    return document


def write_synthetic_kb(source: Path, target: Path, size: int, seed: int = 7) -> None:
    """Copy the knowledge base at `source` to `target`, grown to `size` entries."""
    base = load_knowledge(source).kb
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    originals = [e for e in base.entries.values() if e.scope != SHARED]
    shared = len(base.entries) - len(originals)
    vocabulary = sorted(
        {w for e in originals for q in e.questions.values() for t in q for w in t.split()}
    )
    rng = random.Random(seed)
    extra: dict[str, list[dict[str, Any]]] = {}
    for number in range(max(size - len(originals) - shared, 0)):
        entry = originals[number % len(originals)]
        tag = _tag(number)
        document = _entry_document(entry)
        document["id"] = f"{entry.id[:30]}-{number}"
        document["title"] = {lang: f"{title} {tag}" for lang, title in entry.title.items()}
        document["questions"] = {
            lang: [_perturb(q, rng, vocabulary, tag) for q in questions]
            for lang, questions in entry.questions.items()
        }
        document.pop("keywords", None)
        extra.setdefault(entry.scope, []).append(document)
    for scope, documents in extra.items():
        folder = target / scope
        index = folder / MUNICIPALITY_FILE if scope != SHARED else folder / SHARED_FILE
        data = yaml.safe_load(index.read_text(encoding="utf-8"))
        # Topic files of a realistic size, as staff would split a large knowledge base.
        for start in range(0, len(documents), ENTRIES_PER_FILE):
            name = f"synthetic-{start // ENTRIES_PER_FILE:03d}.yaml"
            chunk = documents[start : start + ENTRIES_PER_FILE]
            (folder / name).write_text(
                yaml.dump({"entries": chunk}, Dumper=_Dumper, allow_unicode=True),
                encoding="utf-8",
            )
            data["files"].append(name)
        index.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True), encoding="utf-8")


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


def make_queries(kb: KnowledgeBase, count: int, seed: int = 11) -> list[tuple[str, str | None]]:
    """Questions as residents type them: example questions with a typo and a dropped word."""
    rng = random.Random(seed)
    entries = list(kb.entries.values())
    municipalities = list(kb.municipalities)
    queries: list[tuple[str, str | None]] = []
    while len(queries) < count:
        entry = rng.choice(entries)
        questions = [q for qs in entry.questions.values() for q in qs]
        words = rng.choice(questions).split()
        if len(words) > 3:
            del words[rng.randrange(len(words))]
        i = rng.randrange(len(words))
        words[i] = _typo(words[i], rng)
        scope = entry.scope if entry.scope != SHARED else rng.choice(municipalities)
        queries.append((" ".join(words).lower(), scope))
    return queries


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[-1]})


def worker(kb_dir: Path, method: str, count: int) -> dict[str, Any]:
    """Measure one method on one knowledge base in this process; returns the figures."""
    _pin_to_one_core()
    started = time.perf_counter()
    kb = load_knowledge(kb_dir).kb
    loaded = time.perf_counter()
    warmup = WARMUP
    if method == "naive":
        # Cost grows with the number of example questions; keep the run to a few minutes.
        examples = sum(len(q) for e in kb.entries.values() for q in e.questions.values())
        count = max(100, min(count, NAIVE_QUESTION_BUDGET // max(examples, 1)))
        warmup = min(WARMUP, count // 10)
    queries = make_queries(kb, count + warmup)
    if method == "ours":
        from bot.answering import Responder

        responder = Responder(kb)

        def ask(text: str, municipality: str | None) -> object:
            return responder.answer(text, municipality)

    else:
        from rapidfuzz import fuzz, process, utils

        choices = [q for e in kb.entries.values() for qs in e.questions.values() for q in qs]

        def ask(text: str, municipality: str | None) -> object:
            return process.extractOne(
                text, choices, scorer=fuzz.WRatio, processor=utils.default_process
            )

    built = time.perf_counter()
    settle_memory()  # as the bot and `ask` do: no collector pauses over the index
    latencies = []
    for index, (text, municipality) in enumerate(queries):
        begin = time.perf_counter_ns()
        ask(text, municipality)
        if index >= warmup:
            latencies.append((time.perf_counter_ns() - begin) / 1e6)
    elapsed_s = sum(latencies) / 1000
    # Peak memory before the snapshot is read back: that holds a second copy for a moment.
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    snapshot_s = _snapshot_read_seconds(kb) if method == "ours" else 0.0
    return {
        "entries": len(kb.entries),
        "load_s": loaded - started,
        "index_s": built - loaded,
        "snapshot_s": snapshot_s,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "qps": len(latencies) / elapsed_s if elapsed_s else 0.0,
        "rss_mb": rss_mb,
    }


def load_worker(kb_dir: Path, cache_dir: Path | None) -> dict[str, Any]:
    """Load and index one knowledge base in this process, through the knowledge cache in
    `cache_dir` when given (as the bot does with DATA_DIR/knowledge-cache)."""
    from bot.answering import Responder
    from bot.kb.cache import CacheStore

    _pin_to_one_core()
    store = CacheStore(cache_dir) if cache_dir is not None else None
    started = time.perf_counter()
    result = load_knowledge(kb_dir, cache=store)
    loaded = time.perf_counter()
    responder = Responder(result.kb, segments=result.segments, cache=store)
    built = time.perf_counter()
    return {
        "entries": len(responder.kb.entries),
        "load_s": loaded - started,
        "index_s": built - loaded,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def service_worker(kb_dir: Path, cache_dir: Path) -> dict[str, Any]:
    """What the running bot's own reload costs: the knowledge service starts through the
    cache in `cache_dir` (writing its snapshot, as a first start does), one file is edited,
    and the service reloads it while the old index still answers, then writes the snapshot.
    Peak RSS is taken after the start and again after the reload (the process's peak, so the
    second is the larger of the two). `kb_dir` is edited."""
    import asyncio

    from bot.answering.service import KnowledgeService
    from bot.kb.cache import CacheStore

    _pin_to_one_core()
    with tempfile.TemporaryDirectory(prefix="bench-service-") as folder:
        started = time.perf_counter()
        service = KnowledgeService(kb_dir, Path(folder) / "snapshot.json", CacheStore(cache_dir))
        start_s = time.perf_counter() - started
        start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        edit_one_file(kb_dir)
        began = time.perf_counter()
        outcome = asyncio.run(service.reload())
        reload_s = time.perf_counter() - began
    if not outcome.applied:
        raise RuntimeError(f"the bench's reload was refused: {outcome.errors[:3]}")
    return {
        "entries": outcome.entries,
        "start_s": start_s,
        "start_rss_mb": start_rss,
        "reload_s": reload_s,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def edit_one_file(kb_dir: Path) -> Path:
    """Do what a staff member does: change one entry of one topic file (a new example
    question with new words, a longer answer). Returns the file."""
    files = sorted(kb_dir.glob("*/synthetic-*.yaml"))
    path = files[len(files) // 2]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = data["entries"][0]
    lang = next(iter(entry["questions"]))
    entry["questions"][lang].append("snowblower depot hours tomorrow")
    entry["answer"][lang] += " Call the depot first."
    path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True), encoding="utf-8")
    return path


def _run_load(kb_dir: Path, cache_dir: Path | None, mode: str = "load") -> dict[str, Any]:
    command = [sys.executable, "-m", "bot.tools.bench", mode, str(kb_dir)]
    if cache_dir is not None:
        command.append(str(cache_dir))
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(output.stdout)
    return result


def reload_benchmark(kb_dir: Path) -> list[str]:
    """Load + index of `kb_dir` with no cache, with an empty one, with unchanged files and
    after one file was edited, each in its own process. `kb_dir` is edited."""
    lines = [
        "Load + index through the knowledge cache (one process each; what every start and "
        "reload costs)",
        f"{'':>26} {'load s':>7} {'index s':>8} {'total s':>8} {'RSS MB':>7}",
    ]
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as folder:
        cache = Path(folder) / "knowledge-cache"
        runs = [("no cache (YAML)", _run_load(kb_dir, None))]
        runs.append(("cache empty (written)", _run_load(kb_dir, cache)))
        runs.append(("unchanged files", _run_load(kb_dir, cache)))
        edit_one_file(kb_dir)
        runs.append(("one file edited", _run_load(kb_dir, cache)))
        service = _run_load(kb_dir, cache, "service")
    for name, figures in runs:
        total = figures["load_s"] + figures["index_s"]
        lines.append(
            f"{name:>26} {figures['load_s']:>7.2f} {figures['index_s']:>8.2f} {total:>8.2f} "
            f"{figures['rss_mb']:>7.0f}"
        )
        at = f"at {figures['entries']} entries, {name}"
        verdicts.append(_verdict(f"load + index {at}", total, "large_load_index_s", "s"))
        verdicts.append(_verdict(f"peak RSS loading {at}", figures["rss_mb"], "large_rss_mb", "MB"))
    # The figures above are fresh processes. A running bot's reload builds the new index while
    # the old one answers, and then writes the snapshot: its peak is the service's own.
    lines.append(
        f"{'live service':>26} start {service['start_s']:.2f} s, {service['start_rss_mb']:.0f} MB "
        f"peak; /reload of one edited file {service['reload_s']:.2f} s, "
        f"{service['rss_mb']:.0f} MB peak"
    )
    at = f"at {service['entries']} entries"
    verdicts.append(
        _verdict(f"live service's reload {at}", service["reload_s"], "large_load_index_s", "s")
    )
    verdicts.append(
        _verdict(
            f"peak RSS of the live service's reload {at}", service["rss_mb"], "large_rss_mb", "MB"
        )
    )
    return [*lines, *verdicts]


def _snapshot_read_seconds(kb: KnowledgeBase) -> float:
    """How long a start takes to read this knowledge base back from its snapshot (what the bot
    does when the files have not changed since the last good load)."""
    from datetime import UTC, datetime

    from bot.kb.snapshot import Snapshot, read_snapshot, write_snapshot

    with tempfile.TemporaryDirectory(prefix="bench-snapshot-") as folder:
        path = Path(folder) / "snapshot.json"
        write_snapshot(path, Snapshot(kb, datetime.now(UTC), "bench"))
        started = time.perf_counter()
        read_snapshot(path)
        return time.perf_counter() - started


def emergency_worker(kb_dir: Path, count: int) -> dict[str, Any]:
    """Time the emergency detector alone on residents' questions and on corpus messages.

    Every message is checked once before anything else (the answer function reuses that
    verdict), so the detector's own time is what detection adds to a message."""
    from bot.answering.emergency import EmergencyDetector
    from bot.answering.emergency.corpus import load_corpus

    _pin_to_one_core()
    started = time.perf_counter()
    detector = EmergencyDetector()
    loaded = time.perf_counter()
    kb = load_knowledge(kb_dir).kb
    # A running bot has seen many messages: its caches of words are warm. Warm them with one
    # set of questions, then measure another (with other typos).
    for text, _ in make_queries(kb, count, seed=3):
        detector.assess(text)
    questions = [text for text, _ in make_queries(kb, count + WARMUP)]
    tuning, _ = load_corpus()
    rng = random.Random(5)
    corpus = [s.text for s in rng.sample(tuning, min(len(tuning), count))]
    settle_memory()
    figures: dict[str, Any] = {"load_s": loaded - started}
    for name, texts in (("questions", questions), ("corpus", corpus)):
        latencies = []
        for index, text in enumerate(texts):
            begin = time.perf_counter_ns()
            detector.assess(text)
            if index >= WARMUP or name == "corpus":
                latencies.append((time.perf_counter_ns() - begin) / 1e6)
        figures[f"{name}_p50_ms"] = _percentile(latencies, 0.50)
        figures[f"{name}_p99_ms"] = _percentile(latencies, 0.99)
    figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def emergency_benchmark(kb_dir: Path, count: int) -> list[str]:
    """The report lines for emergency detection."""
    output = subprocess.run(
        [sys.executable, "-m", "bot.tools.bench", "emergency", str(kb_dir), str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(output.stdout)
    return [
        "Emergency detection (one core, the detector alone, per message)",
        f"  residents' questions: p50 {figures['questions_p50_ms']:.3f} ms, "
        f"p99 {figures['questions_p99_ms']:.3f} ms",
        f"  corpus messages (longer, half of them emergencies): p50 "
        f"{figures['corpus_p50_ms']:.3f} ms, p99 {figures['corpus_p99_ms']:.3f} ms",
        f"  loading the tables and weights {figures['load_s']:.2f} s; peak RSS "
        f"{figures['rss_mb']:.0f} MB",
        _verdict("emergency p99, questions", figures["questions_p99_ms"], "emergency_p99_ms", "ms"),
    ]


def _run_worker(kb_dir: Path, method: str, count: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bot.tools.bench", "worker", str(kb_dir), method, str(count)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(output.stdout)
    return result


def _wall(command: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def cold_start(kb_dir: Path) -> dict[str, float]:
    """Wall time of a cold `python -m bot ask`, beside a bare interpreter start."""
    bare = _wall([sys.executable, "-c", "pass"])
    ask = _wall(
        [sys.executable, "-m", "bot", "ask", "--kb", str(kb_dir), "kan jeg utsette fakturaen"]
    )
    return {"bare_s": bare, "ask_s": ask}


def answering_benchmark(kb_dir: Path, sizes: Sequence[int], count: int) -> list[str]:
    """Run every size for both methods; returns the report lines."""
    lines = [
        "Answering (one core; p50/p99 per question; ratio = naive / ours, higher is better)",
        f"{'entries':>8} {'method':>6} {'load s':>7} {'index s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'q/s':>8} {'RSS MB':>7}",
    ]
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as tmp:
        for size in (0, *sizes):
            target = kb_dir if size == 0 else Path(tmp) / f"kb-{size}"
            if size:
                write_synthetic_kb(kb_dir, target, size)
            ours = _run_worker(target, "ours", count)
            naive = _run_worker(target, "naive", count)
            for name, figures in (("ours", ours), ("naive", naive)):
                lines.append(
                    f"{figures['entries']:>8} {name:>6} {figures['load_s']:>7.2f} "
                    f"{figures['index_s']:>8.2f} {figures['p50_ms']:>8.3f} "
                    f"{figures['p99_ms']:>8.3f} {figures['qps']:>8.0f} {figures['rss_mb']:>7.0f}"
                )
            lines.append(
                f"{'':>8} {'ratio':>6} {'':>7} {'':>8} {naive['p50_ms'] / ours['p50_ms']:>7.1f}x "
                f"{naive['p99_ms'] / ours['p99_ms']:>7.1f}x {ours['qps'] / naive['qps']:>7.1f}x"
            )
            if size == 0:
                verdicts.append(_verdict("p99, shipped", ours["p99_ms"], "shipped_p99_ms", "ms"))
            if size == max(sizes):
                at = f"at {ours['entries']} entries"
                verdicts.append(_verdict(f"p99 {at}", ours["p99_ms"], "large_p99_ms", "ms"))
                verdicts.append(_verdict(f"peak RSS {at}", ours["rss_mb"], "large_rss_mb", "MB"))
                from_files = ours["load_s"] + ours["index_s"]
                from_snapshot = ours["snapshot_s"] + ours["index_s"]
                verdicts.append(
                    _verdict(f"load + index {at}, YAML", from_files, "large_load_index_s", "s")
                )
                verdicts.append(
                    _verdict(
                        f"load + index {at}, unchanged files (snapshot)",
                        from_snapshot,
                        "large_load_index_s",
                        "s",
                    )
                )
                if size:  # a synthetic copy: the reload part edits it
                    lines.append("")
                    lines.extend(reload_benchmark(target))
    cold = cold_start(kb_dir)
    lines += [
        "",
        f"Cold start: python -m bot ask {cold['ask_s']:.2f} s; bare interpreter "
        f"{cold['bare_s']:.2f} s (ratio {cold['ask_s'] / cold['bare_s']:.1f}x)",
    ]
    verdicts.append(_verdict("cold python -m bot ask", cold["ask_s"], "cold_s", "s"))
    return [*lines, "", "Targets:", *verdicts]


def _verdict(what: str, value: float, target: str, unit: str) -> str:
    limit = TARGETS[target]
    mark = "ok  " if value <= limit else "MISS"
    return f"  {mark} {what}: {value:.3g} {unit} (target <= {limit:g} {unit})"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for the per-size worker processes: `python -m bot.tools.bench worker ...`."""
    parser = argparse.ArgumentParser(prog="python -m bot.tools.bench")
    sub = parser.add_subparsers(dest="mode", required=True)
    work = sub.add_parser("worker")
    work.add_argument("kb_dir", type=Path)
    work.add_argument("method", choices=["ours", "naive"])
    work.add_argument("count", type=int)
    emergency = sub.add_parser("emergency")
    emergency.add_argument("kb_dir", type=Path)
    emergency.add_argument("count", type=int)
    load = sub.add_parser("load")
    load.add_argument("kb_dir", type=Path)
    load.add_argument("cache_dir", type=Path, nargs="?")
    service = sub.add_parser("service")
    service.add_argument("kb_dir", type=Path)
    service.add_argument("cache_dir", type=Path)
    reload = sub.add_parser("reload", help="only the load + index report, at SIZE entries")
    reload.add_argument("size", type=int, nargs="?", default=max(SIZES))
    args = parser.parse_args(argv)
    if args.mode == "load":
        print(json.dumps(load_worker(args.kb_dir, args.cache_dir)))
    elif args.mode == "service":
        print(json.dumps(service_worker(args.kb_dir, args.cache_dir)))
    elif args.mode == "reload":
        from bot.config import DEFAULT_KNOWLEDGE_DIR

        with tempfile.TemporaryDirectory(prefix="bench-kb-") as tmp:
            target = Path(tmp) / f"kb-{args.size}"
            write_synthetic_kb(DEFAULT_KNOWLEDGE_DIR, target, args.size)
            for line in reload_benchmark(target):
                print(line, flush=True)
    elif args.mode == "emergency":
        print(json.dumps(emergency_worker(args.kb_dir, args.count)))
    else:
        print(json.dumps(worker(args.kb_dir, args.method, args.count)))
    return 0


def console_benchmark(kb_dir: Path) -> list[str]:
    """The report lines for the console's pages, from their own process (see
    bot/tools/bench_console.py)."""
    output = subprocess.run(
        [sys.executable, "-m", "bot.tools.bench_console", str(kb_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return output.stdout.splitlines()


def run(settings: Settings, sizes: Sequence[int], queries: int, skip_bot: bool = False) -> int:
    """Run the whole benchmark and print the report (what `make bench` runs)."""
    for line in answering_benchmark(settings.knowledge_dir, sizes, queries):
        print(line, flush=True)
    print(flush=True)
    for line in emergency_benchmark(settings.knowledge_dir, queries):
        print(line, flush=True)
    print(flush=True)
    for line in console_benchmark(settings.knowledge_dir):
        print(line, flush=True)
    if not skip_bot:
        from bot.tools.bench_bot import bot_benchmark

        print(flush=True)
        for line in bot_benchmark(settings):
            print(line, flush=True)
        from bot.tools.bench_notices import notices_benchmark

        print(flush=True)
        for line in notices_benchmark(knowledge=settings.knowledge_dir):
            print(line, flush=True)

    from bot.tools.bench_pages import pages_benchmark

    print(flush=True)
    for line in pages_benchmark(settings):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
