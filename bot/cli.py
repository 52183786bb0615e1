"""The command line: `python -m bot COMMAND`. A thin layer over the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from bot.config import Settings, load_settings
from bot.errors import BotError, KnowledgeError, NotStaffError, UsageError
from bot.helpdesk.models import STATES
from bot.types import to_lang

if TYPE_CHECKING:
    from bot.answering import Reply, Responder
    from bot.console.auth import Actor
    from bot.console.masking import Masker
    from bot.helpdesk.models import HelpRequest, Volunteer
    from bot.helpdesk.routing import StaffScope
    from bot.kb.loader import LoadResult
    from bot.services import Services

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
    from bot.answering.service import settle_memory

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
    from bot.answering import Responder
    from bot.answering.regression import run_examples

    root = _knowledge_dir(args, settings)
    result = _load(root)
    # The errors first: entries that did not load cannot be tested.
    for problem in result.errors:
        print(_problem_line(root, problem))
    responder = Responder(result.kb)
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
    if result.errors:
        print(
            f"the knowledge base has {len(result.errors)} error(s): the entries they are in were "
            "not tested (run: python -m bot kb check)"
        )
    return 1 if misses or result.errors else 0


def cmd_kb_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    """Fit the answer confidence and its thresholds on labelled data and write the file."""
    from bot.answering.calibrate import calibrate, neutral_responder
    from bot.answering.calibration import CALIBRATION_FILE
    from bot.answering.linear_fit import write_model

    eval_root = Path(args.eval)
    if not eval_root.is_dir():
        raise UsageError(f"{eval_root} is not a folder: pass --eval with the dev.yaml folder")
    result = _load(_knowledge_dir(args, settings))
    report = calibrate(neutral_responder(result.kb), eval_root)
    out = Path(args.out or CALIBRATION_FILE)
    for line in report.lines:
        print(line)
    write_model(report.document, out)
    print(f"wrote {out}")
    return 0


def cmd_kb_reviewed(args: argparse.Namespace, settings: Settings) -> int:
    """Mark entries reviewed: set 'reviewed' and record a hash of each language's answer."""
    from bot.kb.review import StampError, stamp_reviewed

    if bool(args.ids) == args.all:
        raise UsageError("name the entries to mark reviewed, or use --all (not both)")
    root = _knowledge_dir(args, settings)
    result = _load(root)
    entries = result.kb.entries
    unknown = [entry_id for entry_id in args.ids if entry_id not in entries]
    if unknown:
        raise UsageError(
            f"no entry {', '.join(map(repr, unknown))} loaded (a misspelt id, or an entry with "
            "an error: run python -m bot kb check)"
        )
    chosen = list(entries.values()) if args.all else [entries[i] for i in args.ids]
    try:
        report = stamp_reviewed(root, chosen, args.date)
    except StampError as exc:
        raise KnowledgeError(str(exc)) from None
    for relative in report.files:
        print(f"{root / relative}: updated")
    print(
        f"{len(report.stamped)} entr{'y' if len(report.stamped) == 1 else 'ies'} marked reviewed "
        f"on {args.date.isoformat()}, {len(report.unchanged)} already were"
    )
    if args.all and result.errors:
        print(
            f"the knowledge base has {len(result.errors)} error(s): entries that did not load "
            "were not marked (run: python -m bot kb check)"
        )
        return 1
    return 0


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
    from bot.tools.terminal import html_to_text

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
    known = responder.kb.municipalities
    if municipality is not None and municipality not in known:
        raise UsageError(f"unknown municipality {municipality!r}; choose one of {', '.join(known)}")
    if language is not None and to_lang(language, strict=True) is None:
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
    from bot.tools.chat import run_chat

    return run_chat(settings)


def cmd_unanswered(args: argparse.Namespace, settings: Settings) -> int:
    """List what residents asked that the bot could not answer, masked, for the municipalities
    of the staff member `--as` names; the read is in the audit log."""
    import asyncio
    import time

    from bot.services import Services, database_path

    _needs_reader(args, "unanswered")
    path = database_path(settings)
    if not path.exists():
        print(f"No database yet at {path}: nothing has been asked.")
        return 0

    async def report() -> list[tuple[str, str | None, int]]:
        async with Services(settings) as services:
            reading = await _reader(services, args, "unanswered_list")
            since = int(time.time()) - args.days * 86400
            rows = await services.questions.unanswered(since, args.limit, reading.places)
            masker = _masker(services)
            return [(masker.mask(text, "en"), m, count) for text, m, count in rows]

    rows = asyncio.run(report())
    if not rows:
        print(f"No unanswered questions in the last {args.days} days.")
    for text, municipality, count in rows:
        print(f"{count:4}x  [{municipality or '-'}]  {text}")
    return 0


@dataclass(frozen=True)
class _Reading:
    """A staff member's read at the command line: who, and which municipalities it covers
    (None: every one, for the global staff without --municipality)."""

    actor: Actor
    scope: StaffScope
    places: frozenset[str] | None

    def covers(self, municipality: str | None) -> bool:
        return self.places is None or municipality in self.places


def _needs_reader(args: argparse.Namespace, command: str) -> None:
    """A listing shows residents' requests or words: only to staff, who name themselves."""
    if args.staff is None:
        raise UsageError(
            f"{command} shows residents' data, so it needs --as STAFF_ID: your Telegram user "
            "id, listed in STAFF_USER_IDS or STAFF_USER_IDS_<MUNICIPALITY> (the read is in "
            f"the audit log); example: python -m bot {command} --as 555000111"
        )


def _known_municipality(services: Services, municipality: str) -> None:
    """An unknown --municipality is a typo, refused: it would list nothing, or everything."""
    known = services.knowledge.responder.kb.municipalities
    if municipality not in known:
        raise UsageError(
            f"unknown municipality {municipality!r} for --municipality; choose one of "
            f"{', '.join(sorted(known))}"
        )


async def _reader(services: Services, args: argparse.Namespace, action: str) -> _Reading:
    """Who `--as` names and what they may read: their municipalities (every one for the
    global staff), or the one --municipality names, which must be theirs. The read is in
    the audit log before anything is shown: once for each municipality it covered, so each
    one's staff see it; the global staff's read of every municipality once, without one."""
    actor, scope = await _actor(services, args.staff)
    place = getattr(args, "municipality", None)
    places: frozenset[str] | None
    if place is not None:
        _known_municipality(services, place)
        if not scope.covers(place):
            mine = ", ".join(sorted(scope.municipalities))
            raise NotStaffError(
                f"--as {args.staff}: staff of {mine} only, not {place} (the global staff, in "
                "STAFF_USER_IDS, may read every municipality's)"
            )
        places = frozenset({place})
    else:
        places = None if scope.everywhere else scope.municipalities
    for municipality in [None] if places is None else sorted(places):
        await services.audit.record(actor, action, None, municipality)
    return _Reading(actor, scope, places)


def _masker(services: Services) -> Masker:
    """The console's masking of names, phone numbers and e-mail addresses in residents'
    words, knowing the knowledge base's own words (places, services) as the console does."""
    from bot.console.masking import Masker

    return Masker.for_knowledge(services.knowledge.responder.kb)


def _services_call(settings: Settings, action: Callable[[Any], Any]) -> Any:
    """Run `action(services)` against the bot's database; the database must exist."""
    import asyncio

    from bot.services import Services, database_path

    path = database_path(settings)
    if not path.exists():
        raise BotError(f"no database at {path} (set DATA_DIR to the bot's data folder)")

    async def run() -> Any:
        async with Services(settings) as services:
            return await action(services)

    return asyncio.run(run())


def _when(stamp: int | None) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "-"


def cmd_queue_list(args: argparse.Namespace, settings: Settings) -> int:
    """List help requests, newest last, for the municipalities of the staff member `--as`
    names, the residents' words masked; the read is in the audit log."""
    _needs_reader(args, "queue list")

    async def listing(services: Services) -> list[tuple[HelpRequest, str]]:
        reading = await _reader(services, args, "queue_list")
        found = await services.desk.requests.in_state(args.state)
        masker = _masker(services)
        return [
            (r, masker.mask(r.area, "en") if r.area else "(erased)")
            for r in found
            if reading.covers(r.municipality)
        ]

    requests = _services_call(settings, listing)
    if not requests:
        print("No help requests" + (f" in state {args.state}." if args.state else "."))
        return 0
    print(f"{'ref':<8} {'state':<10} {'category':<10} {'municipality':<14} {'created':<17} area")
    for r, area in requests:
        print(
            f"{r.ref:<8} {r.state:<10} {r.category:<10} {r.municipality or '-':<14} "
            f"{_when(r.created_at):<17} {area}"
        )
    return 0


def cmd_queue_show(args: argparse.Namespace, settings: Settings) -> int:
    """Show one request, with the resident's contact details (for staff following it up), to
    staff of its municipality that `--as` names; the read is in the audit log."""

    async def show(services: Services) -> HelpRequest:
        actor, _, request = await _request_for(services, args.ref, args.staff)
        # Logged before anything is shown: a read of personal data never goes unrecorded.
        await services.audit.record(actor, "queue_show", request.ref, request.municipality)
        return request

    request = _services_call(settings, show)
    fields = [
        ("reference", request.ref),
        ("state", request.state),
        ("category", request.category),
        ("municipality", request.municipality or "-"),
        ("language", request.language),
        ("description", request.description or "(erased)"),
        ("area", request.area or "(erased)"),
        ("when", request.timing),
        ("contact", request.contact_method),
        ("resident", request.resident_name or "(erased)"),
        ("phone", request.phone or "-"),
        ("volunteer", str(request.volunteer_id) if request.volunteer_id else "-"),
        ("created", _when(request.created_at)),
        ("claimed", _when(request.claimed_at)),
        (
            "closed",
            _when(request.closed_at) + (f" by {request.closed_by}" if request.closed_by else ""),
        ),
        ("escalated", _when(request.escalated_at)),
        ("erased", _when(request.erased_at)),
    ]
    for name, value in fields:
        print(f"{name:<13} {value}")
    return 0


EXPORT_FIELDS = (
    "ref",
    "state",
    "category",
    "municipality",
    "language",
    "timing",
    "contact_method",
    "created_at",
    "claimed_at",
    "closed_at",
    "closed_by",
    "escalated_at",
)


def cmd_queue_export(args: argparse.Namespace, settings: Settings) -> int:
    """All requests of the municipalities of the staff member `--as` names, as CSV for
    reporting: no names, contact details or descriptions; the read is in the audit log."""
    import csv

    _needs_reader(args, "queue export")

    async def export(services: Services) -> list[HelpRequest]:
        reading = await _reader(services, args, "queue_export")
        found = await services.desk.requests.in_state(None)
        return [r for r in found if reading.covers(r.municipality)]

    requests = _services_call(settings, export)
    writer = csv.writer(sys.stdout)
    writer.writerow(EXPORT_FIELDS)
    for request in requests:
        row = []
        for name in EXPORT_FIELDS:
            value = getattr(request, name)
            if name.endswith("_at") and value is not None:
                value = datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")
            row.append("" if value is None else value)
        writer.writerow(row)
    return 0


def cmd_volunteers_list(args: argparse.Namespace, settings: Settings) -> int:
    """List registered volunteers, with where each stands in every municipality they signed up
    for (each municipality's staff decide for it alone), for the staff member `--as` names:
    a municipality's staff see those who signed up for theirs (and those for anywhere, whom
    they may be handed), with their state there only. With --municipality, those who signed
    up for it or for anywhere, and --state is their state there. First names only, and the
    areas masked, as the console shows them; the read is in the audit log."""
    from bot.helpdesk.models import overall_state
    from bot.helpdesk.repository import first_name

    _needs_reader(args, "volunteers list")
    place = args.municipality

    async def listing(services: Services) -> tuple[_Reading, list[Volunteer], Masker]:
        reading = await _reader(services, args, "volunteers_list")
        found = await services.desk.volunteers.in_state(
            None if place or reading.places is not None else args.state
        )
        return reading, found, _masker(services)

    reading, found, masker = _services_call(settings, listing)

    def shown_in(v: Volunteer) -> tuple[str, ...]:
        # Only the reader's own municipalities: another's vetting outcome is theirs to see.
        return tuple(m for m in v.municipalities if reading.covers(m))

    def state_there(v: Volunteer) -> str:
        # Registered before municipalities were asked for: may help anywhere, decided as a
        # whole.
        if not v.municipalities:
            return v.state
        if reading.places is None:
            return v.state
        return overall_state([v.state_in(m) or "pending" for m in shown_in(v)])

    volunteers = [v for v in found if shown_in(v) or not v.municipalities]
    if reading.places is not None and args.state:
        volunteers = [v for v in volunteers if state_there(v) == args.state]
    if not volunteers:
        print(
            "No volunteers"
            + (f" for {place}" if place else "")
            + (f" in state {args.state}." if args.state else ".")
        )
        return 0
    print(f"{'id':<12} {'state':<9} {'name':<24} {'area':<18} {'can help with':<24} in")
    for v in volunteers:
        places = ",".join(f"{m}: {v.state_in(m) or 'pending'}" for m in shown_in(v)) or "anywhere"
        area = masker.mask(v.area, "en") if v.area else "-"
        print(
            f"{v.user_id:<12} {state_there(v):<9} {first_name(v.name)[:24]:<24} "
            f"{area[:18]:<18} {','.join(v.skills):<24} {places}"
        )
    return 0


async def _actor(services: Services, staff_id: int) -> tuple[Actor, StaffScope]:
    """Who `--as` names, for the audit log (with the first name the log last recorded for
    them from Telegram), and where they may act; NotStaffError when they are not configured
    staff. The command line cannot see who is in the staff chats, so only STAFF_USER_IDS
    and STAFF_USER_IDS_<MUNICIPALITY> count here."""
    from bot.console.auth import CLI, Actor

    scope = services.chats.scope(staff_id, ())
    if not scope.is_staff:
        raise NotStaffError(
            f"--as {staff_id}: not staff: list them in STAFF_USER_IDS (staff everywhere) or "
            "STAFF_USER_IDS_<MUNICIPALITY> (the command line cannot see who is in the staff "
            "chats)"
        )
    return Actor(staff_id, await services.audit.name_of(staff_id), CLI), scope


def _not_theirs(staff_id: int, scope: StaffScope, what: str) -> NotStaffError:
    mine = ", ".join(sorted(scope.municipalities))
    return NotStaffError(
        f"--as {staff_id}: staff of {mine} only, and {what} (the global staff, in "
        "STAFF_USER_IDS, may act on it)"
    )


def cmd_volunteers_decide(args: argparse.Namespace, settings: Settings) -> int:
    """Approve, reject or revoke a volunteer as the staff member `--as` names, in the audit
    log; they are told when the bot next sends."""
    action = args.volunteers_command

    async def decide(services: Services) -> Volunteer:
        actor, scope = await _actor(services, args.staff)
        place = args.municipality
        if place is not None:
            _known_municipality(services, place)
        actions = services.actions
        # The scope first: a municipality's staff learn nothing of another's volunteers, not
        # even whether they exist or where they signed up.
        if not scope.everywhere and not await actions.may_act(scope, "volunteers", args.id, place):
            there = f" for {place}" if place else ""
            raise _not_theirs(args.staff, scope, f"volunteer {args.id} is not theirs{there}")
        volunteer = await services.desk.volunteers.get(args.id)
        if volunteer is None:
            raise BotError(f"there is no volunteer {args.id} (see: python -m bot volunteers list)")
        if place is not None and place not in volunteer.municipalities:
            places = ", ".join(volunteer.municipalities) or "anywhere"
            raise BotError(
                f"volunteer {args.id} signed up for {places}, not {place}"
                + ("" if volunteer.municipalities else ": decide without --municipality")
            )
        if action == "revoke":
            done = await actions.revoke(actor, args.id, place)
        else:
            # Staff at the command line may approve again someone rejected or revoked.
            approve = action == "approve"
            done = await actions.decide(actor, args.id, approve, place, again=True)
        if done is None:
            wanted = {"revoke": "approved", "approve": "pending, rejected or revoked"}.get(
                action, "pending"
            )
            raise BotError(
                f"volunteer {args.id} is not {wanted} (see: python -m bot volunteers list)"
            )
        return done

    volunteer = _services_call(settings, decide)
    states = ", ".join(f"{m}: {state}" for m, state in volunteer.approvals)
    print(
        f"volunteer {args.id} ({volunteer.name or '-'}) is now {volunteer.state}"
        + (f" ({states})" if states else "")
    )
    return 0


async def _request_for(
    services: Services, ref: str, staff_id: int
) -> tuple[Actor, StaffScope, HelpRequest]:
    """The staff member `--as` names, where they may act, and the request `ref`, which must
    be of one of their municipalities."""
    actor, scope = await _actor(services, staff_id)
    request = await services.desk.requests.by_ref(ref)
    # Another municipality's request is, for them, no request: the same words and exit
    # status as an unknown reference, so they cannot learn that it exists.
    if request is None or not await services.actions.may_act(scope, "requests", request.id):
        raise BotError(f"no help request {ref!r} (see: python -m bot queue list --as {staff_id})")
    return actor, scope, request


def cmd_queue_close(args: argparse.Namespace, settings: Settings) -> int:
    """Close a request as the staff chat's Close does, as the staff member `--as` names."""

    async def close(services: Services) -> HelpRequest:
        actor, _, request = await _request_for(services, args.ref, args.staff)
        if not await services.actions.close_request(actor, request.id):
            raise BotError(f"{request.ref} is {request.state}: only an active request closes")
        return request

    request = _services_call(settings, close)
    print(f"{request.ref} closed; the resident and any volunteer are told when the bot next sends")
    return 0


# What a hand-over that did not happen says, by the help desk's claim status.
_NOT_HANDED = {
    "not_volunteer": "is not an approved volunteer",
    "elsewhere": "is not approved for the request's municipality",
    "missing": "cannot take it: the request is gone",
    "taken": "cannot take it: another volunteer has it (close it, or ask them to release it)",
    "closed": "cannot take it: the request is closed",
}


def cmd_queue_assign(args: argparse.Namespace, settings: Settings) -> int:
    """Hand a request to a volunteer as the staff chat's hand-over does, as the staff member
    `--as` names."""

    async def assign(services: Services) -> tuple[HelpRequest, str]:
        actor, scope, request = await _request_for(services, args.ref, args.staff)
        status = await services.actions.hand_over(actor, request.id, args.volunteer)
        if status == "gone":
            # No such volunteer registered: not an approved volunteer, for everyone.
            status = "not_volunteer"
        if status == "elsewhere" and not scope.everywhere:
            volunteer = await services.desk.volunteers.get(args.volunteer)
            approved = volunteer.approved_for if volunteer else ()
            if not any(scope.covers(m) for m in approved):
                # Approved only in municipalities that are not theirs: to them, no approved
                # volunteer at all (the same words as an unknown id). One they see approved
                # in another of theirs is told why, as to the global staff.
                status = "not_volunteer"
        return request, status

    request, status = _services_call(settings, assign)
    if status == "yours":
        print(f"{request.ref} is {args.volunteer}'s already")
        return 0
    if status != "won":
        raise BotError(f"volunteer {args.volunteer} {_NOT_HANDED.get(status, status)}")
    print(
        f"{request.ref} handed to {args.volunteer}; they and the resident are told when the bot "
        "next sends"
    )
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    """Erase everything about a person, as their /forgetme does (for a request by other
    means: a phone call, a letter), as the staff member `--as` names. Their active requests
    are cancelled and their volunteers told when the bot next sends."""

    async def erase(services: Services) -> int:
        actor, scope = await _actor(services, args.staff)
        return await services.erase_for_staff(args.id, actor, scope)

    erased = _services_call(settings, erase)
    print(f"erased everything about {args.id} ({erased} help request(s))")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """How the answer engine does on the independent corpora, part by part."""
    from bot.answering.evaluate import evaluate, load_questions

    responder = _responder(_knowledge_dir(args, settings), sys.stderr)
    tuning, holdout = load_questions()
    parts = {"tuning": tuning, "holdout": holdout}
    for name in list(parts) if args.part == "both" else [args.part]:
        tally = evaluate(responder, parts[name])
        for line in tally.lines(name):
            print(line)
        if args.details:
            for kind, count in sorted(tally.kinds.items()):
                print(f"  {kind}: {count}")
    return 0


def cmd_emergency_fit(args: argparse.Namespace, settings: Settings) -> int:
    """Fit the emergency detector's model on the tuning part of the corpus and write it."""
    from bot.answering.emergency import DATA_DIR
    from bot.answering.emergency.corpus import (
        ORDINARY_CORPORA,
        knowledge_questions,
        load_corpus,
        load_ordinary,
    )
    from bot.answering.emergency.fit import fit
    from bot.answering.emergency.rules import load_rules
    from bot.answering.linear_fit import corpus_digest

    corpus = Path(args.corpus)
    tuning, _ = load_corpus(corpus)
    ordinary, _ = load_ordinary()
    ordinary += knowledge_questions(settings.knowledge_dir)
    digest = corpus_digest([corpus, *(root for root in ORDINARY_CORPORA if root.is_dir())])
    report = fit(tuning + ordinary, load_rules(DATA_DIR), digest)
    return _report_fit(report.lines, report.model, Path(args.out or DATA_DIR / "model.json"))


def _report_fit(lines: list[str], model: dict[str, Any], out: Path) -> int:
    """Print what a fit chose and write its model file."""
    from bot.answering.linear_fit import write_model

    for line in lines:
        print(line)
    write_model(model, out)
    print(f"wrote {out}")
    return 0


def cmd_emergency_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Report how the shipped emergency detector does on the corpus, part by part."""
    from bot.answering.emergency import EmergencyDetector
    from bot.answering.emergency.corpus import load_corpus, load_ordinary
    from bot.answering.emergency.evaluate import evaluate, example_lines

    tuning, holdout = load_corpus(Path(args.corpus))
    ordinary_tuning, ordinary_holdout = load_ordinary()
    detector = EmergencyDetector()
    parts = {
        "tuning": tuning,
        "holdout": holdout,
        "ordinary": ordinary_tuning,
        "ord-holdout": ordinary_holdout,
    }
    chosen = {
        "both": ["tuning", "holdout", "ordinary", "ord-holdout"],
        "tuning": ["tuning", "ordinary"],
        "holdout": ["holdout", "ord-holdout"],
    }[args.part]
    for name in chosen:
        result = evaluate(name, parts[name], detector.assess)
        for line in result.lines(args.details):
            print(line)
        if args.examples:
            print(f"  emergencies without the full reply ({len(result.misses)}):")
            print("\n".join(example_lines(result.misses, args.examples)))
            print(f"  non-emergencies with the full reply ({len(result.false_alarms)}):")
            print("\n".join(example_lines(result.false_alarms, args.examples)))
    return 0


def cmd_emergency_check(args: argparse.Namespace, settings: Settings) -> int:
    """Show the emergency detector's verdict on one message."""
    from bot.answering.emergency import EmergencyDetector

    verdict = EmergencyDetector().assess(" ".join(args.text))
    print(
        f"{verdict.level.name.lower()} (score {verdict.score:.3f}); "
        f"situation {verdict.situation or '-'}; rule {verdict.rule or '-'}"
    )
    return 0


def cmd_help_fit(args: argparse.Namespace, settings: Settings) -> int:
    """Fit the help detector's model on the tuning part of the corpus and write it."""
    from bot.answering.linear_fit import corpus_digest
    from bot.answering.practical_help import DATA_DIR
    from bot.answering.practical_help.corpus import (
        ORDINARY_CORPORA,
        knowledge_questions,
        load_corpus,
    )
    from bot.answering.practical_help.fit import fit

    corpus = Path(args.corpus)
    tuning, _ = load_corpus(corpus)
    tuning += knowledge_questions(settings.knowledge_dir)
    digest = corpus_digest([corpus, *(root for root in ORDINARY_CORPORA if root.is_dir())])
    report = fit(tuning, digest)
    out = Path(args.out or DATA_DIR / "model.json")
    code = _report_fit(report.lines, report.model, out)
    # The whole answer function on the tuning part, with each message's out-of-fold verdict
    # decided by the new model's thresholds.
    import tempfile

    from bot.answering import Responder
    from bot.answering.evaluate import help_out_of_fold
    from bot.answering.linear_fit import write_model
    from bot.answering.practical_help import HelpDetector
    from bot.kb.loader import load_knowledge

    kb = load_knowledge(settings.knowledge_dir).kb
    scores = {s.text: f for s, f in zip(tuning, report.fused, strict=True)}
    with tempfile.TemporaryDirectory() as folder:
        write_model(report.model, Path(folder) / "model.json")
        detector = HelpDetector(Path(folder))
    print(help_out_of_fold(lambda v: Responder(kb, help_verdict=v), scores, detector))
    return code


def cmd_help_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Report how the shipped help detector does on the corpus, part by part."""
    from bot.answering.practical_help import HelpDetector
    from bot.answering.practical_help.corpus import load_corpus
    from bot.answering.practical_help.evaluate import evaluate

    tuning, holdout = load_corpus(Path(args.corpus))
    detector = HelpDetector()
    parts = {"tuning": tuning, "holdout": holdout}
    chosen = ["tuning", "holdout"] if args.part == "both" else [args.part]
    for name in chosen:
        result = evaluate(name, parts[name], detector.assess)
        for line in result.lines(args.details):
            print(line)
        if args.examples:
            print(f"  requests not passed on ({len(result.misses)}):")
            for sample in result.misses[: args.examples]:
                print(f"    {sample.author} {sample.category}: {sample.text[:140]}")
            print(f"  other messages passed on ({len(result.false_positives)}):")
            for sample in result.false_positives[: args.examples]:
                print(f"    {sample.author} {sample.source}: {sample.text[:140]}")
    return 0


def cmd_help_check(args: argparse.Namespace, settings: Settings) -> int:
    """Show the help detector's verdict on one message."""
    from bot.answering.practical_help import HelpDetector

    detector = HelpDetector()
    text = " ".join(args.text)
    score, rule, _ = detector.score(text)
    found = detector.assess(text)
    verdict = f"{found.strength.value} ({found.category})" if found else "none"
    patterns = f"{rule.strength.value} ({rule.category})" if rule else "none"
    print(f"{verdict}; score {score:.3f}; the patterns alone: {patterns}")
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the benchmarks."""
    from bot.tools.bench import run

    return run(settings, args.sizes, args.queries, args.skip_bot)


def _positive(text: str) -> int:
    """A whole number of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written as YYYY-MM-DD") from None


def _add_reader(
    parser: argparse.ArgumentParser,
    command: str,
    municipality_help: str = "only this municipality (an id such as asker; default: every one "
    "you are staff of)",
) -> None:
    """The `--as STAFF_ID` of a listing (checked by the command, with a message of its own
    and an example, rather than argparse's) and its `--municipality`."""
    parser.add_argument(
        "--as",
        dest="staff",
        type=int,
        metavar="STAFF_ID",
        help="needed: your Telegram user id, listed in STAFF_USER_IDS (every municipality) or "
        "STAFF_USER_IDS_<MUNICIPALITY> (that one only); the read is in the audit log, e.g. "
        f"python -m bot {command} --as 555000111",
    )
    parser.add_argument("--municipality", help=municipality_help)


def _add_staff(parser: argparse.ArgumentParser) -> None:
    """The required `--as STAFF_ID` of a command that changes something as staff."""
    parser.add_argument(
        "--as",
        dest="staff",
        type=int,
        required=True,
        metavar="STAFF_ID",
        help="your Telegram user id, listed in STAFF_USER_IDS or STAFF_USER_IDS_<MUNICIPALITY>: "
        "the audit log records that you did it, from the command line",
    )


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
    calibration = kb_commands.add_parser(
        "calibrate",
        help="fit when the bot answers, asks or abstains",
        description="Fit the answer confidence (a logistic regression over the matcher's "
        "signals) on the knowledge base's example questions (each left out in turn), the eval "
        "sets and the corpora's tuning part, choose the decision thresholds out of fold, print "
        "the reliability table and write bot/answering/data/calibration.json. Needs the dev "
        "extra (scikit-learn).",
        epilog="example: python -m bot kb calibrate",
    )
    calibration.add_argument("--kb", dest="dir", help="knowledge folder (default: $KNOWLEDGE_DIR)")
    calibration.add_argument(
        "--eval", default="../shared/eval", help="folder of dev.yaml and dev2.yaml"
    )
    calibration.add_argument("--out", help="where to write (default: the shipped file)")
    calibration.set_defaults(handler=cmd_kb_calibrate)
    reviewed = kb_commands.add_parser(
        "reviewed",
        help="mark entries reviewed and record a hash of each language's answer",
        description="Set 'reviewed' to the date and write 'reviewed_hashes' under it: a short "
        "hash of each language's answer. kb check then warns when one language's answer is "
        "edited and another is not. Only those two lines of each entry change; the rest of "
        "the file stays exactly as it was.",
        epilog="examples:\n  python -m bot kb reviewed asker-invoice-deferral\n"
        "  python -m bot kb reviewed --all --date 2026-11-22",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reviewed.add_argument("ids", nargs="*", metavar="ENTRY-ID", help="the entries to mark")
    reviewed.add_argument("--all", action="store_true", help="mark every entry that loads")
    reviewed.add_argument(
        "--date",
        type=_iso_date,
        default=date.today(),
        help="the date of the review, YYYY-MM-DD (default: today)",
    )
    reviewed.add_argument("--kb", dest="dir", help="knowledge folder (default: $KNOWLEDGE_DIR)")
    reviewed.set_defaults(handler=cmd_kb_reviewed)
    export = kb_commands.add_parser(
        "export",
        help="print the whole loaded knowledge base as JSON",
        description="Print the loaded knowledge base for translation tools and outside checks.",
        epilog="example: python -m bot kb export --json > kb.json",
    )
    export.add_argument(
        "--json", action="store_true", help="JSON output (the default and only format)"
    )
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
        help="list questions the bot could not answer (needs --as)",
        description="What residents asked recently that the bot could not answer, most "
        "asked first: the best guide to what the knowledge base should cover next. Names, "
        "phone numbers and e-mail addresses are masked as in the console. It shows residents' "
        "words, so it needs --as STAFF_ID: the municipalities you are staff of (every one for "
        "the global staff); the read is in the audit log.",
        epilog="examples:\n  python -m bot unanswered --days 7 --as 555000111"
        "\n  python -m bot unanswered --municipality asker --as 555000111",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    unanswered.add_argument(
        "--days", type=_positive, default=7, help="how far back, in days (default 7)"
    )
    unanswered.add_argument(
        "--limit", type=_positive, default=50, help="at most this many rows (default 50)"
    )
    _add_reader(unanswered, "unanswered")
    unanswered.set_defaults(handler=cmd_unanswered)

    queue = commands.add_parser(
        "queue",
        help="see help requests (list, show, export), close or hand them over",
        description="The volunteer queue, read from the bot's database (DATA_DIR). Every "
        "command is a staff member's, named with --as, and sees only the requests of the "
        "municipalities they are staff of (every one for the global staff): listing, "
        "exporting and showing are in the audit log as reads, closing and handing over as "
        "changes.",
        epilog="examples:\n  python -m bot queue list --state open --as 555000111"
        "\n  python -m bot queue show A-1042 --as 555000111"
        "\n  python -m bot queue export --csv --as 555000111 > requests.csv"
        "\n  python -m bot queue close A-1042 --as 555000111",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    queue_commands = queue.add_subparsers(
        dest="queue_command", metavar="QUEUE_COMMAND", required=True
    )
    listing = queue_commands.add_parser(
        "list",
        help="list help requests (needs --as)",
        description="List help requests without contact details, their areas masked as in "
        "the console, for the staff member --as names: the requests of the municipalities "
        "they are staff of (every one for the global staff). The read is in the audit log.",
        epilog="example: python -m bot queue list --state open --as 555000111",
    )
    listing.add_argument("--state", choices=STATES)
    _add_reader(listing, "queue list")
    listing.set_defaults(handler=cmd_queue_list)
    show = queue_commands.add_parser(
        "show",
        help="show one request, with contact details",
        description="Show one help request by its reference, with the resident's contact "
        "details, for staff following it up: staff of its municipality, whom --as names. "
        "The read is in the audit log.",
        epilog="example: python -m bot queue show A-1042 --as 555000111",
    )
    show.add_argument("ref", help="the request's reference, such as A-1042")
    _add_staff(show)
    show.set_defaults(handler=cmd_queue_show)
    export = queue_commands.add_parser(
        "export",
        help="all requests as CSV, without personal data (needs --as)",
        description="Every request as CSV for reporting: no names, contact details or "
        "descriptions; the requests of the municipalities the staff member --as names is "
        "staff of (every one for the global staff). The read is in the audit log.",
        epilog="example: python -m bot queue export --csv --as 555000111 > requests.csv",
    )
    _add_reader(export, "queue export")
    export.add_argument(
        "--csv", action="store_true", help="CSV output (the default and only format)"
    )
    export.set_defaults(handler=cmd_queue_export)
    close = queue_commands.add_parser(
        "close",
        help="close a request, as the staff chat's Close does",
        description="Close an open or claimed request as the staff member --as names; the "
        "resident and any volunteer are told when the bot next sends. In the audit log.",
        epilog="example: python -m bot queue close A-1042 --as 555000111",
    )
    close.add_argument("ref", help="the request's reference, such as A-1042")
    _add_staff(close)
    close.set_defaults(handler=cmd_queue_close)
    assign = queue_commands.add_parser(
        "assign",
        help="hand a request to a volunteer, as the staff chat's hand-over does",
        description="Hand an open request to an approved volunteer as the staff member --as "
        "names; they and the resident are told when the bot next sends. In the audit log.",
        epilog="example: python -m bot queue assign A-1042 123456789 --as 555000111",
    )
    assign.add_argument("ref", help="the request's reference, such as A-1042")
    assign.add_argument("volunteer", type=int, help="the volunteer's Telegram user id")
    _add_staff(assign)
    assign.set_defaults(handler=cmd_queue_assign)

    volunteers = commands.add_parser(
        "volunteers",
        help="list, approve, reject or revoke volunteers",
        description="Vetting volunteers. The bot tells them the outcome. Deciding is a staff "
        "action: name yourself with --as.",
        epilog="examples:\n  python -m bot volunteers list --state pending --as 555000111"
        "\n  python -m bot volunteers approve 123456789 --as 555000111",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    volunteer_commands = volunteers.add_subparsers(
        dest="volunteers_command", metavar="VOLUNTEERS_COMMAND", required=True
    )
    vlist = volunteer_commands.add_parser(
        "list",
        help="list volunteers (needs --as)",
        description="List registered volunteers (first names, areas masked, as in the "
        "console) for the staff member --as names: those who signed up for the "
        "municipalities they are staff of, with their state there, and those registered for "
        "anywhere (every volunteer for the global staff). The read is in the audit log.",
        epilog="examples:\n  python -m bot volunteers list --state pending --as 555000111"
        "\n  python -m bot volunteers list --municipality asker --state approved --as 555000111",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    vlist.add_argument(
        "--state",
        choices=["pending", "approved", "rejected", "revoked"],
        help="only volunteers in this state (with --municipality: their state there)",
    )
    _add_reader(
        vlist,
        "volunteers list",
        municipality_help="only volunteers who signed up for this municipality (an id such as "
        "asker), with their state there",
    )
    vlist.set_defaults(handler=cmd_volunteers_list)
    for name, summary in (
        ("approve", "approve a pending volunteer"),
        ("reject", "reject a pending volunteer"),
        ("revoke", "revoke an approved volunteer"),
    ):
        decide = volunteer_commands.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]} by Telegram user id, as the staff "
            "member --as names (in the audit log).",
            epilog=f"examples:\n  python -m bot volunteers {name} 123456789 --as 555000111"
            f"\n  python -m bot volunteers {name} 123456789 --municipality asker --as 555000111",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        decide.add_argument("id", type=int, help="the volunteer's Telegram user id")
        decide.add_argument(
            "--municipality",
            help="only for this municipality (an id such as asker; default: every one the "
            "volunteer signed up for)",
        )
        _add_staff(decide)
        decide.set_defaults(handler=cmd_volunteers_decide)

    erase = commands.add_parser(
        "erase",
        help="erase everything about a resident or volunteer, as /forgetme does",
        description="Erase a person's requests, questions, choices and subscriptions by "
        "Telegram user id, as their /forgetme does, as the staff member --as names (the audit "
        "log records the erasure, not whom it erased).",
        epilog="example: python -m bot erase 123456789 --as 555000111",
    )
    erase.add_argument("id", type=int, help="the person's Telegram user id")
    _add_staff(erase)
    erase.set_defaults(handler=cmd_erase)

    evaluation = commands.add_parser(
        "eval",
        help="how the answer engine does on the independent corpora",
        description="In-scope questions answered right and ranked first, out-of-scope questions "
        "abstained, help requests recognised: on the corpora's tuning part, holdout part or "
        "both (tests/data/corpora/).",
        epilog="example: python -m bot eval --part tuning",
    )
    evaluation.add_argument("--part", choices=["tuning", "holdout", "both"], default="tuning")
    evaluation.add_argument("--details", action="store_true", help="count every kind of reply")
    evaluation.add_argument("--kb", dest="dir", help="knowledge folder (default: $KNOWLEDGE_DIR)")
    evaluation.set_defaults(handler=cmd_eval)

    emergency = commands.add_parser(
        "emergency",
        help="fit, evaluate or try the emergency detector",
        description="The emergency detector: a learned model and concept rules, shipped as data "
        "files in bot/answering/emergency/data/. Fitting needs the dev extra (scikit-learn).",
        epilog='examples:\n  python -m bot emergency check "han puster ikke"'
        "\n  python -m bot emergency eval --part holdout"
        "\n  python -m bot emergency fit",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    emergency_commands = emergency.add_subparsers(
        dest="emergency_command", metavar="EMERGENCY_COMMAND", required=True
    )
    efit = emergency_commands.add_parser(
        "fit",
        help="refit the model on the tuning part of the corpus",
        description="Fit the learned part on the tuning authors of the corpus, choose the "
        "thresholds out of fold, and write the weights (the holdout is never read).",
        epilog="example: python -m bot emergency fit",
    )
    efit.add_argument("--corpus", default="tests/data/corpora/emergency", help="corpus folder")
    efit.add_argument("--out", help="where to write the model (default: the shipped file)")
    efit.set_defaults(handler=cmd_emergency_fit)
    eeval = emergency_commands.add_parser(
        "eval",
        help="how the shipped detector does on the corpus",
        description="Full replies and warning lines for emergencies and non-emergencies, on the "
        "tuning part, the holdout part or both; 'ordinary' are the help, out-of-scope and "
        "in-scope corpora, none of them an emergency.",
        epilog="example: python -m bot emergency eval --part holdout --details",
    )
    eeval.add_argument("--corpus", default="tests/data/corpora/emergency", help="corpus folder")
    eeval.add_argument("--part", choices=["tuning", "holdout", "both"], default="both")
    eeval.add_argument("--details", action="store_true", help="by author, language and kind")
    eeval.add_argument("--examples", type=int, default=0, help="show this many misses")
    eeval.set_defaults(handler=cmd_emergency_eval)
    echeck = emergency_commands.add_parser(
        "check",
        help="the detector's verdict on one message",
        description="Print the level (none, medium, high), the score, the situation and the "
        "rule that matched, if any.",
        epilog='example: python -m bot emergency check "lips going blue"',
    )
    echeck.add_argument("text", nargs="+", help="the message")
    echeck.set_defaults(handler=cmd_emergency_check)

    practical = commands.add_parser(
        "practical-help",
        help="fit, evaluate or try the help-request detector",
        description="The help-request detector: a learned model over the help patterns, "
        "shipped as bot/answering/practical_help/data/model.json. Fitting needs the dev "
        "extra (scikit-learn).",
        epilog='examples:\n  python -m bot practical-help check "kan noen handle for mor?"'
        "\n  python -m bot practical-help eval --part holdout"
        "\n  python -m bot practical-help fit",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    practical_commands = practical.add_subparsers(
        dest="practical_command", metavar="PRACTICAL_HELP_COMMAND", required=True
    )
    hfit = practical_commands.add_parser(
        "fit",
        help="refit the model on the tuning part of the corpus",
        description="Fit the learned part on the tuning authors of the help corpus (with the "
        "out-of-scope and in-scope corpora as ordinary questions), choose the thresholds out "
        "of fold, and write the weights (the holdout is never read).",
        epilog="example: python -m bot practical-help fit",
    )
    hfit.add_argument("--corpus", default="tests/data/corpora/help", help="corpus folder")
    hfit.add_argument("--out", help="where to write the model (default: the shipped file)")
    hfit.set_defaults(handler=cmd_help_fit)
    heval = practical_commands.add_parser(
        "eval",
        help="how the shipped detector does on the corpus",
        description="Help requests passed on to volunteers, and other messages wrongly passed "
        "on, on the tuning part, the holdout part or both.",
        epilog="example: python -m bot practical-help eval --part holdout --examples 20",
    )
    heval.add_argument("--corpus", default="tests/data/corpora/help", help="corpus folder")
    heval.add_argument("--part", choices=["tuning", "holdout", "both"], default="both")
    heval.add_argument("--details", action="store_true", help="by author")
    heval.add_argument("--examples", type=int, default=0, help="show this many misses")
    heval.set_defaults(handler=cmd_help_eval)
    hcheck = practical_commands.add_parser(
        "check",
        help="the detector's verdict on one message",
        description="Print the verdict (strong, generic or none), the kind of task, the score "
        "and what the patterns alone would say.",
        epilog='example: python -m bot practical-help check "the fridge is empty"',
    )
    hcheck.add_argument("text", nargs="+", help="the message")
    hcheck.set_defaults(handler=cmd_help_check)

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
    bench.add_argument(
        "--skip-bot", action="store_true", help="skip the end-to-end bot and notice runs"
    )
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
