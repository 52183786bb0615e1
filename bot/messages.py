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
    # -- Telegram conversation -------------------------------------------------------------
    "start": {
        "nb": "Hei{name}! 👋 Jeg er kommunens krisebot. Jeg svarer på spørsmål om kommunens "
        "tjenester under krisen, sier ifra når jeg ikke vet, og kan formidle praktisk hjelp fra "
        "frivillige.\n\nHvilken kommune bor du i?",
        "sv": "Hej{name}! 👋 Jag är kommunens krisbot. Jag svarar på frågor om kommunens "
        "verksamhet under krisen, säger till när jag inte vet, och kan förmedla praktisk hjälp "
        "från volontärer.\n\nVilken kommun bor du i?",
        "en": "Hello{name}! 👋 I'm the municipality's crisis bot. I answer questions about the "
        "municipality's services during the crisis, say so when I don't know, and can pass on "
        "requests for practical help to volunteers.\n\nWhich municipality do you live in?",
    },
    "choose_municipality": {
        "nb": "Velg kommunen din:",
        "sv": "Välj din kommun:",
        "en": "Choose your municipality:",
    },
    "municipality_set": {
        "nb": "✅ Kommune: <b>{name}</b>. Skriv spørsmålet ditt, eller trykk Meny for å se "
        "temaene.",
        "sv": "✅ Kommun: <b>{name}</b>. Skriv din fråga, eller tryck Meny för att se ämnena.",
        "en": "✅ Municipality: <b>{name}</b>. Type your question, or press Menu to see the "
        "topics.",
    },
    "municipality_unknown": {
        "nb": "Jeg kjenner ikke kommunen «{value}». Velg en av disse: {choices}",
        "sv": "Jag känner inte till kommunen ”{value}”. Välj en av dessa: {choices}",
        "en": "I don't know the municipality “{value}”. Choose one of: {choices}",
    },
    "choose_language": {
        "nb": "Velg språk:",
        "sv": "Välj språk:",
        "en": "Choose your language:",
    },
    "language_set": {
        "nb": "✅ Språk: norsk. Jeg svarer likevel på det språket du skriver på.",
        "sv": "✅ Språk: svenska. Jag svarar ändå på det språk du skriver på.",
        "en": "✅ Language: English. I still reply in the language you write in.",
    },
    "language_unknown": {
        "nb": "Ukjent språk «{value}». Velg nb, sv eller en.",
        "sv": "Okänt språk ”{value}”. Välj nb, sv eller en.",
        "en": "Unknown language “{value}”. Choose nb, sv or en.",
    },
    "help": {
        "nb": "<b>Dette kan jeg</b>\n"
        "• Svare på spørsmål om kommunens tjenester under krisen. Skriv med egne ord.\n"
        "• Gi nødnumre med en gang hvis noen er i fare.\n"
        "• Sende spørsmålet ditt til kommunens ansatte når jeg ikke vet svaret.\n"
        "• Formidle praktisk hjelp fra frivillige: innkjøp, apotek, transport, hundelufting.\n\n"
        "<b>Kommandoer</b>\n"
        "/menu – temaer og svar\n/municipality – bytt kommune\n/language – bytt språk\n"
        "/requesthelp – be om praktisk hjelp\n/status – dine forespørsler\n"
        "/privacy – hva jeg lagrer\n/help – denne hjelpen",
        "sv": "<b>Det här kan jag</b>\n"
        "• Svara på frågor om kommunens verksamhet under krisen. Skriv med egna ord.\n"
        "• Ge nödnummer direkt om någon är i fara.\n"
        "• Skicka din fråga till kommunens personal när jag inte vet svaret.\n"
        "• Förmedla praktisk hjälp från volontärer: inköp, apotek, transport, rasta hunden.\n\n"
        "<b>Kommandon</b>\n"
        "/menu – ämnen och svar\n/municipality – byt kommun\n/language – byt språk\n"
        "/requesthelp – be om praktisk hjälp\n/status – dina förfrågningar\n"
        "/privacy – vad jag sparar\n/help – den här hjälpen",
        "en": "<b>What I can do</b>\n"
        "• Answer questions about the municipality's services during the crisis. Use your own "
        "words.\n"
        "• Give emergency numbers at once if someone is in danger.\n"
        "• Send your question to the municipality's staff when I don't know the answer.\n"
        "• Pass on requests for practical help to volunteers: groceries, pharmacy, transport, "
        "dog walking.\n\n"
        "<b>Commands</b>\n"
        "/menu – topics and answers\n/municipality – change municipality\n"
        "/language – change language\n/requesthelp – ask for practical help\n"
        "/status – your requests\n/privacy – what I store\n/help – this help",
    },
    "privacy": {
        "nb": "<b>Hva jeg lagrer</b>\n"
        "• Telegram-ID-en din med kommunen og språket du har valgt, til du ber meg glemme deg "
        "(/forgetme).\n"
        "• Spørsmål jeg ikke kunne svare på, og spørsmål du sender til kommunen, i {days} dager. "
        "Kommunens ansatte ser bare spørsmålet, ikke navnet ditt.\n"
        "• Tilbakemeldinger (👍/👎) uten hvem som ga dem.\n"
        "• Forespørsler om praktisk hjelp med kontaktinformasjonen du oppgir. Bare den ene "
        "frivillige som tar oppdraget, ser den. Personopplysningene slettes {days} dager etter "
        "at forespørselen er avsluttet.\n\n"
        "Meldingene dine lagres bare til de er behandlet. /forgetme sletter alt om deg.",
        "sv": "<b>Vad jag sparar</b>\n"
        "• Ditt Telegram-ID med den kommun och det språk du valt, tills du ber mig glömma dig "
        "(/forgetme).\n"
        "• Frågor jag inte kunde svara på, och frågor du skickar till kommunen, i {days} dagar. "
        "Kommunens personal ser bara frågan, inte ditt namn.\n"
        "• Återkoppling (👍/👎) utan vem som gav den.\n"
        "• Förfrågningar om praktisk hjälp med de kontaktuppgifter du lämnar. Bara den enda "
        "volontär som tar uppdraget ser dem. Personuppgifterna raderas {days} dagar efter att "
        "förfrågan avslutats.\n\n"
        "Dina meddelanden sparas bara tills de är behandlade. /forgetme raderar allt om dig.",
        "en": "<b>What I store</b>\n"
        "• Your Telegram ID with the municipality and language you chose, until you ask me to "
        "forget you (/forgetme).\n"
        "• Questions I could not answer, and questions you send to the municipality, for "
        "{days} days. Staff see only the question, not your name.\n"
        "• Feedback (👍/👎) without who gave it.\n"
        "• Requests for practical help with the contact details you give. Only the one "
        "volunteer who takes the request sees them. Personal details are erased {days} days "
        "after the request is closed.\n\n"
        "Your messages are kept only until they have been handled. /forgetme erases everything "
        "about you.",
    },
    "only_text": {
        "nb": "Jeg forstår bare tekst. Skriv spørsmålet ditt med ord.",
        "sv": "Jag förstår bara text. Skriv din fråga med ord.",
        "en": "I only understand text. Please type your question in words.",
    },
    "slow_down": {
        "nb": "Du sender mange meldinger på kort tid. Vent litt, så svarer jeg igjen.",
        "sv": "Du skickar många meddelanden på kort tid. Vänta lite, så svarar jag igen.",
        "en": "You are sending a lot of messages in a short time. Please wait a moment and I "
        "will answer again.",
    },
    "button_expired": {
        "nb": "Denne knappen har utløpt.",
        "sv": "Den här knappen har slutat gälla.",
        "en": "This button has expired.",
    },
    "menu_topics": {
        "nb": "Velg et tema for {name}:",
        "sv": "Välj ett ämne för {name}:",
        "en": "Choose a topic for {name}:",
    },
    "menu_entries": {"nb": "{topic}:", "sv": "{topic}:", "en": "{topic}:"},
    "menu_needs_municipality": {
        "nb": "Velg kommunen din først, så viser jeg temaene.",
        "sv": "Välj din kommun först, så visar jag ämnena.",
        "en": "Choose your municipality first, and I'll show you the topics.",
    },
    "button_menu": {"nb": "📋 Meny", "sv": "📋 Meny", "en": "📋 Menu"},
    "button_back": {"nb": "⬅️ Tilbake", "sv": "⬅️ Tillbaka", "en": "⬅️ Back"},
    "button_ask_staff": {
        "nb": "🙋 Send spørsmålet til kommunen",
        "sv": "🙋 Skicka frågan till kommunen",
        "en": "🙋 Send my question to staff",
    },
    "button_practical_help": {
        "nb": "🛒 Jeg trenger praktisk hjelp",
        "sv": "🛒 Jag behöver praktisk hjälp",
        "en": "🛒 I need practical help",
    },
    "button_none": {"nb": "Ingen av disse", "sv": "Ingen av dessa", "en": "None of these"},
    "feedback_thanks": {
        "nb": "Takk for tilbakemeldingen!",
        "sv": "Tack för återkopplingen!",
        "en": "Thanks for the feedback!",
    },
    "feedback_sorry": {
        "nb": "Takk, det hjelper oss å bli bedre. Vil du sende spørsmålet ditt til kommunens "
        "ansatte?",
        "sv": "Tack, det hjälper oss att bli bättre. Vill du skicka din fråga till kommunens "
        "personal?",
        "en": "Thanks, that helps us improve. Would you like to send your question to the "
        "municipality's staff?",
    },
    "handoff_sent": {
        "nb": "✅ Spørsmålet er sendt til kommunens ansatte. Svaret kommer her når de svarer.",
        "sv": "✅ Frågan är skickad till kommunens personal. Svaret kommer här när de svarar.",
        "en": "✅ Your question has been sent to the municipality's staff. Their answer will "
        "appear here.",
    },
    "handoff_unavailable": {
        "nb": "Kommunens ansatte kan ikke nås gjennom meg akkurat nå. {contact}",
        "sv": "Kommunens personal kan inte nås via mig just nu. {contact}",
        "en": "The municipality's staff can't be reached through me right now. {contact}",
    },
    "handoff_already": {
        "nb": "Dette spørsmålet er allerede sendt.",
        "sv": "Den här frågan är redan skickad.",
        "en": "This question has already been sent.",
    },
    "staff_answer": {
        "nb": "💬 <b>Svar fra kommunens ansatte</b>\n\n{text}",
        "sv": "💬 <b>Svar från kommunens personal</b>\n\n{text}",
        "en": "💬 <b>Answer from the municipality's staff</b>\n\n{text}",
    },
    "practical_help_unavailable": {
        "nb": "Jeg kan ikke ta imot forespørsler om praktisk hjelp akkurat nå. {contact}",
        "sv": "Jag kan inte ta emot förfrågningar om praktisk hjälp just nu. {contact}",
        "en": "I can't take requests for practical help right now. {contact}",
    },
    "error": {
        "nb": "Beklager, noe gikk galt hos meg. Prøv igjen om litt.",
        "sv": "Tyvärr gick något fel hos mig. Försök igen om en stund.",
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
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
