"""Intent detection: requests for practical help and small talk (emergencies: test_emergency).

Every phrase is its own test, in Bokmål (nb), Nynorsk and dialect (nn), Swedish (sv) and
English (en), with typos, missing diacritics, capitals, extra words and emoji.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

import bot.answering.intents as intents
from bot.answering.emergency.model import DetectorDataError
from bot.answering.intents import (
    HelpMatch,
    HelpStrength,
    detect_help_request,
    detect_smalltalk,
)

Case = tuple[str, str]  # (language, text)


def _params(cases: list[Case]) -> list[pytest.ParameterSet]:
    return [pytest.param(text, id=f"{lang}:{text}") for lang, text in cases]


def test_help_match_and_strength() -> None:
    match = detect_help_request("kan noen hente medisinene mine?")
    assert match == HelpMatch("pharmacy", HelpStrength.STRONG)
    assert {s.name for s in HelpStrength} == {"STRONG", "GENERIC"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.category = "dog"  # type: ignore[misc]


def test_every_word_group_is_used() -> None:
    compiler = intents._COMPILER
    assert set(compiler.groups) - compiler.used_groups == set()


HELP_PATTERNS = intents.DATA_DIR / "help_patterns.yaml"
SMALLTALK = intents.DATA_DIR / "smalltalk.yaml"


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        ("help_patterns.yaml", '- "@drive @me /2"', '- "@drive @nobody /2"', "no group @nobody"),
        ("help_patterns.yaml", "\nsignals:", "\nsignalz:", "four sections"),
        ("help_patterns.yaml", "  dog:\n    - ", "  cat:\n    - ", "tasks must be exactly"),
        ("help_patterns.yaml", "  generic:", "  generik:", "signals missing: generic"),
        ("help_patterns.yaml", '- "@drive @me /2"', '- "@drive @me /2', "line"),
        ("smalltalk.yaml", "  bye: >-", "  farewell: >-", "no kind of small talk 'farewell'"),
        ("smalltalk.yaml", '  greeting: ["👋"]', '  greeting: "👋"', "expected a list"),
    ],
)
def test_a_broken_table_is_reported_with_its_file_and_line(
    tmp_path: Path, file: str, old: str, new: str, problem: str
) -> None:
    source = intents.DATA_DIR / file
    text = source.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / file
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    load = intents.load_help_patterns if file == "help_patterns.yaml" else intents.load_smalltalk
    with pytest.raises(DetectorDataError, match=problem) as raised:
        load(broken)
    assert file in str(raised.value)


def test_a_bad_pattern_names_its_line(tmp_path: Path) -> None:
    text = HELP_PATTERNS.read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"@drive @me /2"' in row)
    broken = tmp_path / "help_patterns.yaml"
    broken.write_text(text.replace('"@drive @me /2"', '"@drive @nobody /2"', 1), encoding="utf-8")
    with pytest.raises(DetectorDataError, match=f"line {line}: "):
        intents.load_help_patterns(broken)


# =============================================================================================
# Requests for practical help
# =============================================================================================

HELP: list[tuple[str, str, str]] = [
    ("nb", "jeg er syk og trenger noen som kan handle for meg", "groceries"),
    ("nb", "kan noen hente medisinene mine på apoteket?", "pharmacy"),
    ("nb", "trenger skyss til legen", "transport"),
    ("nb", "jeg sitter i karantene og har ikke mat", "groceries"),
    ("nb", "trenger hjelp til å gå tur med hunden min", "dog"),
    ("nb", "jeg trenger skyss til sykehuset", "transport"),
    ("nb", "kan noen kjøre meg til vaksinasjon på torsdag?", "transport"),
    ("nb", "kan noen lufte hunden min?", "dog"),
    ("nb", "TRENGER HJELP TIL Å HANDLE", "groceries"),
    ("nb", "kan noen handel for meg", "groceries"),
    ("nb", "treger noen som kan kjøpe mat", "groceries"),
    ("nb", "jeg er i karantene, kan jeg få hjelp med innkjøp?", "groceries"),
    ("nb", "moren min trenger hjelp til å hente resepten sin", "pharmacy"),
    ("nb", "kan noen hjelpe meg å bære ut søpla?", "other"),
    ("nb", "trenger noen som kan hente posten min", "other"),
    ("nb", "har ikke mat i huset og kan ikke gå ut", "groceries"),
    ("nn", "eg treng hjelp til å handle", "groceries"),
    ("nn", "kan nokon hente medisinane mine?", "pharmacy"),
    ("nn", "treng skyss til legen", "transport"),
    ("nn", "kan nokon gå tur med hunden min?", "dog"),
    ("nn", "eg er sjuk og treng nokon som kan handle for meg", "groceries"),
    ("sv", "behöver någon som handlar åt mig, jag är i karantän", "groceries"),
    ("sv", "jag kan inte gå ut, vem kan köpa mat åt mig?", "groceries"),
    ("sv", "jag behöver hjälp att handla mat", "groceries"),
    ("sv", "kan någon hämta ut min medicin", "pharmacy"),
    ("sv", "kan någon rasta min hund?", "dog"),
    ("sv", "behöver skjuts till vårdcentralen", "transport"),
    ("sv", "kan någon köra mig till sjukhuset", "transport"),
    ("sv", "min mamma behöver hjälp att handla", "groceries"),
    ("sv", "kan nån hämta mina mediciner på apoteket", "pharmacy"),
    ("sv", "behover hjalp att handla, jag ar sjuk", "groceries"),
    ("en", "need help getting groceries, I'm isolating", "groceries"),
    ("en", "can someone walk my dog", "dog"),
    ("en", "I can't leave the house, could someone buy food for me", "groceries"),
    ("en", "need someone to walk my dog while I'm sick", "dog"),
    ("en", "could a volunteer drive me to the doctor", "transport"),
    ("en", "could someone pick up my prescription from the pharmacy", "pharmacy"),
    ("en", "I need a ride to my vaccination appointment", "transport"),
    ("en", "we have no food left and are in quarantine", "groceries"),
    ("en", "my elderly mother needs help with her shopping", "groceries"),
    ("en", "can someone help me shovel snow", "other"),
    ("en", "I need someone to get my medicine", "pharmacy"),
    ("en", "can somone do my grocery shopping", "groceries"),
    # more ways of asking
    ("nb", "jeg er 85 år og kan ikke gå i butikken, kan noen handle for meg?", "groceries"),
    ("nb", "trenger noen til å handle mat, jeg er i risikogruppen", "groceries"),
    ("nb", "har ikke mat igjen i kjøleskapet og er i isolasjon", "groceries"),
    ("nb", "kan en frivillig kjøpe melk og brød til meg?", "groceries"),
    ("nb", "er det noen som kan handle for min mor? hun bor alene", "groceries"),
    ("en", "we are all sick with covid and need someone to buy groceries", "groceries"),
    ("en", "I'm 80 and scared to go to the shop, can anyone help me with shopping?", "groceries"),
    ("sv", "kan någon handla åt min pappa, han är i riskgruppen", "groceries"),
    ("sv", "jag behöver någon som kan handla mat åt mig", "groceries"),
    ("sv", "vi har slut på mat och är i karantän", "groceries"),
    ("nn", "eg treng nokon som kan handle for meg", "groceries"),
    ("nn", "kan nokon handle mat til meg?", "groceries"),
    ("nb", "trenger noen som kan hente resepten min på apoteket", "pharmacy"),
    ("nb", "kan noen hente insulinet mitt?", "pharmacy"),
    ("en", "I need someone to collect my medication from the chemist", "pharmacy"),
    ("en", "my dad needs his prescription picked up, can a volunteer help?", "pharmacy"),
    ("sv", "kan någon hämta ut mina recept på apoteket åt mig", "pharmacy"),
    ("nn", "treng hjelp til å hente medisin på apoteket", "pharmacy"),
    ("nb", "trenger transport til vaksinasjonen på fredag", "transport"),
    ("nb", "kan noen kjøre mamma til sykehuset?", "transport"),
    ("nb", "jeg har ikke bil, hvem kan kjøre meg til testing?", "transport"),
    ("en", "I need a lift to the hospital for my appointment", "transport"),
    ("en", "can somebody drive my mum to her dialysis?", "transport"),
    ("sv", "behöver skjuts till vaccinationen", "transport"),
    ("sv", "kan någon skjutsa mig till läkaren", "transport"),
    ("nn", "eg treng skyss til tannlegen", "transport"),
    ("nb", "kan noen lufte bikkja mi? jeg er syk", "dog"),
    ("nb", "trenger hundelufter mens jeg er i karantene", "dog"),
    ("en", "who can walk my dog, I'm in isolation", "dog"),
    ("en", "need help walking the dog", "dog"),
    ("sv", "behöver någon som kan rasta hunden", "dog"),
    ("sv", "kan någon gå ut med min hund", "dog"),
    ("nb", "kan noen hjelpe meg med å måke snø?", "other"),
    ("en", "can someone help me carry my shopping bags upstairs", "groceries"),
    ("nb", "trenger noen som kan hjelpe meg med å bytte lyspære", "other"),
    ("sv", "kan någon hjälpa mig att bära ut soporna", "other"),
]


@pytest.mark.parametrize(
    ("text", "category"),
    [pytest.param(text, cat, id=f"{lang}:{text}") for lang, text, cat in HELP],
)
def test_practical_help_request_is_strong(text: str, category: str) -> None:
    assert detect_help_request(text) == HelpMatch(category, HelpStrength.STRONG)  # type: ignore[arg-type]


GENERIC_HELP: list[Case] = [
    ("nb", "jeg trenger hjelp"),
    ("nb", "kan du hjelpe meg?"),
    ("nb", "hjelp!"),
    ("nb", "trenger hjelp"),
    ("nn", "eg treng hjelp"),
    ("nn", "kan du hjelpe meg?"),
    ("sv", "behöver hjälp"),
    ("sv", "jag behöver hjälp"),
    ("sv", "kan du hjälpa mig"),
    ("en", "I need help"),
    ("en", "help me please"),
    ("en", "can someone help me?"),
    ("en", "i need some help"),
    ("nb", "hei, jeg trenger hjelp"),
    ("nb", "HJELP"),
    ("nb", "kan dere hjelpe meg"),
    ("en", "I really need help"),
    ("sv", "behöver hjälp snälla"),
    ("nb", "kan noen hjelpe meg?"),
]


@pytest.mark.parametrize("text", _params(GENERIC_HELP))
def test_help_without_a_task_is_generic(text: str) -> None:
    match = detect_help_request(text)
    assert match is not None
    assert match.strength is HelpStrength.GENERIC


NOT_HELP: list[Case] = [
    # offers to help
    ("en", "I want to volunteer"),
    ("nb", "hvordan kan jeg hjelpe andre?"),
    ("sv", "vill hjälpa till, hur blir jag frivillig?"),
    ("en", "I'd like to help people with their shopping"),
    ("nb", "kan jeg melde meg som frivillig"),
    ("nb", "jeg vil gjerne hjelpe eldre med innkjøp"),
    ("nb", "kan jeg hjelpe naboen med handling?"),
    ("en", "I can help walk dogs for people in quarantine"),
    ("en", "do you need volunteers for grocery shopping?"),
    ("nb", "trengs det frivillige til å handle for eldre?"),
    ("nn", "korleis kan eg hjelpe til?"),
    ("sv", "hur kan jag hjälpa till?"),
    ("sv", "är det öppet på apoteket?"),
    ("sv", "var kan jag köpa munskydd?"),
    ("sv", "behöver jag recept på alvedon?"),
    ("sv", "kan jag gå ut med hunden om jag är sjuk?"),
    ("sv", "tack för hjälpen!"),
    ("nn", "kan eg melde meg som frivillig?"),
    ("nn", "er apoteket ope i dag?"),
    ("nn", "kor kan eg kjøpe munnbind?"),
    ("nn", "treng eg resept på paracet?"),
    ("nn", "takk for hjelpa!"),
    ("en", "how can I help out as a volunteer"),
    # information, not a request for a volunteer
    ("en", "is the pharmacy open?"),
    ("en", "where can I buy groceries?"),
    ("nb", "er apoteket åpent i påsken?"),
    ("sv", "var kan jag handla mat på söndag?"),
    ("nb", "hvordan bestiller jeg mat på nett?"),
    ("nb", "kan jeg ta med hunden på biblioteket?"),
    ("en", "can I bring my dog to the library"),
    ("en", "is public transport running?"),
    ("nb", "hvor mye koster taxi til sykehuset?"),
    ("nb", "er det trygt for meg å gå på butikken?"),
    ("en", "is it safe for me to go to the pharmacy"),
    ("en", "what time does the supermarket close"),
    ("sv", "är apoteket öppet?"),
    ("nb", "når stenger butikken i dag"),
    # municipal services and other topics
    ("nb", "hvem kan jeg ringe om fakturaen?"),
    ("nb", "tusen takk for hjelpen"),
    ("en", "thanks for the help"),
    ("nb", "når åpner biblioteket?"),
    ("sv", "är fritidsgården öppen?"),
    ("en", "has crime gone up during the pandemic"),
    ("nb", "hei"),
    ("", ""),
    # more offers, questions and permission questions
    ("nb", "jeg vil gjerne være frivillig og handle for andre"),
    ("nb", "hvordan blir jeg frivillig?"),
    ("nb", "er det behov for frivillige?"),
    ("en", "I want to help my elderly neighbours, how?"),
    ("en", "can I volunteer to walk dogs?"),
    ("sv", "vill bli volontär och handla åt äldre"),
    ("sv", "jag vill hjälpa äldre med att handla"),
    ("nb", "hvor kan jeg kjøpe munnbind?"),
    ("nb", "har apoteket paracet?"),
    ("nb", "når stenger apoteket?"),
    ("nb", "hvilke butikker har åpent i påsken?"),
    ("nb", "er det gratis buss til vaksinasjon?"),
    ("nb", "hvordan kommer jeg meg til teststasjonen?"),
    ("nb", "kan jeg ta med hunden på jobb?"),
    ("nb", "må hunden ha munnbind lol"),
    ("en", "what are the opening hours of the pharmacy"),
    ("en", "how do I get to the vaccination centre"),
    ("en", "does the bus go to the hospital"),
    ("en", "where do I pick up my test results"),
    ("nb", "kan vi handle på butikken hvis vi er i karantene?"),
    ("sv", "får man handla om man har symptom?"),
    ("en", "can I go grocery shopping if I have symptoms?"),
    ("nb", "hvor mye koster en taxi til Oslo"),
    ("nb", "er det lov å gå tur med hunden i karantene?"),
    ("en", "can I walk my dog while in quarantine?"),
    ("nb", "kan jeg kjøre bil etter vaksinen?"),
    ("nb", "trenger jeg resept på paracet?"),
    ("en", "do I need a prescription for the vaccine"),
    ("nb", "tusen takk for hjelpen!"),
    ("nb", "takk for hjelpen med handlingen"),
    ("nb", "hjelper det å bruke munnbind?"),
    ("en", "does a mask help?"),
    ("nb", "jeg trenger informasjon om vaksinen"),
    ("en", "I need to know when the library opens"),
    ("nb", "trenger jeg å betale fakturaen nå?"),
    ("nb", "jeg trenger en ny søppeldunk"),
]


@pytest.mark.parametrize("text", _params(NOT_HELP))
def test_offers_and_questions_are_not_help_requests(text: str) -> None:
    assert detect_help_request(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "need help paying my invoice",
        "jeg trenger hjelp med fakturaen",
        "behöver hjälp med fakturan",
        "I need help logging in to the app",
        "trenger hjelp til å søke om utsettelse",
    ],
)
def test_help_with_municipal_services_is_at_most_generic(text: str) -> None:
    match = detect_help_request(text)
    assert match is None or match.strength is HelpStrength.GENERIC


# =============================================================================================
# Small talk
# =============================================================================================

SMALLTALK: list[tuple[str, str, str]] = [
    ("nb", "hei", "greeting"),
    ("nb", "Hei!", "greeting"),
    ("nb", "god morgen", "greeting"),
    ("nb", "GOD MORGEN!", "greeting"),
    ("nb", "hei hei 👋", "greeting"),
    ("nb", "heii", "greeting"),
    ("nb", "heisann", "greeting"),
    ("nb", "tusen takk!", "thanks"),
    ("nb", "takk for hjelpen 🙏", "thanks"),
    ("nb", "tusen takk for hjelpen", "thanks"),
    ("nb", "takk skal du ha", "thanks"),
    ("nb", "takkkk", "thanks"),
    ("nb", "ok takk", "thanks"),
    ("nb", "ha det bra", "bye"),
    ("nb", "takk, ha det", "bye"),
    ("nb", "hvem er du?", "who_are_you"),
    ("nb", "hei, hvem er du?", "who_are_you"),
    ("nb", "er du en robot?", "who_are_you"),
    ("nb", "hva kan du hjelpe meg med?", "who_are_you"),
    ("nb", "hvordan går det?", "how_are_you"),
    ("nb", "hvordn går det", "how_are_you"),
    ("nb", "greit", "ack"),
    ("nb", "ok", "ack"),
    ("nn", "kven er du", "who_are_you"),
    ("nn", "korleis går det?", "how_are_you"),
    ("nn", "takk for svaret", "thanks"),
    ("nn", "ha det godt", "bye"),
    ("nn", "takk for hjelpa", "thanks"),
    ("nn", "korleis har du det?", "how_are_you"),
    ("nn", "kva er du?", "who_are_you"),
    ("nn", "heisan", "greeting"),
    ("sv", "hejsan!", "greeting"),
    ("sv", "hej hej", "greeting"),
    ("sv", "god morgon", "greeting"),
    ("sv", "tack så mycket", "thanks"),
    ("sv", "tack sa mycket", "thanks"),
    ("sv", "tusen tack!", "thanks"),
    ("sv", "hej då", "bye"),
    ("sv", "hejdå", "bye"),
    ("sv", "vem är du?", "who_are_you"),
    ("sv", "vad kan du hjälpa till med?", "who_are_you"),
    ("sv", "hur mår du?", "how_are_you"),
    ("sv", "okej", "ack"),
    ("en", "hello", "greeting"),
    ("en", "hi there", "greeting"),
    ("en", "hello bot", "greeting"),
    ("en", "good evening", "greeting"),
    ("en", "thanks a lot", "thanks"),
    ("en", "thank you so much", "thanks"),
    ("en", "thx", "thanks"),
    ("en", "bye", "bye"),
    ("en", "good night", "bye"),
    ("en", "who are you?", "who_are_you"),
    ("en", "what can you do", "who_are_you"),
    ("en", "are you a bot?", "who_are_you"),
    ("en", "how are you?", "how_are_you"),
    ("en", "okay", "ack"),
    ("en", "got it", "ack"),
    ("en", "👍", "ack"),
    ("en", "👍🏽", "ack"),
    ("en", "🙏", "thanks"),
    ("en", "ok!!", "ack"),
    # more
    ("nb", "Hei 🙂", "greeting"),
    ("nb", "hallo hallo", "greeting"),
    ("nb", "heisann!", "greeting"),
    ("nb", "god kveld", "greeting"),
    ("sv", "hejsan svejsan", "greeting"),
    ("sv", "tjena", "greeting"),
    ("en", "hey!", "greeting"),
    ("en", "hiya", "greeting"),
    ("en", "good morning!", "greeting"),
    ("nb", "hei bot", "greeting"),
    ("nb", "morn", "greeting"),
    ("nb", "👋", "greeting"),
    ("nb", "takk!", "thanks"),
    ("nb", "tusen hjertelig takk 🙏", "thanks"),
    ("nb", "mange takk for svar", "thanks"),
    ("nb", "takk for infoen", "thanks"),
    ("sv", "tack", "thanks"),
    ("sv", "tackar!", "thanks"),
    ("sv", "stort tack för hjälpen", "thanks"),
    ("en", "thanks!!", "thanks"),
    ("en", "thank you", "thanks"),
    ("en", "ty", "thanks"),
    ("en", "cheers", "thanks"),
    ("nb", "tusen takk, det var til stor hjelp", "thanks"),
    ("en", "thanks, that helped", "thanks"),
    ("nb", "takk så mye", "thanks"),
    ("nb", "ha det", "bye"),
    ("sv", "hade bra", "bye"),
    ("nb", "snakkes!", "bye"),
    ("nb", "vi ses", "bye"),
    ("en", "bye bye", "bye"),
    ("en", "see you", "bye"),
    ("nb", "ha en fin dag", "bye"),
    ("nb", "god natt", "bye"),
    ("nb", "takk og ha det bra", "bye"),
    ("nb", "hvordan har du det?", "how_are_you"),
    ("nn", "koss går det?", "how_are_you"),
    ("sv", "hur är läget?", "how_are_you"),
    ("sv", "läget?", "how_are_you"),
    ("sv", "hur mår du idag?", "how_are_you"),
    ("en", "how's it going?", "how_are_you"),
    ("en", "what's up", "how_are_you"),
    ("nb", "hei, hvordan går det?", "how_are_you"),
    ("nb", "hva er du?", "who_are_you"),
    ("nb", "er du et menneske?", "who_are_you"),
    ("nb", "snakker jeg med en robot?", "who_are_you"),
    ("sv", "är du en robot?", "who_are_you"),
    ("sv", "vad är du?", "who_are_you"),
    ("en", "are you human?", "who_are_you"),
    ("en", "what are you?", "who_are_you"),
    ("en", "how does this work?", "who_are_you"),
    ("nb", "hva kan du gjøre?", "who_are_you"),
    ("nn", "kva kan du hjelpe med?", "who_are_you"),
    ("nb", "ok 👍", "ack"),
    ("nb", "okei", "ack"),
    ("nb", "flott", "ack"),
    ("nb", "supert!", "ack"),
    ("nb", "perfekt", "ack"),
    ("nb", "skjønner", "ack"),
    ("nb", "jeg forstår", "ack"),
    ("nb", "aha", "ack"),
    ("en", "cool", "ack"),
    ("en", "great", "ack"),
    ("en", "alright", "ack"),
    ("nb", "fint", "ack"),
    ("nb", "toppen", "ack"),
    ("nb", "jepp", "ack"),
    ("nb", "ja", "ack"),
    ("nb", "nei", "ack"),
    ("en", "yes", "ack"),
    ("nb", "👌", "ack"),
    ("nb", "ok.", "ack"),
    ("en", "okay then", "ack"),
]


@pytest.mark.parametrize(
    ("text", "kind"),
    [pytest.param(text, kind, id=f"{lang}:{text}") for lang, text, kind in SMALLTALK],
)
def test_smalltalk_is_recognised(text: str, kind: str) -> None:
    assert detect_smalltalk(text) == kind


NOT_SMALLTALK: list[Case] = [
    ("nb", "hei, kan jeg utsette fakturaen?"),
    ("nb", "takk, men når åpner skolen?"),
    ("nb", "hvem er ordfører"),
    ("nb", "hva kan du om fakturaer?"),
    ("nb", "god morgen, han puster ikke"),
    ("nb", "ok men hva med bussen"),
    ("nb", "jeg trenger hjelp"),
    ("nb", "hjelp"),
    ("nb", "hei jeg lurer på om biblioteket er åpent"),
    ("nn", "hei, kva tid opnar biblioteket?"),
    ("nn", "takk, men kva med fakturaen?"),
    ("nn", "kven er ordføraren?"),
    ("sv", "hej, när öppnar biblioteket?"),
    ("sv", "hej, hur blir jag volontär?"),
    ("sv", "tack, men är fritidsgården öppen?"),
    ("en", "hello, is the library open?"),
    ("en", "who is the mayor"),
    ("en", "what can you tell me about the library"),
    ("en", "thanks but I still need help with my invoice"),
    ("en", "ok so when does the pharmacy open"),
    ("", ""),
    ("", "???"),
    ("", "😡"),
    ("", "123"),
    # small-talk words in real questions
    ("nb", "hei, er biblioteket åpent?"),
    ("nb", "takk, hvor kan jeg teste meg?"),
    ("nb", "hvordan går det med smitten i kommunen?"),
    ("sv", "hur går det med vaccinationen?"),
    ("en", "how is the infection situation going?"),
    ("en", "who are you going to send?"),
    ("nb", "hva er du åpen?"),
    ("nb", "ok når åpner skolen"),
    ("nb", "ja jeg vil være frivillig"),
    ("nb", "nei jeg har ikke fått fakturaen"),
    ("nb", "ok jeg trenger hjelp"),
    ("nb", "god morgen, når kommer søppelbilen?"),
    ("en", "thanks, but what about the invoice?"),
    ("en", "hello? is anyone there? my dad is not breathing"),
    ("nb", "hvem er ordføreren?"),
    ("nb", "hvem er kommunelegen"),
    ("sv", "vem är kommunchef"),
    ("en", "who is the mayor?"),
    ("en", "what are the rules?"),
    ("en", "what can you tell me about testing"),
    ("nb", "hva kan du fortelle om vaksinen?"),
    ("nb", "hvordan fungerer testing?"),
    ("en", "how does testing work?"),
    ("en", "what is this rule about"),
    ("nb", "hva er dette for en faktura?"),
    ("nb", "bra jobbet kommunen, men når åpner biblioteket?"),
    ("en", "good, now tell me the opening hours"),
]


@pytest.mark.parametrize("text", _params(NOT_SMALLTALK))
def test_messages_with_a_real_question_are_not_smalltalk(text: str) -> None:
    assert detect_smalltalk(text) is None


# =============================================================================================
# Any string at all
# =============================================================================================

BAD_INPUTS = [
    "",
    " ",
    "\x00",
    "\x00\x01\x02\x1b[31m",
    "🙂🙂🙂",
    "🔥🔥🔥",
    "\u202e\u202dhei\u202c",
    "\u200b\u200b\u200b",
    "\u200bpuster\u200b ikke",
    "\ud800",
    "a\ud800b\udfff",
    "مرحبا، كيف حالك؟",
    "שלום עולם",
    "𝕳𝖊𝖑𝖑𝖔",
    "\uffff\U0010ffff",
    "\ufeff",
    "Z̸̡̢̛̗̘̙̜̝̞̟̠a̸l̸g̸o̸",
    "e\u0301\u0301\u0301",
    "ǅ İ ß ﬁ",
    "\n\t\r\n",
    "a" * 10_000,
    "puster ikke " * 1_000,
    "x" * 100_000,
    "🔥" * 5_000,
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_any_string_is_handled(text: str) -> None:
    help_match = detect_help_request(text)
    assert help_match is None or isinstance(help_match, HelpMatch)
    assert detect_smalltalk(text) in {None, *intents._SMALLTALK}


def test_random_strings_never_raise() -> None:
    rng = random.Random(20240401)
    alphabet = "abcdefghijklmnopqrstuvwxyzæøåäö ÆØÅÄÖ.,!?'-\n\t\u200b\u202e\x00🙂🔥"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(60)))
        detect_help_request(text)
        detect_smalltalk(text)
        text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(30)))
        detect_help_request(text)
        assert detect_smalltalk(text) in {None, *intents._SMALLTALK}
