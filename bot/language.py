"""Which language a message is written in: nb (Bokmål, Nynorsk or dialect), sv or en.

Function words that tell the languages apart carry most of the evidence. Words are compared
after folding (å→a, ø→o, ...), so words that fold to the same form in two languages (når/när
→ nar) are deliberately absent. The letters æ/ø and ä/ö are strong evidence before folding.
A knowledge base can add its own vocabulary as weaker evidence (see `LanguageDetector`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from bot.text import clean, fold, words
from bot.types import Lang, to_lang

# Folded words that mark one language. Nynorsk and dialect forms count as nb.
_MARKERS: dict[Lang, str] = {
    "nb": """
        jeg eg meg deg seg ikke ikkje ikkj itj hva kva hvor kor kvar hvordan korleis koss assen
        hvem kven kem hvorfor kvifor korfor og er til fra vil skal noen nokon noe noko mye mykje
        mange hjelp hjelpe trenger treng onsker bare berre ogsa etter ble vaere vaert hun ho
        dere dykk hvis dersom fordi gjor gjore gjer slik sann fortsatt enda enna nei takk hei
        skole skolen barnehage barnehagen sykehjem sjukeheim legen lege syk regning regningen
        rekning apen apent stengt handle hente lufte kjore dette disse denne hvilken hvilke
        heime hjemme hjem dine sine ingenting tusen uten kanskje sporsmal veit kjenner nabo
        naboen naboer butikken matbutikken igjen fikk aldri litt gammel mellom innbygger
        innbyggere tjenester tjeneste kommune
    """,
    "sv": """
        jag mig dig sig inte ej vad hur vem varfor vilken vilka vilket och ar till fran vill ska
        skall nagon nagot nagra mycket manga hjalp hjalpa behover behov bara ocksa efter blev
        vara varit hon ni hennes eftersom gora gor sadan sadant fortfarande annu nej tack hej
        hejsan tjena skola skolan forskola forskolan rakning rakningen oppen oppet oppna stangd
        handla hamta kopa rasta detta denna dessa finns maste aven battre inga nagonstans hemma
        mina dina sina kanske fraga fragor kanner granne grannen grannar affaren mataffaren igen
        fick aldrig gammal mellan invanare tjanster tjanst sager hander handa vecka veckan kommun
    """,
    "en": """
        my you your yours he she it we they them our their is are was were been being am the an
        and or but not yes dont cant wont isnt arent doesnt didnt can could would should will
        shall may might must how what where when who whom why which whose does did done doing
        have has had having of with from about into onto this that these those there here please
        help need needs want wants get got getting anyone someone somebody anything something
        everyone any some thanks thank hello hi hey today tomorrow now still open closed pay
        paying payment bill bills invoice library school children kids people town city council
        municipality volunteer volunteering home work im ive its whats theres lot lots much many
        very really just also too again first ever never always little big old neighbour
        neighbor pharmacy shop shopping groceries food dog walk ride doctor hospital while during
        after before because if then than so such
    """,
}
_WEIGHTS: dict[Lang, dict[str, float]] = {
    lang: dict.fromkeys(text.split(), 1.0) for lang, text in _MARKERS.items()
}
# Words that are markers of two languages cancel out; drop them from both.
_counts = Counter(word for table in _WEIGHTS.values() for word in table)
for _table in _WEIGHTS.values():
    for _word in [w for w in _table if _counts[w] > 1]:
        del _table[_word]

_LETTER_EVIDENCE: dict[str, tuple[Lang, float]] = {
    "ø": ("nb", 1.5),
    "æ": ("nb", 1.5),
    "ä": ("sv", 1.5),
    "ö": ("sv", 1.5),
}
_MIN_EVIDENCE = 1.0
_MIN_LEAD = 0.75
_VOCABULARY_WEIGHT = 0.6


class LanguageDetector:
    """Scores a text's language from marker words, letters and an optional vocabulary.

    `vocabulary` maps a folded word to the language it marks, typically learnt from a
    knowledge base: a word used in one language's texts and never in another's.
    """

    def __init__(self, vocabulary: Mapping[str, Lang] | None = None) -> None:
        self._vocabulary = dict(vocabulary or {})

    def scores(self, text: str, folded: Sequence[str] | None = None) -> dict[Lang, float]:
        """Evidence per language; higher means more likely. `folded` are the text's folded
        words when the caller has them already."""
        cleaned = clean(text)[:2000]
        result: dict[Lang, float] = {"nb": 0.0, "sv": 0.0, "en": 0.0}
        lowered = cleaned.casefold()
        for letter, (lang, weight) in _LETTER_EVIDENCE.items():
            count = lowered.count(letter)
            if count:
                result[lang] += weight * min(count, 3)
        for word in words(fold(cleaned)) if folded is None else folded:
            for lang, table in _WEIGHTS.items():
                result[lang] += table.get(word, 0.0)
            learnt = self._vocabulary.get(word)
            if learnt is not None:
                result[learnt] += _VOCABULARY_WEIGHT
        return result

    def detect(self, text: str, folded: Sequence[str] | None = None) -> Lang | None:
        """The language of `text`, or None when it is too short or mixed to tell."""
        ranked = sorted(self.scores(text, folded).items(), key=lambda item: item[1], reverse=True)
        (best, top), (_, second) = ranked[0], ranked[1]
        if top < _MIN_EVIDENCE or top - second < _MIN_LEAD:
            return None
        return best


# Enough text to learn a language's own words (about fifty times the shipped knowledge base's);
# reading more would only slow down every reload of a national knowledge base.
LEARN_CHARS_PER_LANGUAGE = 2_000_000


class VocabularyCounter:
    """Counts what `learn_vocabulary` learns from, a text at a time or, for a run of texts
    counted before, a run at a time (a reload's unchanged files)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = LEARN_CHARS_PER_LANGUAGE if limit is None else limit
        # Per language, in how many texts each word occurs (Counter.update runs in C).
        self.per_language: dict[Lang, Counter[str]] = {}
        self.read: Counter[Lang] = Counter()

    def add(self, lang: Lang, text: str) -> None:
        """Count one text."""
        if self.read[lang] >= self.limit:
            return
        self.read[lang] += len(text)
        # Every word is counted, in C; the short ones and numbers are left out at the end
        # (counting them changes nothing for the others).
        self.per_language.setdefault(lang, Counter()).update(set(words(fold(text))))

    def add_run(self, lang: Lang, counts: Mapping[str, int], length: int, last: int) -> bool:
        """Count a run of texts in `lang` at once: `counts` of its words (in how many of its
        texts each occurs), `length` its characters and `last` its last text's. False, with
        nothing counted, when the limit falls inside the run: count its texts one by one."""
        before = self.read[lang]
        if before >= self.limit:
            return True
        if before + length - last >= self.limit:
            return False
        self.read[lang] = before + length
        self.per_language.setdefault(lang, Counter()).update(counts)
        return True

    def vocabulary(self, min_count: int = 2) -> dict[str, Lang]:
        """Words used at least `min_count` times in one language's texts and never in
        another's."""
        languages_of: Counter[str] = Counter()
        for found in self.per_language.values():
            languages_of.update(found.keys())
        return {
            word: lang
            for lang, found in self.per_language.items()
            for word, count in found.items()
            if count >= min_count
            and languages_of[word] == 1
            and len(word) > 2
            and not word.isdigit()
        }


def learn_vocabulary(texts: Iterable[tuple[Lang, str]], min_count: int = 2) -> dict[str, Lang]:
    """Words used at least `min_count` times in one language's texts and never in another's."""
    counter = VocabularyCounter()
    for lang, text in texts:
        counter.add(lang, text)
    return counter.vocabulary(min_count)


def conversation_language(
    chosen: str | None, said: str | None, last: str | None, app: str | None = None
) -> Lang | None:
    """The language to talk to a resident in, by the one rule every reply follows.

    Their explicit choice (/language) wins; else the language of what they said (the message,
    or the question a button belongs to), when it tells; else the last language used with
    them; else their Telegram app's. None when nothing tells. The municipality's language is
    deliberately not among them: an English speaker in Öckerö is answered in English.
    """
    for code in (chosen, said, last, app):
        lang = to_lang(code)
        if lang is not None:
            return lang
    return None
