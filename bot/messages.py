"""Everything the bot says that does not come from the knowledge base, in nb, sv and en.

Templates are Telegram HTML. Values passed to `say` are escaped, so knowledge-base text can
never break the markup.
"""

from __future__ import annotations

import html
from datetime import date

from bot.kb.schema import Lang

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

MESSAGES: dict[str, dict[Lang, str]] = {
    "updated": {
        "nb": "Oppdatert {date}",
        "sv": "Uppdaterad {date}",
        "en": "Updated {date}",
    },
    "source": {
        "nb": "Kilde: {source}",
        "sv": "Källa: {source}",
        "en": "Source: {source}",
    },
    "language_notice": {
        "nb": "Dette svaret finnes ikke på norsk, så du får det på {language}.",
        "sv": "Det här svaret finns inte på svenska, så du får det på {language}.",
        "en": "This answer is not available in English, so here it is in {language}.",
    },
    "lang_name_nb": {"nb": "norsk", "sv": "norska", "en": "Norwegian"},
    "lang_name_sv": {"nb": "svensk", "sv": "svenska", "en": "Swedish"},
    "lang_name_en": {"nb": "engelsk", "sv": "engelska", "en": "English"},
    "emergency_intro": {
        "nb": "🚨 <b>Dette høres ut som en nødsituasjon. Ring nå:</b>",
        "sv": "🚨 <b>Det här låter som en nödsituation. Ring nu:</b>",
        "en": "🚨 <b>This sounds like an emergency. Call now:</b>",
    },
    "emergency_more": {
        "nb": "Andre numre:",
        "sv": "Andra nummer:",
        "en": "Other numbers:",
    },
    "emergency_country_NO": {"nb": "I Norge:", "sv": "I Norge:", "en": "In Norway:"},
    "emergency_country_SE": {"nb": "I Sverige:", "sv": "I Sverige:", "en": "In Sweden:"},
    "emergency_outro": {
        "nb": "Denne boten kan ikke sende hjelp. Ring nummeret, og bli hos personen til hjelpen "
        "kommer hvis du kan.",
        "sv": "Den här boten kan inte skicka hjälp. Ring numret, och stanna hos personen tills "
        "hjälpen kommer om du kan.",
        "en": "This bot cannot send help. Call the number, and stay with the person until help "
        "arrives if you can.",
    },
    "emergency_fallback_number": {
        "nb": "112 – nødnummer",
        "sv": "112 – nödnummer",
        "en": "112 – emergency number",
    },
    "fallback": {
        "nb": "Beklager, det vet jeg ikke sikkert, og jeg vil ikke gjette.",
        "sv": "Tyvärr vet jag inte säkert, och jag vill inte gissa.",
        "en": "Sorry, I don't know that for sure, and I don't want to guess.",
    },
    "fallback_no_words": {
        "nb": "Jeg forstod ikke meldingen. Skriv spørsmålet ditt med noen få ord.",
        "sv": "Jag förstod inte meddelandet. Skriv din fråga med några få ord.",
        "en": "I didn't understand that message. Please write your question in a few words.",
    },
    "contact_phone": {
        "nb": "Kontakt {name} på telefon {phone}.",
        "sv": "Kontakta {name} på telefon {phone}.",
        "en": "Contact {name} by phone on {phone}.",
    },
    "contact_website": {
        "nb": "Se {website} eller kontakt {name}.",
        "sv": "Se {website} eller kontakta {name}.",
        "en": "See {website} or contact {name}.",
    },
    "contact_plain": {
        "nb": "Kontakt {name} direkte.",
        "sv": "Kontakta {name} direkt.",
        "en": "Please contact {name} directly.",
    },
    "contact_none": {
        "nb": "Velg kommunen din, så kan jeg gi deg riktig kontakt.",
        "sv": "Välj din kommun, så kan jag ge dig rätt kontakt.",
        "en": "Choose your municipality, and I can give you the right contact.",
    },
    "fallback_offer": {
        "nb": "Du kan også sende spørsmålet til kommunens ansatte, eller be om praktisk hjelp "
        "fra en frivillig.",
        "sv": "Du kan också skicka frågan till kommunens personal, eller be om praktisk hjälp "
        "från en volontär.",
        "en": "You can also send your question to the municipality's staff, or ask for "
        "practical help from a volunteer.",
    },
    "clarify_entries": {
        "nb": "Jeg er ikke helt sikker på hva du mener. Mente du en av disse?",
        "sv": "Jag är inte helt säker på vad du menar. Menade du någon av de här?",
        "en": "I'm not quite sure what you mean. Did you mean one of these?",
    },
    "clarify_municipality": {
        "nb": "Flere kommuner har svar på dette. Hvilken kommune gjelder det?",
        "sv": "Flera kommuner har svar på det här. Vilken kommun gäller det?",
        "en": "Several municipalities have an answer to this. Which municipality do you mean?",
    },
    "help_request": {
        "nb": "Det høres ut som du trenger praktisk hjelp{what}. Jeg kan sende en forespørsel til "
        "en godkjent frivillig. Du får et referansenummer og beskjed når noen tar oppdraget.",
        "sv": "Det låter som att du behöver praktisk hjälp{what}. Jag kan skicka en förfrågan "
        "till en godkänd volontär. Du får ett referensnummer och besked när någon tar uppdraget.",
        "en": "It sounds like you need practical help{what}. I can send a request to a vetted "
        "volunteer. You will get a reference number and hear when someone takes it on.",
    },
    "help_what_groceries": {"nb": " med innkjøp", "sv": " med inköp", "en": " with groceries"},
    "help_what_pharmacy": {
        "nb": " med å hente medisiner",
        "sv": " med att hämta medicin",
        "en": " with a pharmacy pickup",
    },
    "help_what_transport": {
        "nb": " med transport",
        "sv": " med transport",
        "en": " with transport",
    },
    "help_what_dog": {"nb": " med hunden", "sv": " med hunden", "en": " with your dog"},
    "help_what_other": {"nb": "", "sv": "", "en": ""},
    "smalltalk_greeting": {
        "nb": "Hei! 👋 Jeg svarer på spørsmål om kommunens tjenester under krisen, og kan "
        "formidle praktisk hjelp fra frivillige. Skriv spørsmålet ditt.",
        "sv": "Hej! 👋 Jag svarar på frågor om kommunens verksamhet under krisen, och kan "
        "förmedla praktisk hjälp från volontärer. Skriv din fråga.",
        "en": "Hello! 👋 I answer questions about the municipality's services during the crisis, "
        "and can pass on requests for practical help to volunteers. Type your question.",
    },
    "smalltalk_thanks": {
        "nb": "Bare hyggelig! Spør gjerne om noe mer.",
        "sv": "Varsågod! Fråga gärna om något mer.",
        "en": "You're welcome! Feel free to ask anything else.",
    },
    "smalltalk_bye": {
        "nb": "Ha det bra, og ta vare på deg selv!",
        "sv": "Hej då, och ta hand om dig!",
        "en": "Goodbye, and take care!",
    },
    "smalltalk_how_are_you": {
        "nb": "Takk som spør! Jeg er her for å hjelpe. Hva lurer du på?",
        "sv": "Tack för att du frågar! Jag finns här för att hjälpa. Vad undrar du?",
        "en": "Thanks for asking! I'm here to help. What would you like to know?",
    },
    "smalltalk_who_are_you": {
        "nb": "Jeg er kommunens chatbot for krisen. Jeg svarer ut fra kommunens egen "
        "informasjon, sier ifra når jeg ikke vet, og kan formidle praktisk hjelp fra frivillige.",
        "sv": "Jag är kommunens chattbot för krisen. Jag svarar utifrån kommunens egen "
        "information, säger till när jag inte vet, och kan förmedla praktisk hjälp från "
        "volontärer.",
        "en": "I'm the municipality's crisis chatbot. I answer from the municipality's own "
        "information, say so when I don't know, and can pass on requests for practical help "
        "to volunteers.",
    },
    "smalltalk_ack": {
        "nb": "👍 Si ifra hvis du lurer på noe mer.",
        "sv": "👍 Säg till om du undrar över något mer.",
        "en": "👍 Let me know if there is anything else.",
    },
}


def say(key: str, lang: Lang, **values: str) -> str:
    """The message `key` in `lang` (English if missing), with `values` HTML-escaped."""
    table = MESSAGES[key]
    template = table.get(lang) or table["en"]
    return template.format(**{k: escape(v) for k, v in values.items()})


def escape(text: str) -> str:
    """Escape text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def format_date(day: date, lang: Lang) -> str:
    """A date as residents write it: 22.11.2026 (nb), 2026-11-22 (sv), 22 November 2026 (en)."""
    if lang == "nb":
        return day.strftime("%d.%m.%Y")
    if lang == "sv":
        return day.isoformat()
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
