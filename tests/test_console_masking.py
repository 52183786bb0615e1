"""Masking names, phone numbers, e-mail addresses and personal numbers in question texts."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from bot.console.masking import Masker, known_terms, mask
from bot.kb.loader import load_knowledge
from bot.types import Lang

KNOWLEDGE = Path(__file__).parent.parent / "knowledge"


@pytest.fixture(scope="module")
def masker() -> Masker:
    return Masker.for_knowledge(load_knowledge(KNOWLEDGE).kb)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ring meg på 912 34 567", "Ring meg på [phone]"),
        ("Ring meg på 91234567 i kveld", "Ring meg på [phone] i kveld"),
        ("nummeret mitt er 912-34-567", "nummeret mitt er [phone]"),
        ("ring +47 912 34 567", "ring [phone]"),
        ("ring 0047 91 23 45 67.", "ring [phone]."),
        ("tel. 22 33 44 55, takk", "tel. [phone], takk"),
        ("Ring mig på 070-123 45 67", "Ring mig på [phone]"),
        ("mitt nummer är 0701234567", "mitt nummer är [phone]"),
        ("ring 08-123 456 78 efter lunch", "ring [phone] efter lunch"),
        ("+46 (0)70 123 45 67 går bra", "[phone] går bra"),
        ("call me on +44 20 7946 0958", "call me on [phone]"),
        ("my number is +1 (555) 123-4567", "my number is [phone]"),
        ("ring 031.12.34.56", "ring [phone]"),
        ("ring 12.34.56.78", "ring [phone]"),
        ("ring 912 34 567 innen 20.03.2020 kl 14.00", "ring [phone] innen 20.03.2020 kl 14.00"),
    ],
)
def test_phone_numbers_are_masked(text: str, expected: str) -> None:
    assert mask(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hva skjer 2020-03-20?",
        "Stengt fra 20.03.2020 til 27.03.2020",
        "skoleåret 2019-2020",
        "åpent 10.00-12.00 og 13.00-15.00",
        "kan jeg få utsatt 1 500 000 kr i skatt",
        "bidraget er 2 500 000 kronor",
        "it costs $1 200 000 now",
        "Hvor mange døde i uke 12?",
        "Senast uppdaterad: 2020-07-27 09.00",
        "møtet 20.03.2020 kl. 10:00-12:00",
        "fra 2020/21 til 2021/22",
        "Er det 3 eller 4 plasser?",
    ],
)
def test_dates_years_times_and_amounts_are_no_phone_numbers(text: str) -> None:
    assert mask(text, "en") == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("skriv til kari.nordmann@example.no", "skriv til [e-mail]"),
        ("mejla anna+kris@post.example.se, tack", "mejla [e-mail], tack"),
        ("E-post: ola_n@sub.domain.com.", "E-post: [e-mail]."),
        ("send it to me at x@y.io", "send it to me at [e-mail]"),
        ("min bruker er @kari_nordmann", "min bruker er [name]"),
    ],
)
def test_email_addresses_and_user_names_are_masked(text: str, expected: str) -> None:
    assert mask(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fødselsnummeret mitt er 01019012345", "fødselsnummeret mitt er [ID number]"),
        ("fnr 010190 12345", "fnr [ID number]"),
        ("D-nummer 41019012345", "D-nummer [ID number]"),
        ("personnummer 800101-1234", "personnummer [ID number]"),
        ("mitt personnr är 19800101-1234", "mitt personnr är [ID number]"),
        ("pnr 198001011234", "pnr [ID number]"),
        ("född 121212+1212", "född [ID number]"),
        ("samordningsnummer 800161-1234", "samordningsnummer [ID number]"),
    ],
)
def test_personal_numbers_are_masked(text: str, expected: str) -> None:
    assert mask(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Norwegian
        ("Hei, jeg heter Kari Nordmann og trenger hjelp", "Hei, jeg heter [name] og trenger hjelp"),
        ("jeg heter kari og bor i Asker", "jeg heter [name] og bor i Asker"),
        ("Mitt navn er Ola. Kan dere ringe?", "Mitt navn er [name]. Kan dere ringe?"),
        ("eg heiter Per-Arne, kva gjer eg", "eg heiter [name], kva gjer eg"),
        ("Kan Ingrid hente medisinene mine?", "Kan [name] hente medisinene mine?"),
        ("Moren min Solveig Hansen trenger mat", "Moren min [name] trenger mat"),
        # Swedish
        ("Hej, jag heter Anna-Karin Svensson", "Hej, jag heter [name]"),
        ("Mitt namn är Björn och jag bor på Öckerö", "Mitt namn är [name] och jag bor på Öckerö"),
        ("Kan Sven handla åt mig?", "Kan [name] handla åt mig?"),
        ("jag är Lisa, behöver hjälp", "jag är [name], behöver hjälp"),
        # English
        ("Hi, my name is John Smith", "Hi, my name is [name]"),
        ("I am Maria and I need food", "I am [name] and I need food"),
        ("I'm Ahmed, can someone help", "I'm [name], can someone help"),
        ("Can Peter pick up my groceries on Monday?", "Can [name] pick up my groceries on Monday?"),
    ],
)
def test_names_are_masked_in_three_languages(masker: Masker, text: str, expected: str) -> None:
    assert masker.mask(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Kan jeg få utsatt fakturaen?",
        "Når åpner skolene igjen?",
        "Er det trygt på Solgården nå?",
        "Hvor kan jeg teste meg i Asker?",
        "Når går färjan till Öckerö?",
        "Hur når jag kommunen i Hallstahammar?",
        "Hjälper Röda Korset till i Katrineholm?",
        "I am worried about my mother",
        "I'm not sure what to do",
        "my name is not important, how do I get food?",
        "Does NAV pay if I lose my job in Norway?",
        "Kan jeg ringe Innbyggerservice?",
        "How bad is Covid in Sweden now? I live in Stockholm",
        # Places, shops and acronyms the lists know
        "När går sista färjan från Hönö till Lilla Varholmen?",
        "søpla i Vollen er ikke hentet på 3 uker",
        "kva reglar gjeld for isen på Semsvannet i år",
        "fiske i Duveholmssjön, är det tillåtet?",
        "har Coop eller Kiwi i Heggedal åpent i påsken?",
        "Har Apoteket i Kolbäck öppet?",
        "jeg vil ta HLR-kurs før påske",
        "trenger jeg vitamin D nå?",
        "I am from Syria and my english is not good",
        "det er Asker kommune som bestemmer",
        "Det är Coop som kör ut maten",
    ],
)
def test_questions_without_personal_data_stay_as_they_are(masker: Masker, text: str) -> None:
    assert masker.mask(text, "en") == text


def test_the_knowledge_base_vocabulary_knows_places_and_services() -> None:
    known = known_terms(load_knowledge(KNOWLEDGE).kb)
    assert {"asker", "solgarden", "innbyggerservice", "ockero"} <= known


def test_the_full_names_in_answers_and_the_keywords_do_not_make_a_name_known(
    masker: Masker,
) -> None:
    # The mayor is named in an answer ("Ordfører Lene Conradi") and "lene" is a keyword.
    known = known_terms(load_knowledge(KNOWLEDGE).kb)
    assert not {"lene", "catarina", "carin", "lina"} & known
    assert masker.mask("Kan Lina hente maten?", "en") == "Kan [name] hente maten?"
    assert masker.mask("Hva sa Lene Conradi i dag?", "en") == "Hva sa [name] i dag?"


def test_a_place_neither_list_knows_is_masked(masker: Masker) -> None:
    # Tjörn is a neighbouring island that no entry and no list names: hidden, as a name is.
    assert masker.mask("Når går färjan till Tjörn?", "en") == "Når går färjan till [name]?"


def test_a_word_the_knowledge_base_does_not_know_is_masked_only_with_the_vocabulary() -> None:
    text = "Er det trygt på Solgården nå?"
    assert mask(text, "en") == "Er det trygt på [name] nå?"  # no knowledge base given
    assert mask(text, "en", known=["solgarden"]) == text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", "jeg heter [navn], tlf [telefon], [e-post], fnr [fødselsnummer]"),
        ("sv", "jeg heter [namn], tlf [telefon], [e-post], fnr [personnummer]"),
        ("en", "jeg heter [name], tlf [phone], [e-mail], fnr [ID number]"),
    ],
)
def test_placeholders_are_in_the_staff_members_language(lang: Lang, expected: str) -> None:
    text = "jeg heter Kari, tlf 912 34 567, kari@example.no, fnr 01019012345"
    assert mask(text, lang) == expected


def test_spans_name_each_kind_in_order_without_overlap() -> None:
    text = "jeg heter Kari, kari@example.no, 912 34 567"
    spans = Masker().spans(text)
    assert [kind for _, _, kind in spans] == ["name", "email", "phone"]
    assert [text[start:end] for start, end, _ in spans] == [
        "Kari",
        "kari@example.no",
        "912 34 567",
    ]


def test_a_text_of_only_personal_data_is_only_placeholders() -> None:
    assert mask("kari@example.no 91234567", "en") == "[e-mail] [phone]"
    assert mask("", "en") == ""


def test_any_text_masks_without_error_and_masking_twice_changes_nothing(masker: Masker) -> None:
    rng = random.Random(12)
    pieces = [
        *"0123456789 +-()./@:,?!\n",
        "Kari ",
        "jeg heter ",
        "my name is ",
        "I am ",
        "ring ",
        "kari@example.no ",
        "Ærlig ",
        "NAV ",
        "🙂",
        "\u200b",
    ]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 60)))
        once = masker.mask(text, "nb")
        assert masker.mask(once, "nb") == once, text


def test_an_emptied_masker_is_built_as_any_other(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `__init__` sets up is there on the erasure's path too, and the known words are
    shared, not built again."""
    built = Masker.__init__

    def init(self: Masker, *args: Any, **kwargs: Any) -> None:
        built(self, *args, **kwargs)
        self.made_by_init = True  # type: ignore[attr-defined]

    masker = Masker(["Vollen"])
    masker.mask("Ola Nordmann lurer på ferja", "nb")
    monkeypatch.setattr(Masker, "__init__", init)
    fresh = masker.emptied()
    assert getattr(fresh, "made_by_init", False)
    assert fresh.known is masker.known and fresh._masked == {}
