"""Signing staff in without passwords: a one-time link from the bot, then a server-side session.

A link works once and for `LINK_SECONDS`; a session lasts `SESSION_SECONDS`. Only SHA-256
hashes of the link and session tokens are stored (the tokens are 256 random bits, so a plain
hash is enough): someone who reads the database cannot sign in with what is in it. Each session
has its own CSRF token, which every form posts back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.helpdesk.repository import first_name
from bot.kb.knowledge import Municipality
from bot.notices.service import Notice, place_name
from bot.storage.db import Database

LINK_SECONDS = 10 * 60
SESSION_SECONDS = 12 * 3600


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in staff member."""

    key: str  # the hash of the session token: what the table is keyed by
    staff_id: int
    staff_name: str | None
    language: str
    csrf: str
    expires_at: int

    def csrf_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())

    @property
    def actor(self) -> Actor:
        """Who acts from this session, for the audit log."""
        return Actor(self.staff_id, self.staff_name, CONSOLE)


# Where a staff action was taken: a console page, a staff chat's button or command, or the
# command line (`python -m bot ... --as STAFF_ID`).
CONSOLE = "console"
CHAT = "chat"
CLI = "cli"


@dataclass(frozen=True, slots=True)
class Actor:
    """A staff member taking an action, and where: the audit log's who and where."""

    staff_id: int
    staff_name: str | None
    surface: str = CONSOLE


_SESSION_COLUMNS = "token_hash, staff_id, staff_name, language, csrf, expires_at"
# What an audit entry's target becomes when the person it named is erased.
ERASED = "(erased)"


class ConsoleAuth:
    """Sign-in links and sessions, over the bot's database. `clock` is for tests."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock())

    async def issue_link(self, staff_id: int, staff_name: str | None, language: str) -> str:
        """A new sign-in token for `staff_id`; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        stamp = self._now()
        await self.db.write(
            """INSERT INTO console_links
                   (token_hash, staff_id, staff_name, language, created_at, expires_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (token_hash(token), staff_id, staff_name, language, stamp, stamp + LINK_SECONDS),
        )
        return token

    async def usable(self, token: str) -> str | None:
        """The language of a sign-in token that is known, unused and not expired, else None:
        a read, so opening a link (or guessing one) never costs the single writer a
        transaction."""
        found = await self.db.fetchval(
            """SELECT language FROM console_links
               WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?""",
            (token_hash(token), self._now()),
        )
        return str(found) if found is not None else None

    async def redeem(self, token: str) -> tuple[str, Session] | None:
        """Use a sign-in token: a new session token and its session, or None when the token is
        unknown, used already or expired. Using it and starting the session are one commit, so
        two tabs opening one link get one session between them."""
        stamp = self._now()
        session_token = secrets.token_urlsafe(32)
        key = token_hash(session_token)
        csrf = secrets.token_urlsafe(32)

        def run(connection: sqlite3.Connection) -> Session | None:
            row = connection.execute(
                """UPDATE console_links SET used_at = ?
                   WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
                   RETURNING staff_id, staff_name, language""",
                (stamp, token_hash(token), stamp),
            ).fetchone()
            if row is None:
                return None
            session = Session(key, row[0], row[1], row[2], csrf, stamp + SESSION_SECONDS)
            connection.execute(
                f"""INSERT INTO console_sessions ({_SESSION_COLUMNS}, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (
                    key,
                    session.staff_id,
                    session.staff_name,
                    session.language,
                    csrf,
                    session.expires_at,
                    stamp,
                ),
            )
            return session

        session = await self.db.run_write(run)
        return (session_token, session) if session is not None else None

    async def session(self, session_token: str | None) -> Session | None:
        """The live session behind a cookie's token, or None."""
        if not session_token or len(session_token) > 200:
            return None
        row = await self.db.fetchone(
            f"SELECT {_SESSION_COLUMNS} FROM console_sessions "
            "WHERE token_hash = ? AND expires_at > ?",
            (token_hash(session_token), self._now()),
        )
        return Session(*row) if row else None

    async def set_language(self, session: Session, language: str) -> None:
        await self.db.write(
            "UPDATE console_sessions SET language = ? WHERE token_hash = ?", (language, session.key)
        )

    async def end(self, session: Session) -> None:
        """Sign out."""
        await self.db.write("DELETE FROM console_sessions WHERE token_hash = ?", (session.key,))

    async def end_all(self, staff_id: int) -> int:
        """End every session of someone who is no longer staff; returns how many ended."""
        return await self.db.write("DELETE FROM console_sessions WHERE staff_id = ?", (staff_id,))

    async def purge(self) -> None:
        """Forget expired links and sessions."""
        stamp = self._now()

        def run(connection: sqlite3.Connection) -> None:
            connection.execute("DELETE FROM console_links WHERE expires_at <= ?", (stamp,))
            connection.execute("DELETE FROM console_sessions WHERE expires_at <= ?", (stamp,))

        await self.db.run_write(run)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    staff_id: int
    staff_name: str | None
    action: str
    target: str | None
    at: int
    municipality: str | None = None
    surface: str = CONSOLE


def volunteer_target(name: str | None, user_id: int) -> str:
    """How the audit log names a volunteer: "First (user id)" (what `forget` looks for)."""
    return f"{first_name(name)} ({user_id})"


def notice_target(notice: Notice, municipalities: Mapping[str, Municipality]) -> str:
    """How the audit log names a notice: which one, to whom (never a resident)."""
    return f"#{notice.id} → {place_name(municipalities, notice.municipality, 'en')}"


_INSERT = """INSERT INTO console_audit
                 (staff_id, staff_name, action, target, at, municipality, surface)
             VALUES (?, ?, ?, ?, ?, ?, ?)"""


class Audit:
    """Every staff action, in the console or in a staff chat: who, what, when, where."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def record(
        self,
        who: Session | Actor,
        action: str,
        target: str | None = None,
        municipality: str | None = None,
    ) -> None:
        """An action from a console session, or by an `Actor` (the command line's).
        `municipality` is the one it was about (None for signing in and out)."""
        actor = who.actor if isinstance(who, Session) else who
        await self.record_by(
            actor.staff_id, actor.staff_name, action, target, municipality, actor.surface
        )

    async def record_by(
        self,
        staff_id: int,
        staff_name: str | None,
        action: str,
        target: str | None = None,
        municipality: str | None = None,
        surface: str = CHAT,
    ) -> None:
        """An action by `staff_id`, from `surface` (a staff chat's button or command when not
        told otherwise)."""
        await self.db.write(
            _INSERT,
            (staff_id, staff_name, action, target, int(self.clock()), municipality, surface),
        )

    def record_in(
        self,
        connection: sqlite3.Connection,
        who: Actor,
        action: str,
        target: str | None = None,
        municipality: str | None = None,
    ) -> None:
        """`record`, inside a write transaction of the caller's: for a change that must not
        happen without its entry (an erasure)."""
        stamp = int(self.clock())
        connection.execute(
            _INSERT,
            (who.staff_id, who.staff_name, action, target, stamp, municipality, who.surface),
        )

    async def name_of(self, staff_id: int) -> str | None:
        """The first name the log last recorded for `staff_id` (from Telegram, in a staff
        chat or a console sign-in), for an actor who has none of their own: the command
        line knows only an id."""
        found = await self.db.fetchval(
            """SELECT staff_name FROM console_audit
               WHERE staff_id = ? AND staff_name IS NOT NULL ORDER BY id DESC LIMIT 1""",
            (staff_id,),
        )
        return str(found) if found is not None else None

    async def forget(self, user_id: int) -> int:
        """A volunteer asked to be forgotten: entries that name them keep what was done, not
        who to. Targets name a volunteer as "First (user id)"."""
        return await self.db.write(
            "UPDATE console_audit SET target = ? WHERE instr(target, ?) > 0",
            (ERASED, f"({user_id})"),
        )

    async def latest(
        self,
        limit: int = 500,
        municipality: str | None = None,
        own: int | None = None,
    ) -> list[AuditEntry]:
        """The newest entries; with `municipality`, only those about it, and with `own` a
        staff id, that staff member's sign-ins and sign-outs too."""
        where = ""
        params: tuple[object, ...] = (limit,)
        if municipality is not None:
            where = "WHERE municipality = ? OR (municipality IS NULL AND staff_id = ?)"
            params = (municipality, own, limit)
        rows = await self.db.fetchall(
            f"""SELECT id, staff_id, staff_name, action, target, at, municipality,
                       COALESCE(surface, '{CONSOLE}')
                FROM console_audit {where} ORDER BY id DESC LIMIT ?""",
            params,
        )
        return [AuditEntry(*row) for row in rows]
