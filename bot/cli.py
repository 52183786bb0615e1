"""The command line: `python -m bot COMMAND`. A thin layer over the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from bot.config import Settings, load_settings
from bot.errors import BotError, KnowledgeError, UsageError

if TYPE_CHECKING:
    from bot.answering import Reply, Responder
    from bot.kb.loader import LoadResult

Handler = Callable[[argparse.Namespace, Settings], int]


def _knowledge_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.dir) if getattr(args, "dir", None) else settings.knowledge_dir


def _load(root: Path) -> LoadResult:
    from bot.kb.loader import load_knowledge

    if not root.is_dir():
        raise KnowledgeError(f"the knowledge folder {root} does not exist")
    return load_knowledge(root)


def _problem_line(root: Path, problem: Any) -> str:
    where = root / problem.location.file
    line = f":{problem.location.line}" if problem.location.line else ""
    return f"{where}{line}: {problem.severity}: {problem.message}"


def _responder(root: Path, err: TextIO) -> Responder:
    """Load the knowledge base for answering; problems are reported but never fatal."""
    from bot.answering import Responder
    from bot.kb.service import settle_memory

    result = _load(root)
    if result.errors:
        print(
            f"warning: the knowledge base has {len(result.errors)} error(s); answering from the "
            f"{len(result.kb.entries)} entries that loaded (run: python -m bot kb check)",
            file=err,
        )
    responder = Responder(result.kb)
    settle_memory()
    return responder


def cmd_kb_check(args: argparse.Namespace, settings: Settings) -> int:
    """Report every problem in the knowledge folder; exit 1 when there are errors."""
    root = _knowledge_dir(args, settings)
    result = _load(root)
    for problem in result.problems:
        print(_problem_line(root, problem))
    entries = len(result.kb.entries)
    errors, warnings = len(result.errors), len(result.warnings)
    print(f"{entries} entries, {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def cmd_kb_test(args: argparse.Namespace, settings: Settings) -> int:
    """Run every example question through the matcher; list those that miss their entry."""
    from bot.kb.regression import run_examples

    root = _knowledge_dir(args, settings)
    responder = _responder(root, sys.stderr)
    misses = 0
    total = 0
    for outcome in run_examples(responder):
        total += 1
        if outcome.passed:
            continue
        misses += 1
        got = outcome.reply.entry_id or "-"
        print(
            f"{root / outcome.entry.location.file}:{outcome.line or outcome.entry.location.line}: "
            f"[{outcome.language}] {outcome.question!r} -> {outcome.reply.kind} {got} "
            f"(score {outcome.reply.score:.0f}), expected {outcome.entry.id}"
        )
    print(f"{total - misses}/{total} example questions find their own entry")
    return 1 if misses else 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def cmd_kb_export(args: argparse.Namespace, settings: Settings) -> int:
    """Print the whole loaded knowledge base as JSON."""
    root = _knowledge_dir(args, settings)
    kb = _load(root).kb
    document = {
        "municipalities": [asdict(m) for m in kb.municipalities.values()],
        "topics": [asdict(t) for t in kb.topics.values()],
        "sources": [asdict(s) for s in kb.sources.values()],
        "emergency": {c: [asdict(n) for n in numbers] for c, numbers in kb.emergency.items()},
        "entries": [asdict(e) for e in kb.entries.values()],
    }
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2, default=_jsonable)
    sys.stdout.write("\n")
    return 0


def _read_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines of standard input; undecodable bytes become U+FFFD instead of an error."""
    for raw in stream:
        yield raw.decode("utf-8", "replace").rstrip("\r\n")


def _parse_request(
    line: str, municipality: str | None, language: str | None
) -> tuple[str, str | None, str | None]:
    """A batch line is plain text or a JSON object with text, municipality and language."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            request = json.loads(stripped)
        except ValueError:
            return line, municipality, language
        if isinstance(request, dict):
            text = request.get("text")
            m = request.get("municipality", municipality)
            lang = request.get("language", language)
            return (
                text if isinstance(text, str) else "",
                m if isinstance(m, str) else None,
                lang if isinstance(lang, str) else None,
            )
    return line, municipality, language


def _show(reply: Reply, as_json: bool, out: TextIO, color: bool) -> None:
    from bot.terminal import html_to_text

    if as_json:
        out.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(html_to_text(reply.text, color) + "\n")
        details = f"[{reply.kind}"
        if reply.entry_id:
            details += f" {reply.entry_id}"
        details += f", {reply.language}, score {reply.score:.0f}]"
        out.write((f"\x1b[2m{details}\x1b[0m" if color else details) + "\n")
        for number, suggestion in enumerate(reply.suggestions, 1):
            out.write(f"  ({number}) {suggestion.title}\n")
        out.write("\n")
    out.flush()


def _check_choice(responder: Responder, municipality: str | None, language: str | None) -> None:
    from bot.language import normalise_language_code

    known = responder.kb.municipalities
    if municipality is not None and municipality not in known:
        raise UsageError(f"unknown municipality {municipality!r}; choose one of {', '.join(known)}")
    if (
        language is not None
        and normalise_language_code(language) != language
        and language
        not in (
            "nn",
            "no",
        )
    ):
        raise UsageError(f"unknown language {language!r}; use nb, sv or en")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, or every line of standard input."""
    responder = _responder(_knowledge_dir(args, settings), sys.stderr)
    _check_choice(responder, args.municipality, args.language)
    out = sys.stdout
    color = not args.json and out.isatty()
    if args.text:
        reply = responder.answer(" ".join(args.text), args.municipality, args.language)
        _show(reply, args.json, out, color)
        return 0
    interactive = sys.stdin.isatty()
    municipality, language = args.municipality, args.language
    if interactive:
        print(
            "Type a question (Ctrl-D to quit). '/municipality asker' and '/language en' change "
            f"the resident's choices. Municipalities: {', '.join(responder.kb.municipalities)}.",
            file=sys.stderr,
        )
    while True:
        if interactive:
            try:
                line = input("> ")
            except EOFError:
                print(file=sys.stderr)
                return 0
            command, _, value = line.strip().partition(" ")
            if command in ("/municipality", "/language"):
                try:
                    if command == "/municipality":
                        _check_choice(responder, value or None, None)
                        municipality = value or None
                    else:
                        _check_choice(responder, None, value or None)
                        language = value or None
                except UsageError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                continue
            _show(responder.answer(line, municipality, language), args.json, out, color)
        else:
            for line in _read_lines(sys.stdin.buffer):
                text, m, lang = _parse_request(line, municipality, language)
                if m is not None and m not in responder.kb.municipalities:
                    m = None
                _show(responder.answer(text, m, lang), args.json, out, color)
            return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve residents on Telegram."""
    from bot.tg.run import run_bot

    return run_bot(settings, webhook=args.webhook)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Talk to the real bot in the terminal, with no token and no network."""
    from bot.chat import run_chat

    return run_chat(settings)


def cmd_unanswered(args: argparse.Namespace, settings: Settings) -> int:
    """List what residents asked that the bot could not answer."""
    import asyncio
    import time

    from bot.storage import Database
    from bot.storage.records import Questions
    from bot.tg.runtime import DB_FILE

    path = settings.data_dir / DB_FILE
    if not path.exists():
        print(f"No database yet at {path}: nothing has been asked.")
        return 0

    async def report() -> list[tuple[str, str | None, int]]:
        async with Database(path) as db:
            return await Questions(db).unanswered(int(time.time()) - args.days * 86400, args.limit)

    rows = asyncio.run(report())
    if not rows:
        print(f"No unanswered questions in the last {args.days} days.")
    for text, municipality, count in rows:
        print(f"{count:4}x  [{municipality or '-'}]  {text}")
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the benchmarks."""
    from bot.bench import run

    return run(settings, args.sizes, args.queries, args.skip_bot)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="crisis-help-bot: answers residents' questions during a crisis.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    kb = commands.add_parser(
        "kb",
        help="check, test or export the knowledge base",
        description="Tools for staff who edit the knowledge base in knowledge/.",
    )
    kb_commands = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    check = kb_commands.add_parser(
        "check",
        help="report every problem in the knowledge base with file and line",
        description="Report every problem with file:line and a plain message. "
        "Exits 1 when there are errors; warnings alone exit 0.",
        epilog="example: python -m bot kb check knowledge/",
    )
    check.add_argument("dir", nargs="?", help="knowledge folder (default: $KNOWLEDGE_DIR)")
    check.set_defaults(handler=cmd_kb_check)
    test = kb_commands.add_parser(
        "test",
        help="check that every example question finds its own entry",
        description="Run every entry's example questions through the matcher and list those "
        "that don't land on their own entry. Staff's regression test after an edit.",
        epilog="example: python -m bot kb test",
    )
    test.add_argument("dir", nargs="?", help="knowledge folder (default: $KNOWLEDGE_DIR)")
    test.set_defaults(handler=cmd_kb_test)
    export = kb_commands.add_parser(
        "export",
        help="print the whole loaded knowledge base as JSON",
        description="Print the loaded knowledge base for translation tools and outside checks.",
        epilog="example: python -m bot kb export --json > kb.json",
    )
    export.add_argument("--json", action="store_true", required=True, help="JSON output")
    export.add_argument("dir", nargs="?", help="knowledge folder (default: $KNOWLEDGE_DIR)")
    export.set_defaults(handler=cmd_kb_export)

    ask = commands.add_parser(
        "ask",
        help="answer a question exactly as the bot would",
        description="Answer TEXT, or every line of standard input (plain text or a JSON "
        'object {"text": ..., "municipality": ..., "language": ...}). With --json, one JSON '
        "reply per line, flushed after each.",
        epilog='examples:\n  python -m bot ask --municipality asker "kan jeg utsette fakturaen?"\n'
        '  echo \'{"text": "library open?", "municipality": "ockero"}\' | '
        "python -m bot ask --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ask.add_argument("--municipality", "-m", help="the resident's municipality, e.g. asker")
    ask.add_argument("--language", "-l", help="the resident's preferred language: nb, sv or en")
    ask.add_argument("--json", action="store_true", help="print replies as JSON lines")
    ask.add_argument("--kb", dest="dir", help="knowledge folder (default: $KNOWLEDGE_DIR)")
    ask.add_argument("text", nargs="*", help="the question; without it, read standard input")
    ask.set_defaults(handler=cmd_ask)

    run = commands.add_parser(
        "run",
        help="serve residents on Telegram (needs TELEGRAM_BOT_TOKEN)",
        description="Run the bot with long polling, or with --webhook behind a public URL. "
        "Settings come from the environment; see .env.example.",
        epilog="example: TELEGRAM_BOT_TOKEN=123:abc... python -m bot run --webhook",
    )
    run.add_argument("--webhook", action="store_true", help="use PTB's webhook server")
    run.set_defaults(handler=cmd_run)

    chat = commands.add_parser(
        "chat",
        help="talk to the real bot in the terminal, with no token and no network",
        description="Runs the real bot against a local stand-in for the Bot API. Type as a "
        "resident, volunteer or staff member; buttons are numbered. Type :help inside.",
        epilog="example: python -m bot chat",
    )
    chat.set_defaults(handler=cmd_chat)

    unanswered = commands.add_parser(
        "unanswered",
        help="list questions the bot could not answer",
        description="What residents asked recently that the bot could not answer, most "
        "asked first: the best guide to what the knowledge base should cover next.",
        epilog="example: python -m bot unanswered --days 7",
    )
    unanswered.add_argument("--days", type=int, default=7, help="how far back (default 7)")
    unanswered.add_argument("--limit", type=int, default=50, help="at most this many rows")
    unanswered.set_defaults(handler=cmd_unanswered)

    bench = commands.add_parser(
        "bench",
        help="measure speed and memory (what make bench runs)",
        description="Answering latency, throughput, load time and peak RSS at several "
        "knowledge-base sizes, beside the naive approach, and the bot end to end.",
        epilog="example: python -m bot bench --sizes 100 1000",
    )
    bench.add_argument(
        "--sizes", type=int, nargs="+", default=[100, 1_000, 10_000], help="entries per run"
    )
    bench.add_argument("--queries", type=int, default=2_000, help="questions per run")
    bench.add_argument("--skip-bot", action="store_true", help="skip the end-to-end bot run")
    bench.set_defaults(handler=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        handler: Handler = args.handler
        return handler(args, settings)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
