"""Repositories for the bot's own tables. Plain classes over `Database`; no Telegram types."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.storage.db import Database, now
from bot.text import tokens


@dataclass(frozen=True, slots=True)
class Resident:
    user_id: int
    municipality: str | None
    language: str | None  # chosen with /language; it beats the language of a message
    last_language: str | None = None  # the language last used with them


_RESIDENT_COLUMNS = "user_id, municipality, language, last_language"


class Residents:
    """Each resident's chosen municipality and language, and the language last used with
    them, kept across restarts.

    Read on every message, so the last `CACHE_SIZE` residents are kept in memory; this process
    writes them, and every save refreshes the cache. The one other writer is an erasure by
    `python -m bot erase`, which the running bot notices by `Meta.erasures` and then `clear`s.
    """

    CACHE_SIZE = 50_000

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[int, Resident | None] = {}

    def _remember(self, user_id: int, resident: Resident | None) -> None:
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[user_id] = resident

    def clear(self) -> None:
        """Drop every cached resident: the next read of each comes from the database."""
        self._cache.clear()

    async def get(self, user_id: int) -> Resident | None:
        if user_id in self._cache:
            return self._cache[user_id]
        row = await self.db.fetchone(
            f"SELECT {_RESIDENT_COLUMNS} FROM residents WHERE user_id = ?", (user_id,)
        )
        resident = Resident(*row) if row else None
        self._remember(user_id, resident)
        return resident

    async def save(
        self,
        user_id: int,
        *,
        municipality: str | None = None,
        language: str | None = None,
        last_language: str | None = None,
    ) -> Resident:
        """Create or update a resident; a None argument leaves that choice as it was."""
        stamp = now()

        def save(connection: sqlite3.Connection) -> Resident:
            connection.execute(
                """INSERT INTO residents
                     (user_id, municipality, language, last_language, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET
                     municipality = COALESCE(excluded.municipality, residents.municipality),
                     language = COALESCE(excluded.language, residents.language),
                     last_language = COALESCE(excluded.last_language, residents.last_language),
                     updated_at = excluded.updated_at""",
                (user_id, municipality, language, last_language, stamp, stamp),
            )
            row = connection.execute(
                f"SELECT {_RESIDENT_COLUMNS} FROM residents WHERE user_id = ?", (user_id,)
            ).fetchone()
            return Resident(*row)

        resident = await self.db.run_write(save)
        self._remember(user_id, resident)
        return resident

    async def forget(self, user_id: int) -> None:
        await self.db.write("DELETE FROM residents WHERE user_id = ?", (user_id,))
        self._remember(user_id, None)


class Inbox:
    """Updates stored as they arrive, so one fetched but not handled survives a crash.

    An update is recorded before Telegram counts it as delivered, and marked processed after
    its handlers ran. After a restart, pending updates are handled again and redelivered ones
    that were already processed are skipped.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        # Updates already marked done by the commit that recorded their answer.
        self._answered: set[int] = set()

    async def record(self, update_id: int, payload: dict[str, Any], durable: bool = True) -> bool:
        """Store an update; returns False when it was already known (a redelivery). With
        `durable=False` it returns at the commit (see `Database.run_write`)."""
        text = json.dumps(payload, ensure_ascii=False)

        def insert(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)",
                (update_id, text, now()),
            )
            return cursor.rowcount == 1  # lastrowid would be stale for an ignored row

        return await self.db.run_write(insert, durable)

    async def is_processed(self, update_id: int) -> bool:
        value = await self.db.fetchval(
            "SELECT processed_at FROM inbox WHERE update_id = ?", (update_id,)
        )
        return value is not None

    async def mark_processed(self, update_id: int) -> None:
        """Mark done and drop the payload: a processed update's text is not kept."""
        if update_id in self._answered:
            self._answered.discard(update_id)
            return
        # Committed is enough to go on: a power cut before the fsync that follows handles the
        # update again, as a kill before this commit would.
        await self.db.write(
            "UPDATE inbox SET processed_at = ?, payload = NULL WHERE update_id = ?",
            (now(), update_id),
            durable=False,
        )

    async def mark_answered(
        self, update_id: int, question_id: int | None, reply_message_id: int
    ) -> None:
        """The bot's reply to this update reached Telegram: record it and mark the update done
        in one commit, so a restart never answers it again."""

        def run(connection: sqlite3.Connection) -> None:
            if question_id is not None:
                connection.execute(
                    "UPDATE questions SET reply_message_id = ? WHERE id = ?",
                    (reply_message_id, question_id),
                )
            connection.execute(
                "UPDATE inbox SET processed_at = ?, payload = NULL WHERE update_id = ?",
                (now(), update_id),
            )

        # Committed, not awaited to the fsync: as for `mark_processed`.
        await self.db.run_write(run, durable=False)
        self._answered.add(update_id)

    async def pending(self) -> list[tuple[int, dict[str, Any] | None]]:
        """Updates recorded but never processed, oldest first; the payload is None when it
        cannot be read back."""
        rows = await self.db.fetchall(
            "SELECT update_id, payload FROM inbox WHERE processed_at IS NULL ORDER BY update_id"
        )
        found: list[tuple[int, dict[str, Any] | None]] = []
        for update_id, text in rows:
            try:
                payload = json.loads(text) if text is not None else None
            except ValueError:
                payload = None
            found.append((update_id, payload if isinstance(payload, dict) else None))
        return found

    async def purge(self, older_than_seconds: int) -> int:
        """Forget processed update ids once Telegram can no longer redeliver them."""
        return await self.db.write(
            "DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?",
            (now() - older_than_seconds,),
        )


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    user_id: int | None
    municipality: str | None
    language: str
    text: str | None
    outcome: str
    asked_at: int
    sent_to_staff_at: int | None
    answered_at: int | None


_QUESTION_COLUMNS = (
    "id, user_id, municipality, language, text, outcome, asked_at, sent_to_staff_at, answered_at"
)


@functools.lru_cache(maxsize=32_768)
def folded_wording(text: str) -> str:
    """A wording's folded words, as the grouping compares them (kept: each page shown again
    reads the same wordings)."""
    return " ".join(tokens(text))


def wording_key(text: str, municipality: str | None) -> str:
    """The key of one wording: its folded words and the municipality, hashed.

    A group's key is the key of the wording that names it. When another wording becomes the
    most asked, the group's key changes, but the old one is still among its `member_keys`,
    so a group marked handled stays handled.
    """
    folded = folded_wording(text)
    digest = hashlib.sha256(f"{municipality or ''}\n{folded}".encode()).hexdigest()
    return digest[:16]


# Distinct unanswered wordings read to group; the groups shown are far fewer.
UNANSWERED_SCAN = 2000
# Two wordings at least this similar (rapidfuzz's token set ratio of their folded words) are
# the same question.
SAME_QUESTION = 88.0


class SimilarityMemo:
    """The comparisons `cluster_similar` made before, kept between calls: for each folded
    wording, the group wordings it was compared with and those at least SAME_QUESTION like
    it. A score depends on the two wordings alone, so a page shown again compares only
    wordings new since with groups new since, and groups exactly as without the memo. Pages
    group in threads (and the console's start-up warm-up beside them): one at a time."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit  # wordings kept; beyond it the memo starts afresh
        self._seen: dict[str, tuple[set[str], dict[str, float]]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every kept wording (after an erasure: they are residents' words)."""
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, folded: object) -> bool:
        """Whether the folded wording `folded` is kept."""
        return folded in self._seen

    def best(self, folded: str, known: set[str], index_of: dict[str, int]) -> int | None:
        """The index in `index_of` of the wording in `known` most like `folded` (the first
        of the best, as rapidfuzz's extractOne), or None when none is like it."""
        with self._lock:
            entry = self._seen.get(folded)
            if entry is None:
                if len(self._seen) >= self.limit:
                    self._seen.clear()
                entry = self._seen[folded] = (set(), {})
            seen, like = entry
            fresh = known - seen
            if fresh:
                for choice, score, _ in process.extract(
                    folded,
                    fresh,
                    scorer=fuzz.token_set_ratio,
                    score_cutoff=SAME_QUESTION,
                    limit=None,
                ):
                    like[choice] = score
                seen |= fresh
            found: tuple[float, int] | None = None
            for choice, score in like.items():
                index = index_of.get(choice)
                if index is not None and (found is None or (-score, index) < (-found[0], found[1])):
                    found = (score, index)
            return found[1] if found is not None else None


def cluster_similar(
    rows: list[tuple[str, str | None, int]],
    max_groups: int | None = None,
    memo: SimilarityMemo | None = None,
) -> list[list[int]]:
    """Which rows are near-duplicates of one municipality: the indexes of each group's rows,
    the wording that names it first; groups most asked first. `rows` come most asked first.

    With `max_groups`, once that many groups exist a row like none of them is left out:
    every row is still compared with the groups kept, so their counts are whole, but the
    cost stays rows x `max_groups` instead of growing with the square of the rows. With
    `memo`, comparisons made by an earlier call are not made again."""
    memo = memo if memo is not None else SimilarityMemo()
    groups: list[list[int]] = []
    counts: list[int] = []
    # Per municipality, the folded wording of each of its groups, and its place among them.
    keys: dict[str | None, set[str]] = {}
    places: dict[str | None, dict[str, int]] = {}
    owners: dict[str | None, list[int]] = {}
    # The group of each folded wording already placed: the same words again ("Når går
    # ferja?", "når går ferja") go where they went, without another fuzzy comparison.
    placed: dict[tuple[str | None, str], int | None] = {}
    for index, (text, municipality, count) in enumerate(rows):
        folded = folded_wording(text)
        if (municipality, folded) in placed:
            owner = placed[municipality, folded]
        else:
            known = keys.setdefault(municipality, set())
            found = memo.best(folded, known, places.setdefault(municipality, {})) if known else None
            owner = owners[municipality][found] if found is not None else None
        if owner is not None:
            placed[municipality, folded] = owner
            groups[owner].append(index)
            counts[owner] += count
            continue
        if max_groups is not None and len(groups) >= max_groups:
            placed[municipality, folded] = None
            continue
        placed[municipality, folded] = len(groups)
        mine = places.setdefault(municipality, {})
        mine[folded] = len(mine)
        keys.setdefault(municipality, set()).add(folded)
        owners.setdefault(municipality, []).append(len(groups))
        groups.append([index])
        counts.append(count)
    order = sorted(range(len(groups)), key=lambda group: -counts[group])
    return [groups[group] for group in order]


def group_similar(
    rows: list[tuple[str, str | None, int]],
) -> list[tuple[str, str | None, int]]:
    """Merge near-duplicate questions of one municipality; each group is named by its most
    asked wording. `rows` come most asked first."""
    named = []
    for members in cluster_similar(rows):
        text, municipality, _ = rows[members[0]]
        named.append((text, municipality, sum(rows[i][2] for i in members)))
    return named


class Questions:
    """What residents asked that the bot could not answer, and questions handed to staff."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        user_id: int | None,
        municipality: str | None,
        language: str,
        text: str | None,
        outcome: str,
        entry_id: str | None = None,
        update_id: int | None = None,
        durable: bool = True,
    ) -> int:
        """Store one question and what the bot did with it (fallback, clarify, answered with
        `entry_id`, browsed to `entry_id` from a button); returns its id. The same `update_id`
        handled again (after a crash) gets the same question back, not a second one. With
        `durable=False` it returns at the commit (see `Database.run_write`)."""

        def upsert(connection: sqlite3.Connection) -> int:
            row = connection.execute(
                """INSERT INTO questions
                       (user_id, municipality, language, text, outcome, asked_at, entry_id,
                        update_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (update_id) WHERE update_id IS NOT NULL DO UPDATE SET
                       municipality = excluded.municipality, language = excluded.language,
                       outcome = excluded.outcome, entry_id = excluded.entry_id
                   RETURNING id""",
                (user_id, municipality, language, text, outcome, now(), entry_id, update_id),
            ).fetchone()
            return int(row[0])

        return await self.db.run_write(upsert, durable)

    async def get(self, question_id: int) -> Question | None:
        row = await self.db.fetchone(
            f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE id = ?", (question_id,)
        )
        return Question(*row) if row else None

    async def sent_to_staff(self, question_id: int, chat_id: int, message_id: int) -> None:
        await self.db.write(
            """UPDATE questions SET sent_to_staff_at = ?, staff_chat_id = ?, staff_message_id = ?
               WHERE id = ?""",
            (now(), chat_id, message_id, question_id),
        )

    async def by_staff_message(self, chat_id: int, message_id: int) -> Question | None:
        row = await self.db.fetchone(
            f"""SELECT {_QUESTION_COLUMNS} FROM questions
                WHERE staff_chat_id = ? AND staff_message_id = ?""",
            (chat_id, message_id),
        )
        return Question(*row) if row else None

    async def answered(self, question_id: int, answer_message_id: int | None = None) -> None:
        """Staff answered; `answer_message_id` is the answer's message in the resident's chat."""
        await self.db.write(
            "UPDATE questions SET answered_at = ?, answer_message_id = ? WHERE id = ?",
            (now(), answer_message_id, question_id),
        )

    async def by_answer_message(self, user_id: int, message_id: int) -> Question | None:
        """The question a staff answer (this message in the resident's chat) answered."""
        row = await self.db.fetchone(
            f"""SELECT {_QUESTION_COLUMNS} FROM questions
                WHERE user_id = ? AND answer_message_id = ?""",
            (user_id, message_id),
        )
        return Question(*row) if row else None

    async def staff_message_of(self, question_id: int) -> tuple[int, int] | None:
        """The staff chat and message a question was posted as, if it was."""
        row = await self.db.fetchone(
            "SELECT staff_chat_id, staff_message_id FROM questions WHERE id = ?", (question_id,)
        )
        if row is None or row[0] is None or row[1] is None:
            return None
        return int(row[0]), int(row[1])

    async def unanswered(
        self, since: int, limit: int = 50, municipalities: Collection[str] | None = None
    ) -> list[tuple[str, str | None, int]]:
        """Questions the bot could not answer since `since`, near-duplicates together ("når går
        ferja?", "Når går ferja"): (the most asked wording, municipality, count), most asked
        first; only those asked in `municipalities`, when given (a municipality's staff)."""
        where, chosen = "", sorted(municipalities or ())
        if municipalities is not None:
            where = f" AND municipality IN ({', '.join('?' for _ in chosen)})"
        rows = await self.db.fetchall(
            f"""SELECT text, municipality, COUNT(*) AS asked FROM questions
               WHERE asked_at >= ? AND outcome = 'fallback' AND text IS NOT NULL{where}
               GROUP BY lower(text), municipality ORDER BY asked DESC, MAX(asked_at) DESC
               LIMIT ?""",
            (since, *chosen, UNANSWERED_SCAN),
        )
        return group_similar([(row[0], row[1], row[2]) for row in rows])[:limit]

    async def purge(self, older_than_seconds: int) -> int:
        """Erase question texts and who asked them after the retention period."""
        return await self.db.write(
            """UPDATE questions SET text = NULL, user_id = NULL
               WHERE asked_at < ? AND (text IS NOT NULL OR user_id IS NOT NULL)""",
            (now() - older_than_seconds,),
        )


class Feedback:
    """👍/👎 per entry. Who voted is not stored."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        entry_id: str,
        helpful: bool,
        municipality: str | None,
        language: str | None,
        question_id: int | None = None,
    ) -> None:
        """One vote per answer (`question_id`): pressing again, or an old button, replaces it."""
        await self.db.write(
            """INSERT INTO feedback
                   (entry_id, municipality, language, helpful, created_at, question_id)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (question_id) WHERE question_id IS NOT NULL
               DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at""",
            (entry_id, municipality, language, int(helpful), now(), question_id),
        )

    async def summary(self) -> list[tuple[str, int, int]]:
        """(entry_id, helpful votes, unhelpful votes), most unhelpful first."""
        rows = await self.db.fetchall(
            """SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM feedback
               GROUP BY entry_id ORDER BY SUM(1 - helpful) DESC, entry_id"""
        )
        return [(row[0], row[1], row[2]) for row in rows]


ERASURES = "erasures"


def count_erasure(connection: sqlite3.Connection) -> None:
    """Inside the transaction that erases a person: one more erasure, so a process that keeps
    people in memory (the running bot, when the CLI erased) knows to drop what it holds."""
    connection.execute(
        """INSERT INTO meta (key, value) VALUES (?, '1')
           ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1""",
        (ERASURES,),
    )


class Meta:
    """Small settings the bot keeps for itself, such as the key that signs buttons."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def erasures(self) -> int:
        """How many people have been erased on request, ever (`count_erasure`)."""
        value = await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (ERASURES,))
        return int(value) if value is not None else 0

    async def secret(self, name: str) -> bytes:
        """A random key created on first use and kept, so buttons survive restarts."""
        fresh = secrets.token_hex(32)

        def fetch(connection: sqlite3.Connection) -> str:
            connection.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (name, fresh)
            )
            return str(
                connection.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()[0]
            )

        return bytes.fromhex(await self.db.run_write(fetch))
