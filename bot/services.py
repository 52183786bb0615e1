"""The one place that wires the bot's services: storage, the knowledge base and the help desk.

The Telegram runtime, chat mode and the CLI all build on `Services`, so a setting such as the
staff chat or the retention period means the same thing wherever a change is made. Nothing here
knows Telegram.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from bot.answering.service import KnowledgeService, forget_recent_messages
from bot.config import Settings
from bot.console.actions import StaffActions
from bot.console.auth import ERASED, Actor, Audit, ConsoleAuth
from bot.errors import BotError, NotStaffError
from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.outbox import queue_view
from bot.helpdesk.privacy import ErasureCheck
from bot.helpdesk.repository import volunteer_by_id
from bot.helpdesk.routing import Chats, StaffScope, may_act
from bot.kb.cache import CACHE_FOLDER, CacheStore
from bot.kb.snapshot import SNAPSHOT_FILE
from bot.notices.service import Notice, Notices, as_entries, take_over
from bot.notices.subscriptions import Subscriptions
from bot.storage import Database
from bot.storage.records import Feedback, Inbox, Meta, Questions, Residents, folded_wording
from bot.types import Lang

DB_FILE = "bot.db"


def database_path(settings: Settings) -> Path:
    """Where the bot keeps its database."""
    return settings.data_dir / DB_FILE


class Services:
    """Storage, the live knowledge base and the help desk, for one data folder.

    The knowledge base loads on first use (`knowledge`), so a CLI command that needs none
    does not pay for it. The listings (`queue list`, `queue export`, `volunteers list`,
    `unanswered`) need it: they check `--municipality` against it and mask residents' words
    knowing its place names, so they wait for it to load and print its warnings, if any, to
    stderr. `open` opens the database; `close` closes it.
    """

    def __init__(
        self,
        settings: Settings,
        knowledge: KnowledgeService | None = None,
        wake_outbox: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self._knowledge = knowledge
        self.db = Database(database_path(settings))
        self.residents = Residents(self.db)
        self.inbox = Inbox(self.db)
        self.questions = Questions(self.db)
        self.feedback = Feedback(self.db)
        self.meta = Meta(self.db)
        # The erasures counted when this process last looked (`drop_caches_if_erased`).
        self._erasures_seen = 0
        # What else in this process keeps people's words (the console's caches).
        self._forget_hooks: list[Callable[[], None]] = []
        self.chats = Chats(
            settings.volunteer_chat_id,
            settings.staff_chat_id,
            staff_chats=settings.staff_chats,
            volunteer_chats=settings.volunteer_chats,
            municipality_staff=settings.municipality_staff,
            global_staff=settings.staff_user_ids,
            # Looked up each time: a reload may change a municipality file's chats.
            municipalities=lambda: self.knowledge.responder.kb.municipalities,
        )
        self.console_auth = ConsoleAuth(self.db)
        self.audit = Audit(self.db)
        self.subscriptions = Subscriptions(self.db)
        self.notices = Notices(self.db, settings.notice_needs_second_staff)
        self.desk = HelpDesk.build(
            self.db,
            volunteer_chat_id=settings.volunteer_chat_id,
            staff_chat_id=settings.staff_chat_id,
            contact_line=self.contact_line,
            chats=self.chats,
            escalate_after_seconds=settings.escalate_after_minutes * 60,
            retention_seconds=settings.retention_days * 86400,
            wake_outbox=wake_outbox,
        )
        # Staff changes, audited: what the console's buttons and the command line call.
        self.actions = StaffActions(self.db, self.desk, self.audit)

    @property
    def knowledge(self) -> KnowledgeService:
        """The live knowledge base, loaded the first time it is needed."""
        if self._knowledge is None:
            self._knowledge = KnowledgeService(
                self.settings.knowledge_dir,
                self.settings.data_dir / SNAPSHOT_FILE,
                CacheStore(self.settings.data_dir / CACHE_FOLDER),
            )
        return self._knowledge

    async def open(self) -> None:
        await self.db.open()
        await self.desk.start()
        self._erasures_seen = await self.meta.erasures()

    async def show_notices(self) -> None:
        """Make the live notices part of what the answer engine searches (and no others)."""
        live = await self.notices.live()
        kb = self.knowledge.base
        countries = sorted({m.country for m in kb.municipalities.values()})
        known = [n for n in live if n.municipality is None or n.municipality in kb.municipalities]
        await self.knowledge.show_extra(as_entries(known, countries))

    async def close(self) -> None:
        await self.db.close()

    async def take_over_notice(self, notice_id: int, staff_id: int, who: str) -> Notice | None:
        """The console takes over a draft begun with /notice in a staff chat. In the same
        transaction the chat is told, through the outbox, that the draft is now finished in
        the console and that a reply there is no longer taken for its text."""

        def run(connection: sqlite3.Connection) -> Notice | None:
            taken = take_over(connection, notice_id, staff_id)
            if taken is not None and taken.staff_chat_id is not None:
                values = {"id": str(notice_id), "who": who}
                told = {"key": "staff_notice_taken_over", "values": values}
                # In the chat's language, as its prompt was (`Chats.chat_language`).
                own = sorted(self.chats.municipalities_of_staff_chat(taken.staff_chat_id))
                chat = taken.staff_chat_id
                place = own[0] if own else None
                queue_view(connection, chat, "say", "staff", told, municipality=place)
            return taken

        return await self.desk.outbox.transaction(run)

    async def forget_person(self, user_id: int, check: ErasureCheck | None = None) -> int:
        """Erase everything about a resident or volunteer, as /forgetme and `python -m bot
        erase` do: their requests (active ones cancelled), questions and the marks derived
        from them, choices, subscriptions, and their name in the console's audit log.
        `check` runs in the erasure's transaction first (see `ErasureCheck`). Returns how
        many of their help requests were erased."""
        erased = await self.desk.privacy.forget_resident(user_id, check)
        await self.residents.forget(user_id)
        await self.audit.forget(user_id)
        await self.drop_cached_people()
        return erased

    async def erase_for_staff(self, user_id: int, by: Actor, scope: StaffScope) -> int:
        """`forget_person` at a staff member's hand (someone asked by phone or letter). A
        municipality's staff may erase only someone all of whose requests, volunteer
        registration and chosen municipality are theirs; otherwise NotStaffError and nothing
        is erased. A volunteer registered for anywhere (before municipalities were asked
        for) is the global staff's, though every municipality's staff see them listed:
        NotStaffError too. Someone with nothing in their municipalities (not even a question
        asked there) is, for them, no one: BotError, the same whether that person exists in
        another municipality or nowhere, so Asker's staff cannot learn who is known in
        Öckerö. In the audit log as "erase" with no one named (the log must not keep whom
        it erased), once for each municipality whose data went (their requests, registration
        and choice, and where they asked questions), so each one's staff see it; written in
        the erasure's own transaction, so there is never one without the other."""

        def check(connection: sqlite3.Connection, places: frozenset[str | None]) -> None:
            asked = {
                str(row[0])
                for row in connection.execute(
                    """SELECT DISTINCT municipality FROM questions
                       WHERE user_id = ? AND municipality IS NOT NULL""",
                    (user_id,),
                )
            }
            if not scope.everywhere:
                mine = ", ".join(sorted(scope.municipalities))
                volunteer = volunteer_by_id(connection, user_id)
                if volunteer is not None and not volunteer.municipalities:
                    raise NotStaffError(
                        f"--as {by.staff_id}: staff of {mine} only, and {user_id} is a "
                        "volunteer registered for anywhere, whom the global staff decide about "
                        "(the global staff, in STAFF_USER_IDS, may erase them)"
                    )
                if not any(scope.covers(m) for m in places | asked):
                    raise BotError(
                        f"--as {by.staff_id}: nothing to erase for {user_id} in {mine}: no "
                        "help request, volunteer registration, chosen municipality or question "
                        "of theirs there (the global staff, in STAFF_USER_IDS, may erase anyone)"
                    )
                if places and not may_act(scope, places):
                    raise NotStaffError(
                        f"--as {by.staff_id}: staff of {mine} only, and {user_id} has help "
                        "requests, a volunteer registration or a chosen municipality beyond "
                        "them (the global staff, in STAFF_USER_IDS, may erase them)"
                    )
            # Questions asked in another municipality go too: its staff see that they did.
            for place in sorted(places | asked, key=lambda m: m or "") or [None]:
                self.audit.record_in(connection, by, "erase", ERASED, place)

        return await self.forget_person(user_id, check)

    async def drop_caches_if_erased(self) -> bool:
        """Drop what this process keeps in memory about people if anyone erased someone since
        it last looked: the CLI's `erase` writes only the database, so a running bot would
        otherwise go on using the erased resident's municipality, language and words."""
        count = await self.meta.erasures()
        if count == self._erasures_seen:
            return False
        self._erasures_seen = count
        await self.drop_cached_people()
        return True

    async def drop_cached_people(self) -> None:
        """Forget every cached resident, the users whose conversation is gone and the
        recent messages the answer engine keeps; all refill from the database and the next
        messages. Erasures are rare, so all go, not only the erased person's."""
        self.residents.clear()
        await self.desk.conversations.drop_gone()
        forget_recent_messages()
        folded_wording.cache_clear()
        for forget in self._forget_hooks:
            forget()

    def on_forget(self, forget: Callable[[], None]) -> None:
        """Have `forget` called whenever cached people are dropped (after an erasure)."""
        self._forget_hooks.append(forget)

    async def __aenter__(self) -> Services:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def contact_line(self, municipality: str | None, lang: Lang) -> str:
        """How to reach a human at the municipality, in `lang`."""
        responder = self.knowledge.responder
        return responder.contact_line(responder.kb.municipalities.get(municipality or ""), lang)

    def municipality_language(self, municipality: str | None) -> Lang:
        found = self.knowledge.responder.kb.municipalities.get(municipality or "")
        return found.language if found else "en"
