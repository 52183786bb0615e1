"""Inline keyboards. Every button's data is signed for the chat it is sent to."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answering import Reply
from bot.kb.knowledge import KnowledgeBase
from bot.messages import say
from bot.tg.callbacks import CallbackCodec
from bot.types import Action, Lang

# Action.MENU's argument when the menu replaces the message it is pressed on (a topic's "back").
MENU_IN_PLACE = "b"

LANGUAGE_BUTTONS: dict[Lang, str] = {"nb": "🇳🇴 Norsk", "sv": "🇸🇪 Svenska", "en": "🇬🇧 English"}


class Keyboards:
    """Builds keyboards for one chat."""

    def __init__(self, codec: CallbackCodec, chat_id: int, lang: Lang) -> None:
        self.codec = codec
        self.chat_id = chat_id
        self.lang = lang

    def button(self, label: str, action: str, *args: str | int) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=self.codec.encode(self.chat_id, action, *args)
        )

    def menu_button(self) -> InlineKeyboardButton:
        return self.button(say("button_menu", self.lang), Action.MENU)

    def municipalities(self, kb: KnowledgeBase) -> InlineKeyboardMarkup:
        buttons = [
            self.button(m.display_name(self.lang), Action.SET_MUNICIPALITY, m.id)
            for m in kb.municipalities.values()
        ]
        return InlineKeyboardMarkup(_rows(buttons, 2))

    def languages(self) -> InlineKeyboardMarkup:
        buttons = [
            self.button(label, Action.SET_LANGUAGE, code)
            for code, label in LANGUAGE_BUTTONS.items()
        ]
        return InlineKeyboardMarkup([buttons])

    def only_menu(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[self.menu_button()]])

    def topics(self, kb: KnowledgeBase, municipality: str) -> InlineKeyboardMarkup:
        buttons = [
            self.button(
                f"{t.icon or ''} {t.title.get(self.lang) or t.title.get('en', t.id)}".strip(),
                Action.TOPIC,
                t.id,
            )
            for t in kb.topics_for(municipality)
        ]
        return InlineKeyboardMarkup(_rows(buttons, 2))

    def topic_entries(
        self, kb: KnowledgeBase, municipality: str, topic: str
    ) -> InlineKeyboardMarkup:
        local = kb.municipalities[municipality].language
        rows = [
            [self.button(e.title_in(self.lang, local), Action.ENTRY, e.id)]
            for e in kb.entries_for(municipality)
            if e.topic == topic
        ]
        rows.append([self.button(say("button_back", self.lang), Action.MENU, MENU_IN_PLACE)])
        return InlineKeyboardMarkup(rows)

    def practical_help_button(self, category: str = "") -> InlineKeyboardButton:
        """Start asking a volunteer for help, in this keyboard's language."""
        label = say("button_practical_help", self.lang)
        return self.button(label, Action.PRACTICAL_HELP, category, self.lang)

    def ask_staff_button(self, question_id: int) -> InlineKeyboardButton:
        return self.button(say("button_ask_staff", self.lang), Action.ASK_STAFF, question_id)

    def for_reply(
        self, reply: Reply, question_id: int | None, kb: KnowledgeBase
    ) -> InlineKeyboardMarkup | None:
        """The buttons under a reply, by its kind."""
        rows: list[list[InlineKeyboardButton]] = []
        if reply.kind == "answer" and reply.entry_id:
            if reply.unsure and question_id is not None:
                label = say("button_not_what_asked", self.lang)
                rows.append([self.button(label, Action.ASK_STAFF, question_id)])
            rows += [[self.button(s.title, Action.ENTRY, s.entry_id)] for s in reply.suggestions]
            rows.append(
                [
                    self.button("👍", Action.FEEDBACK, reply.entry_id, 1, question_id or ""),
                    self.button("👎", Action.FEEDBACK, reply.entry_id, 0, question_id or ""),
                ]
            )
            # Reading about volunteers, a resident may need one: offer it right there.
            entry = kb.entries.get(reply.entry_id)
            if entry is not None and entry.topic == "volunteering":
                rows.append([self.practical_help_button()])
            rows.append([self.menu_button()])
        elif reply.kind == "clarify":
            rows += [[self.button(s.title, Action.ENTRY, s.entry_id)] for s in reply.suggestions]
            if question_id is not None:
                rows += [
                    [
                        self.button(
                            kb.municipalities[m].display_name(self.lang),
                            Action.ANSWER_FOR,
                            question_id,
                            m,
                        )
                    ]
                    for m in reply.municipalities
                    if m in kb.municipalities
                ]
                rows.append(
                    [self.button(say("button_none", self.lang), Action.NONE_OF_THESE, question_id)]
                )
        elif reply.kind == "fallback":
            if question_id is not None:
                rows.append([self.ask_staff_button(question_id)])
            rows.append([self.practical_help_button()])
            rows.append([self.menu_button()])
        elif reply.kind == "help_request":
            rows.append([self.practical_help_button(reply.help_category or "")])
        elif reply.kind == "smalltalk":
            rows.append([self.menu_button()])
        return InlineKeyboardMarkup(rows) if rows else None


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]
