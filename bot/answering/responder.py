"""The one answer function every front end calls: text in, a reply ready to send out.

`Responder.answer` applies the rules in order: emergency first (nothing can override it), then
a request for practical help, small talk, and finally matching against the knowledge base,
which answers, asks which entry or municipality is meant, or honestly says it doesn't know.
No Telegram imports: the CLI, the bot and the tests share this code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from rapidfuzz.distance import OSA

from bot.intents import HelpStrength, detect_emergency, detect_help_request, detect_smalltalk
from bot.kb.knowledge import SHARED, EmergencyNumber, Entry, KnowledgeBase, Municipality
from bot.kb.schema import LANGS, Country, Lang, Situation
from bot.language import LanguageDetector, learn_vocabulary, normalise_language_code
from bot.matching import Candidate, Matcher, content_words
from bot.messages import escape, format_date, say
from bot.text import MAX_MATCH_CHARS, clean, fold, has_letters, words

Kind = Literal["answer", "emergency", "help_request", "clarify", "fallback", "smalltalk"]

# Score thresholds on the matcher's 0-100 scale, tuned on the project's own question set.
ANSWER_MIN = 52.0
CLARIFY_MIN = 40.0
# Below this, a runner-up closer than AMBIGUITY_MARGIN makes the bot ask which entry is meant;
# above it, the bot answers and offers the runner-up as a related button.
CONFIDENT = 70.0
AMBIGUITY_MARGIN = 4.0
# In a near tie, the municipality's own entry beats national content.
LOCAL_PREFERENCE = 5.0
MAX_REPLY_CHARS = 4096
MAX_SUGGESTIONS = 3
# Words that name the municipality in general, not a topic; they never decide a match.
_GENERIC_WORDS = frozenset({"kommune", "kommunen", "kommun", "municipality", "municipal"})


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Another entry the resident may have meant."""

    entry_id: str
    title: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot sends back, and why. `text` is Telegram HTML, at most 4096 characters."""

    kind: Kind
    text: str
    language: Lang
    municipality: str | None = None
    entry_id: str | None = None
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = ()
    # With kind clarify: the municipalities the resident can choose between.
    municipalities: tuple[str, ...] = ()
    situation: Situation | None = None
    help_category: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The reply as the `ask --json` protocol prints it."""
        return {
            "kind": self.kind,
            "entry_id": self.entry_id,
            "municipality": self.municipality,
            "language": self.language,
            "score": round(self.score, 1),
            "text": self.text,
            "suggestions": [{"id": s.entry_id, "title": s.title} for s in self.suggestions],
            "municipalities": list(self.municipalities),
        }


@dataclass
class _Context:
    """What the rules have worked out about one message."""

    text: str
    wanted: Lang
    municipality: Municipality | None
    suggestions: list[Suggestion] = field(default_factory=list)
    # True when nothing told us the language: the municipality's, once known, is better.
    language_guessed: bool = False


def _knowledge_texts(kb: KnowledgeBase) -> Iterable[tuple[Lang, str]]:
    for entry in kb.entries.values():
        for lang, questions in entry.questions.items():
            for question in questions:
                yield lang, question
        for lang, keywords in entry.keywords.items():
            yield lang, " ".join(keywords)
        yield from entry.title.items()
        yield from entry.answer.items()


def _format_body(text: str) -> str:
    lines = []
    for line in escape(text.strip()).splitlines():
        stripped = line.strip()
        lines.append("• " + stripped[2:] if stripped.startswith("- ") else stripped)
    return "\n".join(lines)


class Responder:
    """Answers residents from one loaded knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._aliases = self._alias_table(kb)
        self.matcher = Matcher(kb, ignore=frozenset(self._aliases) | _GENERIC_WORDS)
        self.detector = LanguageDetector(learn_vocabulary(_knowledge_texts(kb)))

    @staticmethod
    def _alias_table(kb: KnowledgeBase) -> dict[str, str]:
        table: dict[str, str] = {}
        for municipality in kb.municipalities.values():
            names = [municipality.id, *municipality.aliases]
            for name in names:
                for word in words(fold(name)):
                    table[word] = municipality.id
                    table[word + "s"] = municipality.id  # genitive: Askers, Hallstahammars
        return table

    def mentioned_municipality(self, text: str) -> str | None:
        """The municipality a message names ("i Asker", "hallstahamar"), if any."""
        for word in words(fold(clean(text[:MAX_MATCH_CHARS]))):
            found = self._aliases.get(word)
            if found:
                return found
            if len(word) >= 6:
                for alias, municipality in self._aliases.items():
                    if len(alias) >= 6 and OSA.distance(word, alias, score_cutoff=1) <= 1:
                        return municipality
        return None

    # -- the rules --------------------------------------------------------------------------

    def answer(
        self, text: str, municipality: str | None = None, language: str | None = None
    ) -> Reply:
        """Reply to one message from a resident."""
        if municipality is not None and municipality not in self.kb.municipalities:
            municipality = None
        text = clean(text)
        named = self.mentioned_municipality(text)
        chosen = self.kb.municipalities.get(named or municipality or "")
        told = self.detector.detect(text[:MAX_MATCH_CHARS]) or normalise_language_code(language)
        wanted = told or (chosen.language if chosen else None) or "en"
        ctx = _Context(text, wanted, chosen, language_guessed=told is None and chosen is None)
        if not has_letters(text):
            return self._fallback(ctx, unreadable=True)
        emergency = detect_emergency(text)
        if emergency is not None:
            return self._emergency(ctx, emergency.situation)
        help_match = detect_help_request(text)
        if help_match is not None and help_match.strength is HelpStrength.STRONG:
            return self._help_request(ctx, help_match.category)
        smalltalk = detect_smalltalk(text)
        if smalltalk is not None:
            return Reply("smalltalk", say(f"smalltalk_{smalltalk}", wanted), wanted, self._id(ctx))
        reply = self._match(ctx)
        if reply.kind == "fallback" and help_match is not None:
            return self._help_request(ctx, help_match.category)
        return reply

    def _match(self, ctx: _Context) -> Reply:
        query = content_words(ctx.text[:MAX_MATCH_CHARS], self.matcher.ignore)
        if not query:
            return self._fallback(ctx)
        scope = ctx.municipality.id if ctx.municipality else None
        candidates = self.matcher.search(query, scope, limit=6, compounds=ctx.wanted != "en")
        if not candidates or candidates[0].score < CLARIFY_MIN:
            return self._fallback(ctx)
        candidates = self._prefer_local(candidates)
        top = candidates[0]
        if ctx.municipality is None:
            places = self._municipalities_that_answer(candidates)
            if len(places) > 1:
                return self._clarify_municipality(ctx, candidates, places)
            if len(places) == 1:
                ctx.municipality = self.kb.municipalities[places[0]]
                if ctx.language_guessed:
                    ctx.wanted = ctx.municipality.language
        if top.score < ANSWER_MIN:
            return self._clarify_entries(ctx, [c for c in candidates if c.score >= CLARIFY_MIN])
        close = [c for c in candidates[1:] if top.score - c.score < AMBIGUITY_MARGIN]
        if close and top.score < CONFIDENT:
            return self._clarify_entries(ctx, [top, *close])
        others = [c.entry for c in candidates[1:] if c.score >= CLARIFY_MIN]
        return self._entry_reply(ctx, top.entry, top.score, others)

    @staticmethod
    def _prefer_local(candidates: list[Candidate]) -> list[Candidate]:
        """Move a municipality's own entry ahead of national ones it nearly ties with."""
        top = candidates[0]
        if top.entry.scope != SHARED:
            return candidates
        for candidate in candidates[1:]:
            if top.score - candidate.score > LOCAL_PREFERENCE:
                break
            if candidate.entry.scope != SHARED:
                rest = [c for c in candidates if c is not candidate]
                return [candidate, *rest]
        return candidates

    def _municipalities_that_answer(self, candidates: list[Candidate]) -> list[str]:
        """The municipalities with a confident candidate near the top one, in rank order."""
        top = candidates[0].score
        if top < ANSWER_MIN:
            return []
        places: list[str] = []
        for candidate in candidates:
            if candidate.score < ANSWER_MIN or top - candidate.score >= AMBIGUITY_MARGIN * 3:
                continue
            entry = candidate.entry
            if entry.scope == SHARED:
                owners = [
                    m.id for m in self.kb.municipalities.values() if m.country in entry.countries
                ]
            else:
                owners = [entry.scope]
            for owner in owners:
                if owner not in places:
                    places.append(owner)
        return places

    # -- replies ----------------------------------------------------------------------------

    def _id(self, ctx: _Context) -> str | None:
        return ctx.municipality.id if ctx.municipality else None

    def entry_reply(self, entry_id: str, language: str | None, municipality: str | None) -> Reply:
        """The answer for one entry, as when a resident picks it from a menu or suggestion."""
        entry = self.kb.entries[entry_id]
        chosen = self.kb.municipalities.get(municipality or "")
        if entry.scope != SHARED:
            chosen = self.kb.municipalities.get(entry.scope, chosen)
        wanted = normalise_language_code(language) or (chosen.language if chosen else "en")
        related = [self.kb.entries[r] for r in entry.related if r in self.kb.entries]
        return self._entry_reply(_Context("", wanted, chosen), entry, 100.0, related)

    def _entry_language(self, entry: Entry, ctx: _Context) -> Lang:
        if ctx.wanted in entry.answer:
            return ctx.wanted
        local: Lang | None = ctx.municipality.language if ctx.municipality else None
        for lang in (local, *LANGS):
            if lang is not None and lang in entry.answer:
                return lang
        raise AssertionError("an entry always has an answer")

    def _entry_reply(
        self, ctx: _Context, entry: Entry, score: float, others: Iterable[Entry]
    ) -> Reply:
        lang = self._entry_language(entry, ctx)
        parts = [f"<b>{escape(entry.title_in(lang, lang))}</b>"]
        if lang != ctx.wanted:
            language_name = say(f"lang_name_{lang}", ctx.wanted)
            parts.append(f"<i>{say('language_notice', ctx.wanted, language=language_name)}</i>")
        footer = []
        labels = []
        for source_id in entry.sources:
            source = self.kb.sources.get(source_id)
            if source is not None:
                date_part = f", {format_date(source.published, lang)}" if source.published else ""
                labels.append(source.publisher + date_part)
        if labels:
            footer.append(f"<i>{say('source', lang, source='; '.join(labels))}</i>")
        footer.append(f"<i>{say('updated', lang, date=format_date(entry.reviewed, lang))}</i>")
        head, tail = "\n".join(parts), "\n".join(footer)
        body = _format_body(entry.answer[lang])
        room = MAX_REPLY_CHARS - len(head) - len(tail) - 4
        if len(body) > room:
            body = body[: room - 1].rstrip() + "…"
        text = f"{head}\n\n{body}\n\n{tail}"
        related = [self.kb.entries[r] for r in entry.related if r in self.kb.entries]
        suggestions = self._suggestions([*related, *others], lang, exclude=entry.id)
        return Reply(
            kind="answer",
            text=text,
            language=lang,
            municipality=entry.scope if entry.scope != SHARED else self._id(ctx),
            entry_id=entry.id,
            score=score,
            suggestions=suggestions,
        )

    def _suggestions(
        self, entries: Iterable[Entry], lang: Lang, exclude: str | None = None
    ) -> tuple[Suggestion, ...]:
        seen: dict[str, Suggestion] = {}
        for entry in entries:
            if entry.id == exclude or entry.id in seen:
                continue
            seen[entry.id] = Suggestion(entry.id, entry.title_in(lang, "en"))
            if len(seen) == MAX_SUGGESTIONS:
                break
        return tuple(seen.values())

    def _clarify_entries(self, ctx: _Context, candidates: list[Candidate]) -> Reply:
        suggestions = self._suggestions((c.entry for c in candidates), ctx.wanted)
        lines = [say("clarify_entries", ctx.wanted), ""]
        lines += [f"{n}. {escape(s.title)}" for n, s in enumerate(suggestions, 1)]
        return Reply(
            kind="clarify",
            text="\n".join(lines),
            language=ctx.wanted,
            municipality=self._id(ctx),
            score=candidates[0].score,
            suggestions=suggestions,
        )

    def _clarify_municipality(
        self, ctx: _Context, candidates: list[Candidate], places: list[str]
    ) -> Reply:
        chosen = [self.kb.municipalities[p] for p in places]
        lines = [say("clarify_municipality", ctx.wanted), ""]
        lines += [f"• {escape(m.display_name(ctx.wanted))}" for m in chosen]
        best_per_place = []
        for place in places:
            for candidate in candidates:
                if candidate.entry.scope in (place, SHARED):
                    best_per_place.append(candidate.entry)
                    break
        return Reply(
            kind="clarify",
            text="\n".join(lines),
            language=ctx.wanted,
            score=candidates[0].score,
            suggestions=self._suggestions(best_per_place, ctx.wanted),
            municipalities=tuple(places),
        )

    def contact_line(self, municipality: Municipality | None, lang: Lang) -> str:
        """How to reach a human at the municipality, from what the knowledge base gives."""
        if municipality is None:
            return say("contact_none", lang)
        name = municipality.display_name(lang)
        if municipality.phone:
            return say("contact_phone", lang, name=name, phone=municipality.phone)
        if municipality.website:
            return say("contact_website", lang, name=name, website=municipality.website)
        return say("contact_plain", lang, name=name)

    def _fallback(self, ctx: _Context, unreadable: bool = False) -> Reply:
        lang = ctx.wanted
        opening = say("fallback_no_words" if unreadable else "fallback", lang)
        text = "\n\n".join(
            [opening, self.contact_line(ctx.municipality, lang), say("fallback_offer", lang)]
        )
        return Reply("fallback", text, lang, self._id(ctx))

    def _help_request(self, ctx: _Context, category: str) -> Reply:
        lang = ctx.wanted
        text = say("help_request", lang, what=say(f"help_what_{category}", lang))
        return Reply("help_request", text, lang, self._id(ctx), score=100.0, help_category=category)

    def emergency_text(self, countries: Iterable[Country], lang: Lang, situation: Situation) -> str:
        """The fixed emergency reply: urgent numbers first, the situation's own number first."""
        countries = [c for c in countries if c in self.kb.emergency]
        lines = [say("emergency_intro", lang)]
        if not countries:
            lines.append(f"• <b>{say('emergency_fallback_number', lang)}</b>")
        for country in countries:
            numbers = self.kb.emergency[country]
            if len(countries) > 1:
                lines += ["", f"<b>{say(f'emergency_country_{country}', lang)}</b>"]
            ranked = sorted(numbers, key=lambda n: situation not in n.situations)
            lines += [self._number_line(n, lang, bold=True) for n in ranked if n.urgent]
            others = [n for n in ranked if not n.urgent]
            if others:
                lines += ["", say("emergency_more", lang)]
                lines += [self._number_line(n, lang, bold=False) for n in others]
        lines += ["", say("emergency_outro", lang)]
        return "\n".join(lines)

    @staticmethod
    def _number_line(number: EmergencyNumber, lang: Lang, bold: bool) -> str:
        label = number.label.get(lang) or number.label.get("en") or ""
        digits = escape(number.number)
        shown = f"<b>{digits}</b>" if bold else digits
        return f"• {shown} – {escape(label)}"

    def _emergency(self, ctx: _Context, situation: Situation) -> Reply:
        if ctx.municipality is not None:
            countries: list[Country] = [ctx.municipality.country]
        else:
            countries = sorted(self.kb.emergency)
        text = self.emergency_text(countries, ctx.wanted, situation)
        return Reply("emergency", text, ctx.wanted, self._id(ctx), score=100.0, situation=situation)
