"""Notices: written by staff one language at a time, approved, sent, paused, ended.

Delivery is AT MOST ONCE per resident and notice. `start` writes one `notice_deliveries` row
per subscriber in the transaction that starts the send, so the recipients are fixed then.
`claim` marks a batch "sending" and commits before any of them goes to Telegram; `record`
marks each "sent" (or blocked, failed, waiting again) after Telegram's answer. A crash between
the two leaves rows "sending": `reconcile` makes them "unknown" and they are never sent again,
because the Bot API cannot tell whether a call that was cut off was delivered. So a crash can
cost a resident the notice (at most one claimed batch), but never give anyone a second copy.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from bot.kb.knowledge import NOTICE_ID_PREFIX, SHARED, Entry, Location, Municipality
from bot.messages import format_date, say
from bot.notices.subscriptions import blocked
from bot.storage.db import Database, now
from bot.types import Country, Lang, lang_or_english

NoticeState = Literal["draft", "ready", "sending", "paused", "done", "cancelled", "discarded"]
# "unknown": the call was cut off (a timeout), so it may have arrived; it is never tried again.
# "untried": never sent (a stop came first, or the notice was paused or cancelled since the
# claim): back to waiting without counting an attempt, or cancelled with its notice.
Outcome = Literal["sent", "blocked", "failed", "retry", "unknown", "untried"]
# States in which a notice is live: in the knowledge base until staff end it.
LIVE = ("sending", "paused", "done")
# How often a delivery is tried before it counts as failed (network errors, 429s).
MAX_ATTEMPTS = 5
TITLE_CHARACTERS = 60
# Room for the heading and footer around staff's text within Telegram's 4096 characters.
MAX_NOTICE_CHARACTERS = 3500


@dataclass(frozen=True)
class Notice:
    id: int
    municipality: str | None  # None: every municipality
    texts: dict[Lang, str]
    languages: tuple[Lang, ...]  # the languages staff write it in, in order
    state: NoticeState
    created_by: int | None
    approved_by: int | None
    staff_chat_id: int | None
    progress_message_id: int | None
    progress_edited_at: float | None
    recipients: int | None
    created_at: int
    started_at: int | None
    ended_at: int | None
    # The console staff member who took over a draft begun in a staff chat; None otherwise.
    taken_over_by: int | None = None

    @property
    def in_console(self) -> bool:
        """Taken over from a staff chat and not yet sent: the console may edit its texts."""
        return self.taken_over_by is not None and self.state in ("draft", "ready")

    @property
    def writers(self) -> set[int]:
        """Who wrote (some of) its texts: the one who began it and the one who took it over
        (only they may edit it). The two-person rule wants someone else to approve it."""
        return {who for who in (self.created_by, self.taken_over_by) if who is not None}

    @property
    def digest(self) -> str:
        """A short fingerprint of its texts: the approve form carries the one it showed, so
        a change since then is refused at `start` instead of sent unseen."""
        shown = json.dumps(self.texts, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(shown.encode()).hexdigest()[:16]

    @property
    def missing(self) -> Lang | None:
        """The next language staff still have to write, or None when every text is there."""
        return next((lang for lang in self.languages if lang not in self.texts), None)

    def text_for(self, lang: Lang) -> tuple[Lang, str]:
        """The text a resident reading `lang` gets: theirs, else English, else the first."""
        for candidate in (lang, "en", *self.languages):
            if candidate in self.texts:
                return candidate, self.texts[candidate]
        raise ValueError("a notice without texts is never sent")


@dataclass(frozen=True)
class Delivery:
    """One recipient of one notice, claimed for sending."""

    notice_id: int
    user_id: int
    municipality: str | None
    language: Lang | None
    attempts: int


@dataclass(frozen=True)
class Result:
    """What Telegram answered for one delivery."""

    delivery: Delivery
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None
    retry_at: float | None = None


@dataclass(frozen=True)
class Progress:
    sent: int
    waiting: int
    failed: int
    blocked: int
    unknown: int
    cancelled: int

    @property
    def total(self) -> int:
        return self.sent + self.waiting + self.failed + self.blocked + self.unknown + self.cancelled

    def seconds_left(self, rate_per_second: float) -> float:
        """The time the waiting ones take at the configured rate."""
        return self.waiting / rate_per_second if rate_per_second > 0 else 0.0


def measured_rate(notice: Notice, progress: Progress) -> float | None:
    """Messages a second since the notice started; None before any went out."""
    if notice.started_at is None or not progress.sent:
        return None
    return progress.sent / max(1.0, time.time() - notice.started_at)


def notice_state(notice: Notice) -> str:
    """Its state as staff read it: "ended" once staff ended it, whatever it was."""
    return "ended" if notice.ended_at is not None else notice.state


def notice_languages(
    municipalities: Mapping[str, Municipality], municipality: str | None
) -> list[Lang]:
    """The languages a notice is written in: the local one(s), then English."""
    chosen = [municipalities[municipality]] if municipality else municipalities.values()
    return list(dict.fromkeys([*(m.language for m in chosen), "en"]))


_COLUMNS = """id, municipality, texts, languages, state, created_by, approved_by, staff_chat_id,
    progress_message_id, progress_edited_at, recipients, created_at, started_at, ended_at,
    taken_over_by"""


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _read(connection: sqlite3.Connection, notice_id: int) -> Notice:
    """A notice inside a write transaction."""
    return _notice(
        connection.execute(f"SELECT {_COLUMNS} FROM notices WHERE id = ?", (notice_id,)).fetchone()
    )


def _notice(row: Any) -> Notice:
    texts = json.loads(row[2])
    return Notice(
        id=int(row[0]),
        municipality=row[1],
        texts={lang_or_english(k): str(v) for k, v in texts.items()},
        languages=tuple(lang_or_english(code) for code in json.loads(row[3])),
        state=row[4],
        created_by=_int(row[5]),
        approved_by=_int(row[6]),
        staff_chat_id=_int(row[7]),
        progress_message_id=_int(row[8]),
        progress_edited_at=None if row[9] is None else float(row[9]),
        recipients=_int(row[10]),
        created_at=int(row[11]),
        started_at=_int(row[12]),
        ended_at=_int(row[13]),
        taken_over_by=_int(row[14]),
    )


# "changed": its texts are no longer those the approver was shown.
StartOutcome = Literal["started", "needs_second", "not_ready", "changed"]


def take_over(connection: sqlite3.Connection, notice_id: int, staff_id: int) -> Notice | None:
    """Inside a write transaction: the console takes over a draft still being written in a
    staff chat. Its prompt ends there (a reply to it is a normal message again), and what the
    chat wrote so far is kept for the console to finish. None when it is no such draft."""
    taken = connection.execute(
        """UPDATE notices SET taken_over_by = ?, prompt_message_id = NULL
           WHERE id = ? AND state = 'draft' AND taken_over_by IS NULL""",
        (staff_id, notice_id),
    ).rowcount
    return _read(connection, notice_id) if taken else None


class Notices:
    """Every change to a notice and its deliveries, each in one write transaction."""

    def __init__(self, db: Database, needs_second_staff: bool = False) -> None:
        self.db = db
        self.needs_second_staff = needs_second_staff

    async def get(self, notice_id: int) -> Notice | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM notices WHERE id = ?", (notice_id,))
        return _notice(row) if row is not None else None

    async def _change(self, notice_id: int, sql: str, params: Sequence[object] = ()) -> Notice:
        def run(connection: sqlite3.Connection) -> Notice:
            connection.execute(sql, (*params, notice_id))
            return _read(connection, notice_id)

        return await self.db.run_write(run)

    # -- writing one ------------------------------------------------------------------------

    async def create(
        self,
        municipality: str | None,
        languages: Sequence[Lang],
        created_by: int,
        staff_chat_id: int | None,
    ) -> Notice:
        """A draft: staff write its texts next, one language at a time."""
        notice_id = await self.db.write(
            """INSERT INTO notices (municipality, texts, languages, state, created_by,
                 staff_chat_id, created_at) VALUES (?, '{}', ?, 'draft', ?, ?, ?)""",
            (municipality, json.dumps(list(languages)), created_by, staff_chat_id, now()),
        )
        notice = await self.get(notice_id)
        assert notice is not None
        return notice

    async def compose(
        self,
        municipality: str | None,
        languages: Sequence[Lang],
        texts: Mapping[Lang, str],
        created_by: int,
        staff_chat_id: int | None,
    ) -> Notice:
        """A notice written whole at once (the console's form): ready to confirm."""
        chosen = {lang: texts[lang] for lang in languages}

        def run(connection: sqlite3.Connection) -> Notice:
            cursor = connection.execute(
                """INSERT INTO notices (municipality, texts, languages, state, created_by,
                     staff_chat_id, created_at) VALUES (?, ?, ?, 'ready', ?, ?, ?)""",
                (
                    municipality,
                    json.dumps(chosen, ensure_ascii=False),
                    json.dumps(list(languages)),
                    created_by,
                    staff_chat_id,
                    now(),
                ),
            )
            assert cursor.lastrowid is not None
            return _read(connection, cursor.lastrowid)

        return await self.db.run_write(run)

    async def prompted(self, notice_id: int, message_id: int) -> None:
        """The message staff reply to with the next text (not once the console took it)."""
        await self.db.write(
            """UPDATE notices SET prompt_message_id = ?
               WHERE id = ? AND state = 'draft' AND taken_over_by IS NULL""",
            (message_id, notice_id),
        )

    async def by_prompt(self, chat_id: int, message_id: int) -> Notice | None:
        """The draft whose prompt this is, if it still waits for a text."""
        row = await self.db.fetchone(
            f"""SELECT {_COLUMNS} FROM notices WHERE staff_chat_id = ? AND prompt_message_id = ?
                AND state = 'draft' AND taken_over_by IS NULL""",
            (chat_id, message_id),
        )
        return _notice(row) if row is not None else None

    async def add_text(self, notice_id: int, lang: Lang, text: str) -> Notice:
        """One language's text from the staff chat; with the last one the notice is ready to
        confirm. Nothing changes once the console has taken the draft over."""

        def run(connection: sqlite3.Connection) -> Notice:
            notice = _read(connection, notice_id)
            texts = {**notice.texts, lang: text}
            state = "ready" if all(code in texts for code in notice.languages) else "draft"
            connection.execute(
                """UPDATE notices SET texts = ?, state = ?
                   WHERE id = ? AND state = 'draft' AND taken_over_by IS NULL""",
                (json.dumps(texts, ensure_ascii=False), state, notice_id),
            )
            return _read(connection, notice_id)

        return await self.db.run_write(run)

    async def edit(self, notice_id: int, texts: Mapping[Lang, str], staff_id: int) -> Notice:
        """Every language's text of a notice the console took over, written there by the one
        who took it over (no one else: each writer must be refused at `start`): it is ready
        to check and send. Only such a notice, and only before it is sent: a chat's preview
        never showed other texts than the ones that go out."""
        chosen = dict(texts)

        def run(connection: sqlite3.Connection) -> Notice:
            notice = _read(connection, notice_id)
            if notice.in_console and all(chosen.get(lang) for lang in notice.languages):
                kept = {lang: chosen[lang] for lang in notice.languages}
                connection.execute(
                    """UPDATE notices SET texts = ?, state = 'ready'
                       WHERE id = ? AND state IN ('draft', 'ready') AND taken_over_by = ?""",
                    (json.dumps(kept, ensure_ascii=False), notice_id, staff_id),
                )
            return _read(connection, notice_id)

        return await self.db.run_write(run)

    async def discard(self, notice_id: int) -> Notice:
        """A draft or a notice not yet sent is dropped."""
        return await self._change(
            notice_id,
            "UPDATE notices SET state = 'discarded' WHERE state IN ('draft', 'ready') AND id = ?",
        )

    # -- sending ----------------------------------------------------------------------------

    async def start(
        self, notice_id: int, staff_id: int, shown: str | None = None
    ) -> tuple[StartOutcome, Notice | None]:
        """Send a ready notice: its recipients are fixed here, one row each, in the same
        transaction. With the two-person rule, whoever wrote it cannot be the one to send it.
        `shown`: the `digest` of the texts the sender was shown; another one is refused."""

        def run(connection: sqlite3.Connection) -> tuple[StartOutcome, Notice | None]:
            row = connection.execute(
                f"SELECT {_COLUMNS} FROM notices WHERE id = ?", (notice_id,)
            ).fetchone()
            if row is None:
                return "not_ready", None
            notice = _notice(row)
            if notice.state != "ready":
                return "not_ready", notice
            if shown is not None and shown != notice.digest:
                return "changed", notice
            if self.needs_second_staff and staff_id in notice.writers:
                return "needs_second", notice
            # One row per resident, even one subscribed to two municipalities of an "all".
            connection.execute(
                """INSERT OR IGNORE INTO notice_deliveries
                     (notice_id, user_id, municipality, language, updated_at)
                   SELECT ?, s.user_id, MIN(s.municipality),
                          COALESCE(r.language, r.last_language), ?
                   FROM subscriptions s LEFT JOIN residents r ON r.user_id = s.user_id
                   WHERE s.active = 1 AND (? IS NULL OR s.municipality = ?)
                   GROUP BY s.user_id""",
                (notice_id, now(), notice.municipality, notice.municipality),
            )
            recipients = connection.execute(
                "SELECT COUNT(*) FROM notice_deliveries WHERE notice_id = ?", (notice_id,)
            ).fetchone()[0]
            connection.execute(
                """UPDATE notices SET state = 'sending', approved_by = ?, started_at = ?,
                     recipients = ? WHERE id = ?""",
                (staff_id, now(), recipients, notice_id),
            )
            return "started", _read(connection, notice_id)

        return await self.db.run_write(run)

    async def pause(self, notice_id: int) -> Notice:
        return await self._change(
            notice_id, "UPDATE notices SET state = 'paused' WHERE state = 'sending' AND id = ?"
        )

    async def resume(self, notice_id: int) -> Notice:
        return await self._change(
            notice_id, "UPDATE notices SET state = 'sending' WHERE state = 'paused' AND id = ?"
        )

    async def cancel(self, notice_id: int) -> Notice:
        """Nothing more is sent; those who have it keep it."""

        def run(connection: sqlite3.Connection) -> Notice:
            _cancel(connection, notice_id)
            return _read(connection, notice_id)

        return await self.db.run_write(run)

    async def end(self, notice_id: int) -> Notice:
        """The notice is over: no longer an answer, and nothing more is sent."""

        def run(connection: sqlite3.Connection) -> Notice:
            _cancel(connection, notice_id)
            connection.execute(
                """UPDATE notices SET ended_at = ? WHERE id = ? AND ended_at IS NULL
                     AND state IN ('sending', 'paused', 'done', 'cancelled')""",
                (now(), notice_id),
            )
            return _read(connection, notice_id)

        return await self.db.run_write(run)

    async def claim(self, limit: int) -> list[Delivery]:
        """The next deliveries to send, marked "sending" and committed before any is sent."""
        due = time.time()

        def run(connection: sqlite3.Connection) -> list[Delivery]:
            rows = connection.execute(
                """SELECT d.notice_id, d.user_id, d.municipality, d.language, d.attempts
                   FROM notices n JOIN notice_deliveries d ON d.notice_id = n.id
                   WHERE n.state = 'sending' AND d.state = 'waiting' AND d.not_before <= ?
                   ORDER BY n.id LIMIT ?""",
                (due, limit),
            ).fetchall()
            connection.executemany(
                """UPDATE notice_deliveries SET state = 'sending', updated_at = ?
                   WHERE notice_id = ? AND user_id = ? AND state = 'waiting'""",
                [(now(), row[0], row[1]) for row in rows],
            )
            return [
                Delivery(
                    int(row[0]),
                    int(row[1]),
                    row[2],
                    lang_or_english(row[3]) if row[3] else None,
                    int(row[4]),
                )
                for row in rows
            ]

        return await self.db.run_write(run)

    async def record(self, results: Iterable[Result]) -> list[int]:
        """What Telegram answered, in one transaction; returns the notices now finished."""
        batch = list(results)

        def run(connection: sqlite3.Connection) -> list[int]:
            # Only rows still "sending" change (defence in depth): a late record from a sender
            # thought dead never overwrites a row reconciled or cancelled since.
            stamp = now()
            again, final, untried = [], [], []
            for result in batch:
                key = (result.delivery.notice_id, result.delivery.user_id)
                error = (result.error or "")[:200] or None
                if result.outcome == "untried":
                    untried.append(result.delivery)
                    continue
                if result.outcome == "retry" and result.delivery.attempts + 1 < MAX_ATTEMPTS:
                    again.append((result.retry_at or time.time(), error, stamp, *key))
                    continue
                state = "failed" if result.outcome == "retry" else result.outcome
                final.append((state, result.message_id, error, stamp, *key))
                if result.outcome == "blocked":
                    blocked(connection, result.delivery.user_id)
            # One statement a kind for the whole batch: the writer, which answers' writes
            # queue behind, is done with a batch of 200 sooner.
            connection.executemany(
                """UPDATE notice_deliveries SET state = 'waiting', attempts = attempts + 1,
                     not_before = ?, last_error = ?, updated_at = ?
                   WHERE notice_id = ? AND user_id = ? AND state = 'sending'""",
                again,
            )
            connection.executemany(
                """UPDATE notice_deliveries SET state = ?, message_id = ?, last_error = ?,
                     updated_at = ?, attempts = attempts + 1
                   WHERE notice_id = ? AND user_id = ? AND state = 'sending'""",
                final,
            )
            _put_back(connection, untried)
            finished = []
            for notice_id in sorted({r.delivery.notice_id for r in batch}):
                if _finish_if_done(connection, notice_id):
                    finished.append(notice_id)
            return finished

        return await self.db.run_write(run)

    async def release_all(self) -> int:
        """Every delivery "sending" back to waiting (or cancelled with its notice), no attempt
        counted: only for a sender that knows none of its sends is on its way (the notice
        process between rounds, after a claim that failed and may have committed). It assumes
        one sender per database, as the reconcile before each start does: another sender's
        rows on their way would be put back and sent twice."""

        def run(connection: sqlite3.Connection) -> int:
            rows = connection.execute(
                """SELECT notice_id, user_id, municipality, language, attempts
                   FROM notice_deliveries WHERE state = 'sending'"""
            ).fetchall()
            _put_back(connection, [Delivery(int(r[0]), int(r[1]), r[2], None, 0) for r in rows])
            return len(rows)

        return await self.db.run_write(run)

    async def still_claimed(self, delivery: Delivery) -> bool:
        """Just before its send: is the delivery still "sending" (not reconciled or erased
        since the claim) and its notice still sending (not paused or cancelled)?"""
        found = await self.db.fetchval(
            """SELECT 1 FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id
               WHERE d.notice_id = ? AND d.user_id = ? AND d.state = 'sending'
                 AND n.state = 'sending'""",
            (delivery.notice_id, delivery.user_id),
        )
        return found is not None

    async def reconcile(self) -> int:
        """After a restart: deliveries a crash caught between "sending" and Telegram's answer
        may or may not have arrived. They become "unknown" and are never sent again."""

        def run(connection: sqlite3.Connection) -> int:
            changed = connection.execute(
                """UPDATE notice_deliveries SET state = 'unknown',
                     last_error = 'interrupted by a restart while sending'
                   WHERE state = 'sending'"""
            ).rowcount
            for (notice_id,) in connection.execute(
                "SELECT id FROM notices WHERE state = 'sending'"
            ).fetchall():
                _finish_if_done(connection, notice_id)
            return int(changed)

        return await self.db.run_write(run)

    async def progress(self, notice_id: int) -> Progress:
        return (await self.progress_of([notice_id]))[notice_id]

    async def progress_of(self, notice_ids: Sequence[int]) -> dict[int, Progress]:
        """The progress of several notices in one query (the console's list)."""
        if not notice_ids:
            return {}
        marks = ", ".join("?" * len(notice_ids))
        rows = await self.db.fetchall(
            f"""SELECT notice_id, state, COUNT(*) FROM notice_deliveries
                WHERE notice_id IN ({marks}) GROUP BY notice_id, state""",
            tuple(notice_ids),
        )
        counts: dict[int, dict[str, int]] = {notice_id: {} for notice_id in notice_ids}
        for notice_id, state, count in rows:
            counts[int(notice_id)][str(state)] = int(count)
        return {notice_id: _progress(found) for notice_id, found in counts.items()}

    async def progress_posted(self, notice_id: int, message_id: int) -> None:
        await self.db.write(
            "UPDATE notices SET progress_message_id = ?, progress_edited_at = ? WHERE id = ?",
            (message_id, time.time(), notice_id),
        )

    async def redraw_soon(self, notice_id: int) -> None:
        """A change made away from the staff chat (the console): the sender redraws the
        chat's progress message in its next round instead of within the minute."""
        await self.db.write(
            """UPDATE notices SET progress_edited_at = 0
               WHERE id = ? AND progress_message_id IS NOT NULL""",
            (notice_id,),
        )

    async def progress_edited(self, notice_id: int) -> None:
        await self.db.write(
            "UPDATE notices SET progress_edited_at = ? WHERE id = ?", (time.time(), notice_id)
        )

    async def claim_progress_edit(self, notice_id: int, every: float) -> bool:
        """Take this period's edit of a notice's progress message: False when another
        reporter took one within `every` seconds (one conditional write, so two reporters
        never both edit)."""
        stamp = time.time()
        changed = await self.db.write(
            """UPDATE notices SET progress_edited_at = ?
               WHERE id = ? AND (progress_edited_at IS NULL OR progress_edited_at <= ?)""",
            (stamp, notice_id, stamp - every),
        )
        return changed > 0

    async def to_report(self) -> list[Notice]:
        """Notices whose progress message may need an edit: sending, paused, or finished
        since it was last edited."""
        rows = await self.db.fetchall(
            f"""SELECT {_COLUMNS} FROM notices WHERE progress_message_id IS NOT NULL
                AND (state IN ('sending', 'paused')
                     OR (state IN ('done', 'cancelled') AND finished_at >= progress_edited_at))"""
        )
        return [_notice(row) for row in rows]

    async def unposted(self) -> list[Notice]:
        """Notices started whose progress message is not in the staff chat yet."""
        rows = await self.db.fetchall(
            f"""SELECT {_COLUMNS} FROM notices WHERE progress_message_id IS NULL
                AND state IN ('sending', 'paused', 'done', 'cancelled')
                AND started_at IS NOT NULL AND ended_at IS NULL"""
        )
        return [_notice(row) for row in rows]

    async def latest(self, limit: int) -> list[Notice]:
        """The newest notices not discarded, newest first (the console's list)."""
        rows = await self.db.fetchall(
            f"""SELECT {_COLUMNS} FROM notices WHERE state != 'discarded'
                ORDER BY id DESC LIMIT ?""",
            (limit,),
        )
        return [_notice(row) for row in rows]

    async def live(self) -> list[Notice]:
        """Notices that have gone out and that staff have not ended: they are answers."""
        rows = await self.db.fetchall(
            f"""SELECT {_COLUMNS} FROM notices WHERE ended_at IS NULL
                AND started_at IS NOT NULL ORDER BY id"""
        )
        return [_notice(row) for row in rows]


def _progress(counts: Mapping[str, int]) -> Progress:
    return Progress(
        sent=counts.get("sent", 0),
        waiting=counts.get("waiting", 0) + counts.get("sending", 0),
        failed=counts.get("failed", 0),
        blocked=counts.get("blocked", 0),
        unknown=counts.get("unknown", 0),
        cancelled=counts.get("cancelled", 0),
    )


def _cancel(connection: sqlite3.Connection, notice_id: int) -> None:
    connection.execute(
        """UPDATE notice_deliveries SET state = 'cancelled', updated_at = ?
           WHERE notice_id = ? AND state = 'waiting'""",
        (now(), notice_id),
    )
    connection.execute(
        """UPDATE notices SET state = 'cancelled', finished_at = ?
           WHERE id = ? AND state IN ('sending', 'paused')""",
        (time.time(), notice_id),
    )


def _put_back(connection: sqlite3.Connection, deliveries: Sequence[Delivery]) -> None:
    """Claimed deliveries never sent: waiting again, no attempt counted; cancelled instead
    when their notice was cancelled since (its cancel turned only the waiting rows)."""
    connection.executemany(
        """UPDATE notice_deliveries SET updated_at = ?, state = CASE
             WHEN (SELECT state FROM notices WHERE id = notice_id) = 'cancelled'
             THEN 'cancelled' ELSE 'waiting' END
           WHERE notice_id = ? AND user_id = ? AND state = 'sending'""",
        [(now(), d.notice_id, d.user_id) for d in deliveries],
    )
    for notice_id in sorted({d.notice_id for d in deliveries}):
        _finish_if_done(connection, notice_id)


def _finish_if_done(connection: sqlite3.Connection, notice_id: int) -> bool:
    left = connection.execute(
        """SELECT 1 FROM notice_deliveries WHERE notice_id = ?
           AND state IN ('waiting', 'sending') LIMIT 1""",
        (notice_id,),
    ).fetchone()
    if left is not None:
        return False
    done = connection.execute(
        "UPDATE notices SET state = 'done', finished_at = ? WHERE id = ? AND state = 'sending'",
        (time.time(), notice_id),
    ).rowcount
    return bool(done)


# -- what residents read ------------------------------------------------------------------


def notice_date(notice: Notice) -> date:
    return datetime.fromtimestamp(notice.started_at or notice.created_at, UTC).date()


def render(notice: Notice, lang: Lang, municipality_name: str) -> str:
    """The message a resident gets, exactly: the preview shows this too."""
    used, text = notice.text_for(lang)
    return say(
        "notice_message",
        used,
        name=municipality_name,
        date=format_date(notice_date(notice), used),
        text=text,
    )


def place_name(
    municipalities: Mapping[str, Municipality], municipality: str | None, lang: Lang
) -> str:
    """Whom a notice is for, in `lang`: a municipality's name, or "all municipalities"."""
    if municipality is None:
        return say("staff_notice_all", lang)
    found = municipalities.get(municipality)
    return found.display_name(lang) if found else municipality


def previews(notice: Notice, municipalities: Mapping[str, Municipality]) -> list[tuple[Lang, str]]:
    """Each language's message exactly as the sender renders it for a resident; a notice to
    all is shown as a municipality of that language gets it."""
    shown = []
    for lang in notice.languages:
        place = notice.municipality or next(
            (m.id for m in municipalities.values() if m.language == lang),
            next(iter(municipalities), None),
        )
        shown.append((lang, render(notice, lang, place_name(municipalities, place, lang))))
    return shown


def as_entries(notices: Iterable[Notice], countries: Sequence[Country]) -> list[Entry]:
    """Live notices as knowledge-base entries of their municipality (or shared), dated the
    day they went out, so a resident who asks about one afterwards gets it as an answer."""
    entries = []
    for notice in notices:
        titles: dict[Lang, str] = {}
        for lang, text in notice.texts.items():
            first = text.strip().splitlines()[0] if text.strip() else text
            titles[lang] = first if len(first) <= TITLE_CHARACTERS else first[:57] + "…"
        entries.append(
            Entry(
                id=f"{NOTICE_ID_PREFIX}{notice.id}",
                scope=notice.municipality or SHARED,
                topic="notices",
                title=titles,
                questions={lang: (text,) for lang, text in notice.texts.items()},
                keywords={},
                answer=dict(notice.texts),
                sources=(),
                reviewed=notice_date(notice),
                review_by=None,
                related=(),
                countries=tuple(countries),
                location=Location(Path("notices"), notice.id),
            )
        )
    return entries
