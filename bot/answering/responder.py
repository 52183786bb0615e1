"""The one answer function every front end calls: text in, a reply ready to send out.

`Responder.answer` applies the rules in order: emergency first (nothing can override it), then
a request for practical help, small talk, and finally matching against the knowledge base,
which answers, asks which entry or municipality is meant, or honestly says it doesn't know.
No Telegram imports: the CLI, the bot and the tests share this code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal, get_args

from rapidfuzz.distance import OSA

from bot.answering.calibration import POSITIONS, Calibration, Signals, decide, shipped_calibration
from bot.answering.emergency import EmergencyLevel, EmergencyVerdict, detect_emergency
from bot.answering.emergency import detector as emergency_detector
from bot.answering.index_cache import IndexCache
from bot.answering.intents import HelpMatch, HelpStrength, detect_smalltalk
from bot.answering.matching import EXAMPLE_AS_WRITTEN, Candidate, Matcher, Ranking, content_words_of
from bot.answering.practical_help import detect_help, help_detector
from bot.answering.query import analyse_query
from bot.kb.cache import CacheStore
from bot.kb.knowledge import SHARED, EmergencyNumber, Entry, KnowledgeBase, Municipality
from bot.kb.loader import FileSegment
from bot.language import LanguageDetector, conversation_language
from bot.messages import escape, format_date, say
from bot.text import MAX_MATCH_CHARS, fold, has_letters, words
from bot.types import LANGS, Country, Lang, Situation, to_lang

logger = logging.getLogger(__name__)

Kind = Literal["answer", "emergency", "help_request", "clarify", "fallback", "smalltalk"]
# "full": the reply is the emergency reply; "line": a normal reply that opens with the emergency
# numbers, because the detector was unsure.
Alert = Literal["full", "line"]

# In a near tie, the municipality's own entry beats national content.
LOCAL_PREFERENCE = 5.0
MAX_SUGGESTIONS = 3
_SITUATIONS = frozenset(get_args(Situation))
# Words that name the municipality in general, not a topic; they never decide a match.
_GENERIC_WORDS = frozenset({"kommune", "kommunen", "kommun", "municipality", "municipal"})


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Another entry the resident may have meant."""

    entry_id: str
    title: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot sends back, and why. `text` is Telegram HTML, at most 4096 characters.

    `language` is the language of the answer's own text; `resident_language` the one the
    resident is spoken to in (notices, source lines, buttons). They differ only for an entry
    with no text in the resident's language.
    """

    kind: Kind
    text: str
    language: Lang
    municipality: str | None = None
    entry_id: str | None = None
    score: float = 0.0
    # With kind answer or clarify: the calibrated probability that the top entry is right.
    confidence: float = 0.0
    suggestions: tuple[Suggestion, ...] = ()
    # With kind clarify: the municipalities the resident can choose between.
    municipalities: tuple[str, ...] = ()
    situation: Situation | None = None
    help_category: str | None = None
    alert: Alert | None = None
    # Set when the resident's language is not `language`.
    asked_in: Lang | None = None
    # An answer the engine is not sure of: it comes with a "Not what you asked?" way to staff.
    unsure: bool = False

    @property
    def resident_language(self) -> Lang:
        """The language the resident is spoken to in."""
        return self.asked_in or self.language

    def to_json(self) -> dict[str, Any]:
        """The reply as the `ask --json` protocol prints it."""
        return {
            "kind": self.kind,
            "alert": self.alert,
            "entry_id": self.entry_id,
            "municipality": self.municipality,
            "language": self.language,
            "score": round(self.score, 1),
            "confidence": round(self.confidence, 3),
            "text": self.text,
            "suggestions": [{"id": s.entry_id, "title": s.title} for s in self.suggestions],
            "municipalities": list(self.municipalities),
            "unsure": self.unsure,
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
    # True when the resident chose no municipality and the answer's own decided it: the
    # answer says whose it is.
    municipality_inferred: bool = False


# The answers residents get most are formatted once (an answer is a few kilobytes at most).
@lru_cache(maxsize=256)
def _format_body(text: str) -> str:
    lines = []
    for line in escape(text.strip()).splitlines():
        stripped = line.strip()
        lines.append("• " + stripped[2:] if stripped.startswith("- ") else stripped)
    return "\n".join(lines)


class Responder:
    """Answers residents from one loaded knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        calibration: Calibration | None = None,
        help_verdict: Callable[[str], HelpMatch | None] = detect_help,
        segments: Sequence[FileSegment] = (),
        cache: CacheStore | None = None,
    ) -> None:
        """`help_verdict` is the help detector's; the help fit passes out-of-fold verdicts, to
        measure the whole answer function on writers the model was not fitted on. With
        `cache` and the loader's `segments` of `kb`, the index of each unchanged file is
        taken from the cache (the same index, made faster)."""
        self.kb = kb
        # When to answer, ask or abstain: fitted on data by `python -m bot kb calibrate`.
        self.calibration = calibration or shipped_calibration()
        self._help_verdict = help_verdict
        self._aliases = self._alias_table(kb)
        ignore = frozenset(self._aliases) | _GENERIC_WORDS
        entries = list(kb.entries.values())
        index = IndexCache(cache, entries, ignore, segments)
        try:
            self.matcher = Matcher(
                kb, ignore, index.parts(), index.lexicon, index.lengths(), index.ngrams
            )
        except ValueError:
            # A cached part or length that does not fit these entries: a cache miss, never
            # a reload that fails (or a bot that cannot start).
            logger.warning("knowledge cache index does not fit the entries; built from nothing")
            index = IndexCache(None, entries, ignore)
            self.matcher = Matcher(
                kb, ignore, index.parts(), index.lexicon, index.lengths(), index.ngrams
            )
        self.detector = LanguageDetector(index.vocabulary().vocabulary())
        index.prune()
        # The detectors' weights load once per process, here rather than at the first
        # resident's message.
        emergency_detector()
        help_detector()

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
        for word in analyse_query(text).match_words:
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
        self,
        text: str,
        municipality: str | None = None,
        language: str | None = None,
        check_emergency: bool = True,
        chosen_language: str | None = None,
    ) -> Reply:
        """Reply to one message from a resident.

        The reply's language follows `conversation_language`: `chosen_language` (the
        resident's explicit choice), else the message's own, else `language` (the last one
        used with them); with none of them, the municipality's. With `check_emergency` False
        (the resident said it is not an emergency), the message gets the reply it would get
        if the detector had found nothing.
        """
        ctx = self._context(text, municipality, language, chosen_language)
        text = ctx.text
        if not has_letters(text):
            return self._fallback(ctx, unreadable=True)
        verdict = self.assess(text) if check_emergency else None
        if verdict is not None and verdict.level is EmergencyLevel.HIGH:
            return self._emergency(ctx, verdict.situation)
        reply = self._reply(ctx, text)
        if verdict is not None and verdict.level is EmergencyLevel.MEDIUM:
            return self._with_warning(reply, ctx, verdict.situation)
        return reply

    @staticmethod
    def assess(text: str) -> EmergencyVerdict:
        """The emergency detector's verdict on a message (remembered for the next call)."""
        return detect_emergency(text)

    def _reply(self, ctx: _Context, text: str) -> Reply:
        """The reply when nobody is in danger: help, small talk or the knowledge base."""
        # A message made only of small talk ("god morgen") asks for nothing.
        smalltalk = detect_smalltalk(text)
        if smalltalk is not None:
            lang = ctx.wanted
            return Reply("smalltalk", say(f"smalltalk_{smalltalk}", lang), lang, self._id(ctx))
        help_match = self._help_verdict(text)
        if help_match is not None and help_match.strength is HelpStrength.STRONG:
            return self._help_request(ctx, help_match.category)
        reply = self._match(ctx)
        if reply.kind == "fallback" and help_match is not None:
            return self._help_request(ctx, help_match.category)
        return reply

    def _rank(self, ctx: _Context) -> Ranking:
        """The entries that may answer, best first (the municipality's own before national)."""
        query = content_words_of(analyse_query(ctx.text).match_words, self.matcher.ignore)
        if not query:
            return Ranking([], [])
        scope = ctx.municipality.id if ctx.municipality else None
        ranking = self.matcher.rank(query, scope, limit=6, compounds=ctx.wanted != "en")
        if not ranking.candidates:
            return ranking
        return replace(ranking, candidates=self._prefer_local(ranking.candidates))

    def language_of(self, text: str) -> Lang | None:
        """The language a message is written in, or None when it does not tell (one word, a
        number)."""
        query = analyse_query(text)
        return self.detector.detect(query.text[:MAX_MATCH_CHARS], query.match_words)

    def _context(
        self,
        text: str,
        municipality: str | None,
        language: str | None,
        chosen_language: str | None = None,
    ) -> _Context:
        """What the rules work out about a message before any of them runs."""
        if municipality is not None and municipality not in self.kb.municipalities:
            municipality = None
        text = analyse_query(text).text
        named = self.mentioned_municipality(text)
        chosen = self.kb.municipalities.get(named or municipality or "")
        told = conversation_language(chosen_language, self.language_of(text), language)
        wanted = told or (chosen.language if chosen else None) or "en"
        return _Context(text, wanted, chosen, language_guessed=told is None and chosen is None)

    def rank(self, text: str, municipality: str | None = None) -> Ranking:
        """How the engine ranks the entries for a question, before it decides anything (for
        evaluation and calibration)."""
        return self._rank(self._context(text, municipality, None))

    def first_candidate(self, text: str, municipality: str | None = None) -> str | None:
        """The entry the engine ranks first for a question, answered or not."""
        candidates = self.rank(text, municipality).candidates
        return candidates[0].entry.id if candidates else None

    def _match(self, ctx: _Context) -> Reply:
        ranking = self._rank(ctx)
        candidates = ranking.candidates
        signals = Signals(ranking, self.matcher)
        confidences = [self.calibration.confidence(signals, 0)] if candidates else []
        if confidences and confidences[0] >= self.calibration.thresholds.unsure:
            # The runner-ups matter only when the top one is plausible.
            confidences += [
                self.calibration.confidence(signals, i)
                for i in range(1, min(len(candidates), POSITIONS))
            ]
        decision, chosen = decide(confidences, self.calibration.thresholds)
        if decision != "answer" and candidates and candidates[0].example_fit >= EXAMPLE_AS_WRITTEN:
            # One of the entry's own example questions, as written: staff said it answers it.
            decision, chosen = "answer", [i for i in chosen if i != 0]
        if decision == "fallback":
            return self._fallback(ctx)
        top, confidence = candidates[0], confidences[0]
        if ctx.municipality is None:
            plausible = [
                c
                for i, c in enumerate(candidates)
                if self.calibration.as_top(signals, i) >= self.calibration.thresholds.unsure
            ]
            places = self._municipalities_that_answer(plausible)
            if len(places) > 1:
                return self._clarify_municipality(ctx, candidates, places, confidence)
            if len(places) == 1:
                ctx.municipality = self.kb.municipalities[places[0]]
                ctx.municipality_inferred = True
                if ctx.language_guessed:
                    ctx.wanted = ctx.municipality.language
        if decision == "clarify":
            return self._clarify_entries(ctx, [candidates[i] for i in chosen], confidence)
        unsure = decision == "unsure"
        others = [candidates[i].entry for i in chosen]
        return self._entry_reply(ctx, top.entry, top.score, others, unsure, confidence)

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

    def _municipalities_that_answer(self, plausible: list[Candidate]) -> list[str]:
        """The municipalities of the plausible candidates, in rank order."""
        places: list[str] = []
        for candidate in plausible:
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
        wanted = to_lang(language) or (chosen.language if chosen else "en")
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
        self,
        ctx: _Context,
        entry: Entry,
        score: float,
        others: Iterable[Entry],
        unsure: bool = False,
        confidence: float = 0.0,
    ) -> Reply:
        lang = self._entry_language(entry, ctx)
        parts = [f"<b>{escape(entry.title_in(lang, lang))}</b>"]
        if unsure:
            parts.append(f"<i>{say('answer_unsure', ctx.wanted)}</i>")
        if lang != ctx.wanted:
            language_name = say(f"lang_name_{lang}", ctx.wanted)
            parts.append(f"<i>{say('language_notice', ctx.wanted, language=language_name)}</i>")
        if ctx.municipality_inferred and ctx.municipality is not None and entry.scope != SHARED:
            name = ctx.municipality.display_name(ctx.wanted)
            parts.append(f"<i>{say('answer_for_municipality', ctx.wanted, name=name)}</i>")
        footer = []
        labels = []
        for source_id in entry.sources:
            source = self.kb.sources.get(source_id)
            if source is not None:
                published = source.published
                date_part = f", {format_date(published, ctx.wanted)}" if published else ""
                labels.append(source.publisher + date_part)
        # The source and date lines speak to the resident, like the notices above.
        spoken = ctx.wanted
        if labels:
            footer.append(f"<i>{say('source', spoken, source='; '.join(labels))}</i>")
        updated = format_date(entry.reviewed, spoken)
        footer.append(f"<i>{say('updated', spoken, date=updated)}</i>")
        head, tail = "\n".join(parts), "\n".join(footer)
        # Never cut here: a cut in the HTML can fall inside a tag or an entity. A reply longer
        # than one message is split by the Telegram layer, and kb check warns about it.
        text = f"{head}\n\n{_format_body(entry.answer[lang])}\n\n{tail}"
        related = [self.kb.entries[r] for r in entry.related if r in self.kb.entries]
        suggestions = self._suggestions([*related, *others], ctx.wanted, lang, exclude=entry.id)
        return Reply(
            kind="answer",
            text=text,
            language=lang,
            municipality=entry.scope if entry.scope != SHARED else self._id(ctx),
            entry_id=entry.id,
            score=score,
            confidence=confidence,
            suggestions=suggestions,
            asked_in=ctx.wanted if ctx.wanted != lang else None,
            unsure=unsure,
        )

    def _suggestions(
        self,
        entries: Iterable[Entry],
        lang: Lang,
        fallback: Lang = "en",
        exclude: str | None = None,
    ) -> tuple[Suggestion, ...]:
        seen: dict[str, Suggestion] = {}
        for entry in entries:
            if entry.id == exclude or entry.id in seen:
                continue
            seen[entry.id] = Suggestion(entry.id, entry.title_in(lang, fallback))
            if len(seen) == MAX_SUGGESTIONS:
                break
        return tuple(seen.values())

    def _clarify_entries(
        self, ctx: _Context, candidates: list[Candidate], confidence: float
    ) -> Reply:
        suggestions = self._suggestions((c.entry for c in candidates), ctx.wanted)
        if len(suggestions) == 1:
            # One plausible entry is not a choice: answer it, and offer a way to staff.
            top = candidates[0]
            return self._entry_reply(ctx, top.entry, top.score, [], True, confidence)
        lines = [say("clarify_entries", ctx.wanted), ""]
        lines += [f"{n}. {escape(s.title)}" for n, s in enumerate(suggestions, 1)]
        return Reply(
            kind="clarify",
            text="\n".join(lines),
            language=ctx.wanted,
            municipality=self._id(ctx),
            score=candidates[0].score,
            confidence=confidence,
            suggestions=suggestions,
        )

    def _clarify_municipality(
        self, ctx: _Context, candidates: list[Candidate], places: list[str], confidence: float
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
            confidence=confidence,
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

    def _countries(self, municipality: Municipality | None) -> list[Country]:
        if municipality is not None:
            return [municipality.country]
        return sorted(self.kb.emergency)

    def _ranked(self, country: Country, situation: str | None) -> list[EmergencyNumber]:
        """The country's numbers, the ones meant for this situation first, the most specific
        (listed for the fewest situations) first among those."""
        return sorted(
            self.kb.emergency[country],
            key=lambda n: (situation not in n.situations, len(n.situations)),
        )

    def emergency_text(self, countries: Iterable[Country], lang: Lang, situation: Situation) -> str:
        """The full emergency reply: urgent numbers first, the situation's own number first,
        then advice that fits the situation."""
        countries = [c for c in countries if c in self.kb.emergency]
        lines = [say("emergency_intro", lang)]
        if not countries:
            lines.append(f"• <b>{say('emergency_fallback_number', lang)}</b>")
        for country in countries:
            ranked = self._ranked(country, situation)
            if len(countries) > 1:
                lines += ["", f"<b>{say(f'emergency_country_{country}', lang)}</b>"]
            lines += [self._number_line(n, lang, bold=True) for n in ranked if n.urgent]
            others = [n for n in ranked if not n.urgent]
            if others:
                lines += ["", say("emergency_more", lang)]
                lines += [self._number_line(n, lang, bold=False) for n in others]
        lines += ["", say(f"emergency_advice_{situation}", lang), say("emergency_outro", lang)]
        return "\n".join(lines)

    def warning_line(self, municipality: str | None, lang: Lang, situation: str | None) -> str:
        """One line with the emergency numbers, for the top of a reply."""
        chosen = self.kb.municipalities.get(municipality or "")
        countries = [c for c in self._countries(chosen) if c in self.kb.emergency]
        if not countries:
            return say("emergency_line", lang, numbers="112")
        parts = []
        for country in countries:
            urgent = [n for n in self._ranked(country, situation) if n.urgent]
            if situation is not None and situation in urgent[0].situations:
                urgent = urgent[:1]
            joined = say("emergency_line_or", lang).join(n.number for n in urgent)
            parts.append(
                say(f"emergency_line_in_{country}", lang, numbers=joined)
                if len(countries) > 1
                else joined
            )
        return say("emergency_line", lang, numbers=", ".join(parts))

    def _with_warning(self, reply: Reply, ctx: _Context, situation: str | None) -> Reply:
        line = self.warning_line(reply.municipality or self._id(ctx), reply.language, situation)
        return replace(reply, text=f"{line}\n\n{reply.text}", alert="line")

    @staticmethod
    def _number_line(number: EmergencyNumber, lang: Lang, bold: bool) -> str:
        label = number.label.get(lang) or number.label.get("en") or ""
        digits = escape(number.number)
        shown = f"<b>{digits}</b>" if bold else digits
        return f"• {shown} – {escape(label)}"

    def _emergency(self, ctx: _Context, situation: str | None) -> Reply:
        chosen: Situation = situation if situation in _SITUATIONS else "medical"  # type: ignore[assignment]
        text = self.emergency_text(self._countries(ctx.municipality), ctx.wanted, chosen)
        return Reply(
            "emergency",
            text,
            ctx.wanted,
            self._id(ctx),
            score=100.0,
            situation=chosen,
            alert="full",
        )
