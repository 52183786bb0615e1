"""Everything the bot says that does not come from the knowledge base, in nb, sv and en.

Templates are Telegram HTML. Values passed to `say` are escaped, so knowledge-base text can
never break the markup.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from typing import Final

from bot.types import Lang

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
        "nb": "Denne boten kan ikke sende hjelp. Ring nummeret.",
        "sv": "Den här boten kan inte skicka hjälp. Ring numret.",
        "en": "This bot cannot send help. Call the number.",
    },
    "emergency_advice_medical": {
        "nb": "Bli hos personen og gjør det operatøren sier, til hjelpen kommer.",
        "sv": "Stanna hos personen och gör som operatören säger tills hjälpen kommer.",
        "en": "Stay with the person and do what the operator tells you until help arrives.",
    },
    "emergency_advice_fire": {
        "nb": "Få alle ut, lukk dørene bak dere og ring fra utsiden. Ikke gå inn igjen.",
        "sv": "Få ut alla, stäng dörrarna efter er och ring från utsidan. Gå inte in igen.",
        "en": "Get everyone out, close the doors behind you and call from outside. Do not go "
        "back in.",
    },
    "emergency_advice_violence": {
        "nb": "Kom deg i sikkerhet hvis du kan, og lås døra. Klarer du ikke å snakke, ring "
        "likevel og bli i telefonen.",
        "sv": "Ta dig i säkerhet om du kan och lås dörren. Kan du inte prata, ring ändå och "
        "stanna kvar i luren.",
        "en": "Get to a safe place if you can and lock the door. If you cannot speak, call "
        "anyway and stay on the line.",
    },
    "emergency_advice_suicide": {
        "nb": "Du trenger ikke å stå i dette alene. Ring nå og fortell hvordan du har det. Er "
        "du bekymret for noen andre, ring og hold kontakten med dem.",
        "sv": "Du behöver inte gå igenom det här ensam. Ring nu och berätta hur du mår. Är du "
        "orolig för någon annan, ring och håll kontakten med dem.",
        "en": "You do not have to get through this alone. Call now and tell them how you feel. "
        "If you are worried about someone else, call and stay in touch with them.",
    },
    "emergency_advice_water": {
        "nb": "Ikke gå ut i vannet eller på isen selv. Kast noe som flyter, og hold øye med "
        "stedet der du sist så personen.",
        "sv": "Gå inte ut i vattnet eller på isen själv. Kasta något som flyter och håll blicken "
        "på platsen där du senast såg personen.",
        "en": "Do not go into the water or onto the ice yourself. Throw something that floats "
        "and keep your eyes on where you last saw the person.",
    },
    "emergency_advice_missing": {
        "nb": "Fortell politiet hvor og når personen sist ble sett, og hva hen har på seg.",
        "sv": "Berätta för polisen var och när personen sågs senast och vad hen har på sig.",
        "en": "Tell the police where and when the person was last seen and what they are wearing.",
    },
    "emergency_line": {
        "nb": "⚠️ <b>Er noen i fare nå? Ring {numbers}.</b>",
        "sv": "⚠️ <b>Är någon i fara nu? Ring {numbers}.</b>",
        "en": "⚠️ <b>Is someone in danger now? Call {numbers}.</b>",
    },
    "emergency_line_or": {"nb": " eller ", "sv": " eller ", "en": " or "},
    "emergency_line_in_NO": {
        "nb": "{numbers} i Norge",
        "sv": "{numbers} i Norge",
        "en": "{numbers} in Norway",
    },
    "emergency_line_in_SE": {
        "nb": "{numbers} i Sverige",
        "sv": "{numbers} i Sverige",
        "en": "{numbers} in Sweden",
    },
    "button_not_emergency": {
        "nb": "Dette er ikke en nødsituasjon",
        "sv": "Det här är ingen nödsituation",
        "en": "This is not an emergency",
    },
    "button_continue_request": {
        "nb": "↩️ Fortsett der jeg var",
        "sv": "↩️ Fortsätt där jag var",
        "en": "↩️ Continue where I was",
    },
    "emergency_conversation_paused": {
        "nb": "Det du holdt på med, venter der du slapp. Fortsett når du kan.",
        "sv": "Det du höll på med väntar där du slutade. Fortsätt när du kan.",
        "en": "What you were doing is waiting where you left off. Carry on when you can.",
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
        "/volunteer – bli frivillig\n/privacy – hva jeg lagrer\n/forgetme – glem meg\n"
        "/help – denne hjelpen",
        "sv": "<b>Det här kan jag</b>\n"
        "• Svara på frågor om kommunens verksamhet under krisen. Skriv med egna ord.\n"
        "• Ge nödnummer direkt om någon är i fara.\n"
        "• Skicka din fråga till kommunens personal när jag inte vet svaret.\n"
        "• Förmedla praktisk hjälp från volontärer: inköp, apotek, transport, rasta hunden.\n\n"
        "<b>Kommandon</b>\n"
        "/menu – ämnen och svar\n/municipality – byt kommun\n/language – byt språk\n"
        "/requesthelp – be om praktisk hjälp\n/status – dina förfrågningar\n"
        "/volunteer – bli volontär\n/privacy – vad jag sparar\n/forgetme – glöm mig\n"
        "/help – den här hjälpen",
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
        "/status – your requests\n/volunteer – become a volunteer\n"
        "/privacy – what I store\n/forgetme – forget me\n/help – this help",
    },
    "answer_for_municipality": {
        "nb": "Dette svaret gjelder {name}. Velg din kommune med /municipality.",
        "sv": "Det här svaret gäller {name}. Välj din kommun med /municipality.",
        "en": "This answer is about {name}. Choose your municipality with /municipality.",
    },
    "intake_in_progress": {
        "nb": "Du er midt i {current}. Den er tatt vare på: vil du fortsette med den, eller "
        "avbryte den?",
        "sv": "Du är mitt i {current}. Den är sparad: vill du fortsätta med den, eller avbryta "
        "den?",
        "en": "You are in the middle of {current}. It is kept: do you want to go on with it, or "
        "cancel it?",
    },
    "conversation_request": {
        "nb": "en forespørsel om praktisk hjelp",
        "sv": "en förfrågan om praktisk hjälp",
        "en": "a request for practical help",
    },
    "conversation_volunteer": {
        "nb": "registreringen som frivillig",
        "sv": "registreringen som volontär",
        "en": "your registration as a volunteer",
    },
    "button_intake_resume": {"nb": "↩️ Fortsett", "sv": "↩️ Fortsätt", "en": "↩️ Go on"},
    "button_intake_switch_request": {
        "nb": "✖️ Avbryt den og be om ny hjelp",
        "sv": "✖️ Avbryt den och be om ny hjälp",
        "en": "✖️ Cancel it and ask for help anew",
    },
    "button_intake_switch_volunteer": {
        "nb": "✖️ Avbryt den og bli frivillig",
        "sv": "✖️ Avbryt den och bli volontär",
        "en": "✖️ Cancel it and volunteer",
    },
    "knowledge_started_from_snapshot": {
        "nb": "❌ Kunnskapsbasen har {errors} feil ved oppstart. Boten svarer fra siste gode "
        "versjon fra {date} ({entries} oppføringer) til filene er rettet.",
        "sv": "❌ Kunskapsbasen har {errors} fel vid start. Boten svarar från den senaste "
        "fungerande versionen från {date} ({entries} poster) tills filerna är rättade.",
        "en": "❌ The knowledge base has {errors} error(s) at start-up. The bot answers from the "
        "last good version of {date} ({entries} entries) until the files are fixed.",
    },
    "staff_help": {
        "nb": "<b>For kommunens ansatte</b>\n"
        "/reload – les inn kunnskapsbasen på nytt (lagrede filer leses inn av seg selv)\n"
        "/unanswered – det innbyggerne spurte om som boten ikke kunne svare på\n"
        "Svar på et videresendt spørsmål her i chatten, så går svaret til innbyggeren.\n"
        "Knappene under hver melding godkjenner frivillige, lukker forespørsler og gir dem "
        "til en frivillig.\n\n"
        "På serveren: <code>.venv/bin/python -m bot --help</code> (kunnskapsbasen, køen og "
        "frivillige).",
        "sv": "<b>För kommunens personal</b>\n"
        "/reload – läs in kunskapsbasen igen (sparade filer läses in av sig själva)\n"
        "/unanswered – det invånarna frågade som boten inte kunde svara på\n"
        "Svara på en vidarebefordrad fråga här i chatten, så går svaret till invånaren.\n"
        "Knapparna under varje meddelande godkänner volontärer, stänger förfrågningar och ger "
        "dem till en volontär.\n\n"
        "På servern: <code>.venv/bin/python -m bot --help</code> (kunskapsbasen, kön och "
        "volontärer).",
        "en": "<b>For municipal staff</b>\n"
        "/reload – load the knowledge base again (saved files are loaded by themselves)\n"
        "/unanswered – what residents asked that the bot could not answer\n"
        "Reply to a forwarded question here in the chat, and the answer goes to the resident.\n"
        "The buttons under each message approve volunteers, close requests and hand them to a "
        "volunteer.\n\n"
        "On the server: <code>.venv/bin/python -m bot --help</code> (the knowledge base, the "
        "queue and volunteers).",
    },
    "privacy": {
        "nb": "<b>Hva jeg lagrer</b>\n"
        "• Telegram-ID-en din med kommunen og språket du har valgt eller sist skrev på, til du "
        "ber meg glemme deg (/forgetme).\n"
        "• Spørsmålene dine og hva jeg svarte, i {days} dager, så et 👎 kan sende akkurat det "
        "spørsmålet videre. Kommunens ansatte ser bare spørsmål du sender dem, ikke navnet "
        "ditt.\n"
        "• Tilbakemeldinger (👍/👎) uten hvem som ga dem.\n"
        "• Forespørsler om praktisk hjelp med kontaktinformasjonen du oppgir. Bare den ene "
        "frivillige som tar oppdraget, ser den. Personopplysningene slettes {days} dager etter "
        "at forespørselen er avsluttet.\n\n"
        "Meldingene dine lagres bare til de er behandlet. /forgetme sletter alt om deg.",
        "sv": "<b>Vad jag sparar</b>\n"
        "• Ditt Telegram-ID med den kommun och det språk du valt eller senast skrev på, tills du "
        "ber mig glömma dig (/forgetme).\n"
        "• Dina frågor och vad jag svarade, i {days} dagar, så att en 👎 kan skicka just den "
        "frågan vidare. Kommunens personal ser bara frågor du skickar till dem, inte ditt "
        "namn.\n"
        "• Återkoppling (👍/👎) utan vem som gav den.\n"
        "• Förfrågningar om praktisk hjälp med de kontaktuppgifter du lämnar. Bara den enda "
        "volontär som tar uppdraget ser dem. Personuppgifterna raderas {days} dagar efter att "
        "förfrågan avslutats.\n\n"
        "Dina meddelanden sparas bara tills de är behandlade. /forgetme raderar allt om dig.",
        "en": "<b>What I store</b>\n"
        "• Your Telegram ID with the municipality and the language you chose or last wrote in, "
        "until you ask me to forget you (/forgetme).\n"
        "• Your questions and what I answered, for {days} days, so that a 👎 can pass on that "
        "very question. Staff see only questions you send them, not your name.\n"
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
    "error": {
        "nb": "Beklager, noe gikk galt hos meg. Prøv igjen om litt.",
        "sv": "Tyvärr gick något fel hos mig. Försök igen om en stund.",
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
    },
    # -- asking for practical help ---------------------------------------------------------
    "category_groceries": {"nb": "🛒 Innkjøp", "sv": "🛒 Inköp", "en": "🛒 Groceries"},
    "category_pharmacy": {"nb": "💊 Apotek", "sv": "💊 Apotek", "en": "💊 Pharmacy"},
    "category_transport": {"nb": "🚗 Transport", "sv": "🚗 Transport", "en": "🚗 Transport"},
    "category_dog": {"nb": "🐕 Hundelufting", "sv": "🐕 Rasta hunden", "en": "🐕 Dog walking"},
    "category_other": {"nb": "🤝 Annet", "sv": "🤝 Annat", "en": "🤝 Other"},
    "timing_today": {"nb": "I dag", "sv": "I dag", "en": "Today"},
    "timing_week": {"nb": "Denne uken", "sv": "Den här veckan", "en": "This week"},
    "timing_flexible": {"nb": "Når som helst", "sv": "När som helst", "en": "Flexible"},
    "button_intake_back": {"nb": "⬅️ Tilbake", "sv": "⬅️ Tillbaka", "en": "⬅️ Back"},
    "button_intake_cancel": {"nb": "✖️ Avbryt", "sv": "✖️ Avbryt", "en": "✖️ Cancel"},
    "intake_category": {
        "nb": "<b>Praktisk hjelp fra en frivillig</b> (1/6)\nHva trenger du hjelp til?",
        "sv": "<b>Praktisk hjälp från en volontär</b> (1/6)\nVad behöver du hjälp med?",
        "en": "<b>Practical help from a volunteer</b> (1/6)\nWhat do you need help with?",
    },
    "intake_description": {
        "nb": "(2/6) Beskriv kort hva du trenger, for eksempel «melk, brød og medisiner fra "
        "apoteket». Ikke skriv navn, adresse eller telefonnummer her.",
        "sv": "(2/6) Beskriv kort vad du behöver, till exempel ”mjölk, bröd och medicin från "
        "apoteket”. Skriv inte namn, adress eller telefonnummer här.",
        "en": '(2/6) Briefly describe what you need, for example "milk, bread and medicine from '
        "the pharmacy\". Don't write a name, address or phone number here.",
    },
    "intake_area": {
        "nb": "(3/6) Hvilket område eller nabolag bor du i? Bare området, ikke hele adressen.",
        "sv": "(3/6) Vilket område eller bostadsområde bor du i? Bara området, inte hela adressen.",
        "en": "(3/6) Which area or neighbourhood do you live in? Just the area, not your full "
        "address.",
    },
    "intake_timing": {
        "nb": "(4/6) Når trenger du hjelpen?",
        "sv": "(4/6) När behöver du hjälpen?",
        "en": "(4/6) When do you need the help?",
    },
    "intake_contact": {
        "nb": "(5/6) Hvordan skal den frivillige kontakte deg?",
        "sv": "(5/6) Hur ska volontären kontakta dig?",
        "en": "(5/6) How should the volunteer contact you?",
    },
    "contact_choice_telegram": {
        "nb": "💬 Her på Telegram",
        "sv": "💬 Här på Telegram",
        "en": "💬 Here on Telegram",
    },
    "contact_choice_phone": {"nb": "📞 På telefon", "sv": "📞 Per telefon", "en": "📞 By phone"},
    "intake_phone": {
        "nb": "Trykk «Del telefonnummeret mitt» under, eller skriv nummeret.",
        "sv": "Tryck ”Dela mitt telefonnummer” nedan, eller skriv numret.",
        "en": 'Press "Share my phone number" below, or type the number.',
    },
    "button_share_phone": {
        "nb": "📱 Del telefonnummeret mitt",
        "sv": "📱 Dela mitt telefonnummer",
        "en": "📱 Share my phone number",
    },
    "intake_consent": {
        "nb": "(6/6) <b>Samtykke</b>\nJeg lagrer forespørselen din med kontaktinformasjonen "
        "du har gitt og navnet og brukernavnet ditt på Telegram. Beskrivelse, område og "
        "tidspunkt vises i gruppen av godkjente frivillige, uten navn og telefonnummer. Bare den "
        "ene frivillige som tar oppdraget, får kontaktinformasjonen din; kommunens ansatte kan se "
        "forespørselen for å følge den opp. Personopplysningene slettes {days} dager etter at "
        "forespørselen er avsluttet, eller når du skriver /forgetme.\n\nGodtar du dette?",
        "sv": "(6/6) <b>Samtycke</b>\nJag sparar din förfrågan med de kontaktuppgifter du har "
        "gett och ditt namn och användarnamn på Telegram. Beskrivning, område och tid visas i "
        "gruppen av godkända volontärer, utan namn och telefonnummer. Bara den enda volontär som "
        "tar uppdraget får dina kontaktuppgifter; kommunens personal kan se förfrågan för att "
        "följa upp den. Personuppgifterna raderas {days} dagar efter att förfrågan avslutats, "
        "eller när du skriver /forgetme.\n\nGodkänner du detta?",
        "en": "(6/6) <b>Consent</b>\nI store your request with the contact details you gave "
        "and your Telegram name and username. The description, area and time are shown in the "
        "group of vetted volunteers, without your name or phone number. Only the one volunteer "
        "who takes the request gets your contact details; municipal staff can see the request to "
        "follow it up. Personal details are erased {days} days after the request is closed, "
        "or when you send /forgetme.\n\nDo you agree?",
    },
    "button_consent": {
        "nb": "✅ Ja, jeg godtar",
        "sv": "✅ Ja, jag godkänner",
        "en": "✅ Yes, I agree",
    },
    "intake_summary": {
        "nb": "<b>Sjekk forespørselen din</b>\n{summary}\n\nSende den til de frivillige?",
        "sv": "<b>Kontrollera din förfrågan</b>\n{summary}\n\nSkicka den till volontärerna?",
        "en": "<b>Check your request</b>\n{summary}\n\nSend it to the volunteers?",
    },
    "button_send_request": {"nb": "📨 Send", "sv": "📨 Skicka", "en": "📨 Send"},
    "label_help": {"nb": "Hjelp", "sv": "Hjälp", "en": "Help"},
    "label_description": {"nb": "Beskrivelse", "sv": "Beskrivning", "en": "Description"},
    "label_area": {"nb": "Område", "sv": "Område", "en": "Area"},
    "label_when": {"nb": "Når", "sv": "När", "en": "When"},
    "label_contact": {"nb": "Kontakt", "sv": "Kontakt", "en": "Contact"},
    "intake_description_too_long": {
        "nb": "Beskrivelsen er for lang (høyst 300 tegn). Skriv den kortere.",
        "sv": "Beskrivningen är för lång (högst 300 tecken). Skriv den kortare.",
        "en": "The description is too long (300 characters at most). Please shorten it.",
    },
    "intake_description_too_short": {
        "nb": "Skriv litt mer om hva du trenger, med noen ord.",
        "sv": "Skriv lite mer om vad du behöver, med några ord.",
        "en": "Please say a little more about what you need, in a few words.",
    },
    "intake_area_too_long": {
        "nb": "Skriv bare navnet på området, kort (høyst 60 tegn).",
        "sv": "Skriv bara namnet på området, kort (högst 60 tecken).",
        "en": "Just the name of the area, please, briefly (60 characters at most).",
    },
    "intake_area_too_short": {
        "nb": "Skriv navnet på området eller nabolaget.",
        "sv": "Skriv namnet på området eller bostadsområdet.",
        "en": "Please type the name of your area or neighbourhood.",
    },
    "intake_no_contact_details": {
        "nb": "Ikke skriv telefonnummer, brukernavn eller e-post her: dette ser alle i gruppen "
        "av frivillige. Kontaktinformasjonen gir du i et eget steg, og bare den som tar "
        "oppdraget, får den.",
        "sv": "Skriv inte telefonnummer, användarnamn eller e-post här: det ser alla i gruppen "
        "av volontärer. Kontaktuppgifterna ger du i ett eget steg, och bara den som tar "
        "uppdraget får dem.",
        "en": "Please leave out phone numbers, usernames and email here: everyone in the "
        "volunteer group sees this. You give your contact details in a later step, and only "
        "the volunteer who takes the request gets them.",
    },
    "intake_area_no_address": {
        "nb": "Skriv bare området, uten gatenummer. Adressen gir du til den frivillige senere.",
        "sv": "Skriv bara området, utan gatunummer. Adressen ger du till volontären senare.",
        "en": "Just the area, without a street number, please. You'll give the volunteer your "
        "address later.",
    },
    "intake_phone_invalid": {
        "nb": "Det ser ikke ut som et telefonnummer. Skriv det med 8 til 15 sifre, for "
        "eksempel 912 34 567.",
        "sv": "Det ser inte ut som ett telefonnummer. Skriv det med 8 till 15 siffror, till "
        "exempel 070-123 45 67.",
        "en": "That doesn't look like a phone number. Please type it with 8 to 15 digits, "
        "for example +47 912 34 567.",
    },
    "intake_use_buttons": {
        "nb": "Velg med knappene under, eller trykk Avbryt.",
        "sv": "Välj med knapparna nedan, eller tryck Avbryt.",
        "en": "Please choose with the buttons below, or press Cancel.",
    },
    "intake_cancelled": {
        "nb": "Avbrutt. Ingenting er sendt.",
        "sv": "Avbrutet. Ingenting har skickats.",
        "en": "Cancelled. Nothing was sent.",
    },
    "request_stored": {
        "nb": "✅ Forespørselen er mottatt. Referansen din er <b>{ref}</b>.\n\nDen er sendt til "
        "godkjente frivillige. Du får beskjed her når noen tar den. Se /status når som helst.",
        "sv": "✅ Förfrågan är mottagen. Din referens är <b>{ref}</b>.\n\nDen är skickad till "
        "godkända volontärer. Du får besked här när någon tar den. Se /status när som helst.",
        "en": "✅ Your request has been received. Your reference is <b>{ref}</b>.\n\nIt has "
        "been sent to vetted volunteers. You'll hear here when someone takes it on. See "
        "/status at any time.",
    },
    "request_duplicate": {
        "nb": "Du har allerede en lignende forespørsel, <b>{ref}</b> ({state}). Se /status. "
        "Er dette noe annet, kan du sende den likevel.",
        "sv": "Du har redan en liknande förfrågan, <b>{ref}</b> ({state}). Se /status. "
        "Gäller det något annat kan du skicka den ändå.",
        "en": "You already have a similar request, <b>{ref}</b> ({state}). See /status. If "
        "this is something else, you can send it anyway.",
    },
    "intake_active_already": {
        "nb": "Du har allerede forespørselen <b>{ref}</b> ({state}). Gjelder det den, se "
        "/status. Ellers fortsetter du her med en ny.",
        "sv": "Du har redan förfrågan <b>{ref}</b> ({state}). Gäller det den, se /status. "
        "Annars fortsätter du här med en ny.",
        "en": "You already have request <b>{ref}</b> ({state}). If this is about it, see "
        "/status. Otherwise, go on here with a new one.",
    },
    "button_send_anyway": {
        "nb": "📨 Send likevel",
        "sv": "📨 Skicka ändå",
        "en": "📨 Send anyway",
    },
    "request_unavailable": {
        "nb": "Forespørsler om praktisk hjelp kan ikke tas imot akkurat nå. {contact}",
        "sv": "Förfrågningar om praktisk hjälp kan inte tas emot just nu. {contact}",
        "en": "Requests for practical help can't be taken right now. {contact}",
    },
    "state_open": {
        "nb": "venter på en frivillig",
        "sv": "väntar på en volontär",
        "en": "waiting for a volunteer",
    },
    "state_claimed": {
        "nb": "en frivillig har tatt den",
        "sv": "en volontär har tagit den",
        "en": "a volunteer has taken it",
    },
    "state_done": {"nb": "utført", "sv": "utförd", "en": "done"},
    "state_cancelled": {"nb": "avbrutt", "sv": "avbruten", "en": "cancelled"},
    "notice_claimed": {
        "nb": "🙌 {name} har tatt forespørselen din <b>{ref}</b> og kontakter deg.",
        "sv": "🙌 {name} har tagit din förfrågan <b>{ref}</b> och kontaktar dig.",
        "en": "🙌 {name} has taken your request <b>{ref}</b> and will contact you.",
    },
    "notice_released": {
        "nb": "Den frivillige kunne likevel ikke ta <b>{ref}</b>. Forespørselen er tilbake i "
        "køen, og en annen frivillig kan ta den.",
        "sv": "Volontären kunde ändå inte ta <b>{ref}</b>. Förfrågan är tillbaka i kön, och en "
        "annan volontär kan ta den.",
        "en": "The volunteer couldn't take <b>{ref}</b> after all. Your request is back in the "
        "queue for another volunteer.",
    },
    "notice_done": {
        "nb": "✅ Forespørselen din <b>{ref}</b> er utført. Takk for at du brukte tjenesten!",
        "sv": "✅ Din förfrågan <b>{ref}</b> är utförd. Tack för att du använde tjänsten!",
        "en": "✅ Your request <b>{ref}</b> is done. Thank you for using the service!",
    },
    "notice_cancelled": {
        "nb": "Forespørselen din <b>{ref}</b> er avbrutt.",
        "sv": "Din förfrågan <b>{ref}</b> är avbruten.",
        "en": "Your request <b>{ref}</b> has been cancelled.",
    },
    "notice_closed_by_staff": {
        "nb": "Kommunen har avsluttet forespørselen din <b>{ref}</b>. {contact}",
        "sv": "Kommunen har avslutat din förfrågan <b>{ref}</b>. {contact}",
        "en": "The municipality has closed your request <b>{ref}</b>. {contact}",
    },
    "notice_slow": {
        "nb": "Det tar lengre tid enn vanlig å finne en frivillig til <b>{ref}</b>. Kommunens "
        "ansatte er varslet. {contact}",
        "sv": "Det tar längre tid än vanligt att hitta en volontär till <b>{ref}</b>. Kommunens "
        "personal har fått besked. {contact}",
        "en": "It is taking longer than usual to find a volunteer for <b>{ref}</b>. The "
        "municipality's staff have been told. {contact}",
    },
    "status_none": {
        "nb": "Du har ingen forespørsler om praktisk hjelp. Skriv /requesthelp for å be om hjelp.",
        "sv": "Du har inga förfrågningar om praktisk hjälp. Skriv /requesthelp för att be om "
        "hjälp.",
        "en": "You have no requests for practical help. Send /requesthelp to ask for help.",
    },
    "status_title": {
        "nb": "<b>Dine forespørsler</b>",
        "sv": "<b>Dina förfrågningar</b>",
        "en": "<b>Your requests</b>",
    },
    "button_cancel_request": {"nb": "Avbryt {ref}", "sv": "Avbryt {ref}", "en": "Cancel {ref}"},
    "cancel_nothing": {
        "nb": "Du har ingen aktive forespørsler å avbryte.",
        "sv": "Du har inga aktiva förfrågningar att avbryta.",
        "en": "You have no active requests to cancel.",
    },
    "cancel_which": {
        "nb": "Hvilken forespørsel vil du avbryte?",
        "sv": "Vilken förfrågan vill du avbryta?",
        "en": "Which request do you want to cancel?",
    },
    "forget_confirm": {
        "nb": "Vil du at jeg skal slette alt jeg har lagret om deg? Aktive forespørsler blir "
        "avbrutt, og den frivillige får beskjed. Dette kan ikke angres.",
        "sv": "Vill du att jag raderar allt jag har sparat om dig? Aktiva förfrågningar avbryts, "
        "och volontären får besked. Det kan inte ångras.",
        "en": "Do you want me to erase everything I have stored about you? Active requests are "
        "cancelled and the volunteer is told. This cannot be undone.",
    },
    "button_forget_yes": {
        "nb": "🗑️ Ja, slett alt",
        "sv": "🗑️ Ja, radera allt",
        "en": "🗑️ Yes, erase everything",
    },
    "button_forget_no": {"nb": "Nei", "sv": "Nej", "en": "No"},
    "forget_done": {
        "nb": "Alt jeg hadde lagret om deg er slettet.",
        "sv": "Allt jag hade sparat om dig är raderat.",
        "en": "Everything I had stored about you has been erased.",
    },
    "forget_kept": {
        "nb": "Greit, ingenting er slettet.",
        "sv": "Okej, ingenting är raderat.",
        "en": "All right, nothing was erased.",
    },
    # -- the volunteer group and volunteers ----------------------------------------------------
    "group_request": {
        "nb": "🆕 <b>{ref}</b> · {category}\n{description}\n📍 {area} · 🕒 {when}\n<i>Lagt inn "
        "{age}</i>",
        "sv": "🆕 <b>{ref}</b> · {category}\n{description}\n📍 {area} · 🕒 {when}\n<i>Inlagd "
        "{age}</i>",
        "en": "🆕 <b>{ref}</b> · {category}\n{description}\n📍 {area} · 🕒 {when}\n<i>Posted "
        "{age}</i>",
    },
    "group_post_repeated": {
        "nb": "<i>Sendt på nytt etter en omstart: ser du {ref} to ganger, er det samme "
        "forespørsel.</i>",
        "sv": "<i>Skickad igen efter en omstart: ser du {ref} två gånger är det samma "
        "förfrågan.</i>",
        "en": "<i>Posted again after a restart: if you see {ref} twice, it is the same "
        "request.</i>",
    },
    "group_taken": {
        "nb": "🙋 <b>{ref}</b> · {category}\n{description}\n📍 {area} · 🕒 {when}\n<b>Tatt av "
        "{name}</b>",
        "sv": "🙋 <b>{ref}</b> · {category}\n{description}\n📍 {area} · 🕒 {when}\n<b>Tagen av "
        "{name}</b>",
        "en": "🙋 <b>{ref}</b> · {category}\n{description}\n📍 {area} · 🕒 {when}\n<b>Taken by "
        "{name}</b>",
    },
    "group_closed": {
        "nb": "<b>{ref}</b> · {category} · {state}",
        "sv": "<b>{ref}</b> · {category} · {state}",
        "en": "<b>{ref}</b> · {category} · {state}",
    },
    "button_take": {"nb": "🙋 Jeg tar den", "sv": "🙋 Jag tar den", "en": "🙋 I'll take it"},
    "age_now": {"nb": "nå nettopp", "sv": "alldeles nyss", "en": "just now"},
    "age_minutes": {"nb": "for {n} min siden", "sv": "för {n} min sedan", "en": "{n} min ago"},
    "age_hours": {"nb": "for {n} t siden", "sv": "för {n} tim sedan", "en": "{n} h ago"},
    "volunteer_details": {
        "nb": "Du har tatt <b>{ref}</b>. Takk! 💚\n\n{summary}\n\n<b>Kontakt</b>: {contact}\n\n"
        "Opplysningene er fortrolige. Trykk «Utført» når du er ferdig, eller «Gi fra meg» om du "
        "ikke kan likevel.",
        "sv": "Du har tagit <b>{ref}</b>. Tack! 💚\n\n{summary}\n\n<b>Kontakt</b>: {contact}\n\n"
        "Uppgifterna är konfidentiella. Tryck ”Utförd” när du är klar, eller ”Lämna tillbaka” "
        "om du inte kan ändå.",
        "en": "You have taken <b>{ref}</b>. Thank you! 💚\n\n{summary}\n\n<b>Contact</b>: "
        '{contact}\n\nThese details are confidential. Press "Done" when you have finished, '
        'or "Release" if you can\'t do it after all.',
    },
    "contact_via_telegram": {
        "nb": "{mention} via Telegram{username} (trykk på navnet for å skrive)",
        "sv": "{mention} via Telegram{username} (tryck på namnet för att skriva)",
        "en": "{mention} via Telegram{username} (tap the name to write)",
    },
    "volunteer_details_gone": {
        "nb": "<b>{ref}</b>: oppdraget er ikke ditt lenger ({state}). Kontaktopplysningene er "
        "fjernet.",
        "sv": "<b>{ref}</b>: uppdraget är inte ditt längre ({state}). Kontaktuppgifterna är "
        "borttagna.",
        "en": "<b>{ref}</b>: the request is no longer yours ({state}). The contact details have "
        "been removed.",
    },
    "contact_via_phone": {
        "nb": "{name}, telefon {phone}",
        "sv": "{name}, telefon {phone}",
        "en": "{name}, phone {phone}",
    },
    "button_done": {"nb": "✅ Utført", "sv": "✅ Utförd", "en": "✅ Done"},
    "button_release": {"nb": "↩️ Gi fra meg", "sv": "↩️ Lämna tillbaka", "en": "↩️ Release"},
    "claim_won": {
        "nb": "Du har tatt {ref}. Se privatmeldingen fra meg.",
        "sv": "Du har tagit {ref}. Se mitt privata meddelande.",
        "en": "You have taken {ref}. See my private message.",
    },
    "claim_taken": {
        "nb": "Noen andre har allerede tatt denne.",
        "sv": "Någon annan har redan tagit den här.",
        "en": "Someone else has already taken this one.",
    },
    "claim_not_volunteer": {
        "nb": "Bare godkjente frivillige kan ta oppdrag. Skriv /volunteer til meg privat for å "
        "melde deg.",
        "sv": "Bara godkända volontärer kan ta uppdrag. Skriv /volunteer till mig privat för att "
        "anmäla dig.",
        "en": "Only vetted volunteers can take requests. Send me /volunteer in a private chat to "
        "sign up.",
    },
    "claim_start_bot": {
        "nb": "Jeg kan ikke sende deg en privatmelding. Åpne en chat med meg og trykk Start, "
        "og prøv igjen.",
        "sv": "Jag kan inte skicka ett privat meddelande till dig. Öppna en chatt med mig och "
        "tryck Start, och försök igen.",
        "en": "I can't send you a private message. Open a chat with me and press Start, then "
        "try again.",
    },
    "volunteer_marked_done": {
        "nb": "Takk! {ref} er markert som utført.",
        "sv": "Tack! {ref} är markerad som utförd.",
        "en": "Thank you! {ref} is marked done.",
    },
    "volunteer_released": {
        "nb": "{ref} er tilbake i køen.",
        "sv": "{ref} är tillbaka i kön.",
        "en": "{ref} is back in the queue.",
    },
    "volunteer_request_cancelled": {
        "nb": "Forespørselen <b>{ref}</b> som du hadde tatt, er avbrutt. Du trenger ikke gjøre "
        "noe mer.",
        "sv": "Förfrågan <b>{ref}</b> som du hade tagit är avbruten. Du behöver inte göra något "
        "mer.",
        "en": "Request <b>{ref}</b>, which you had taken, has been cancelled. You don't need to "
        "do anything more.",
    },
    "volunteer_not_yours": {
        "nb": "Denne forespørselen er ikke din lenger.",
        "sv": "Den här förfrågan är inte din längre.",
        "en": "This request is no longer yours.",
    },
    # -- registering as a volunteer -------------------------------------------------------------
    "volunteer_name": {
        "nb": "<b>Bli frivillig</b> (1/5)\nTakk for at du vil hjelpe! Hva heter du?",
        "sv": "<b>Bli volontär</b> (1/5)\nTack för att du vill hjälpa till! Vad heter du?",
        "en": "<b>Become a volunteer</b> (1/5)\nThank you for wanting to help! What is your name?",
    },
    "volunteer_area": {
        "nb": "(2/5) Hvilket område kan du hjelpe til i?",
        "sv": "(2/5) Vilket område kan du hjälpa till i?",
        "en": "(2/5) Which area can you help in?",
    },
    "volunteer_skills": {
        "nb": "(3/5) Hva kan du hjelpe med? Velg alt som passer, og trykk Ferdig.",
        "sv": "(3/5) Vad kan du hjälpa till med? Välj allt som passar, och tryck Klar.",
        "en": "(3/5) What can you help with? Choose all that apply, then press Done.",
    },
    "button_skills_done": {"nb": "Ferdig", "sv": "Klar", "en": "Done"},
    "volunteer_phone": {
        "nb": "(4/5) Telefonnummer, om du vil (kommunens ansatte ser det). Skriv det, eller trykk "
        "Hopp over.",
        "sv": "(4/5) Telefonnummer, om du vill (kommunens personal ser det). Skriv det, eller "
        "tryck Hoppa över.",
        "en": "(4/5) Your phone number, if you like (municipal staff see it). Type it, or press "
        "Skip.",
    },
    "button_skip": {"nb": "Hopp over", "sv": "Hoppa över", "en": "Skip"},
    "volunteer_confidentiality": {
        "nb": "(5/5) <b>Taushetsplikt</b>\nSom frivillig får du kontaktinformasjon og opplysninger "
        "om personer som trenger hjelp. Du lover å bruke dem bare til oppdraget, ikke dele dem "
        "med noen, og slette dem når oppdraget er utført.",
        "sv": "(5/5) <b>Tystnadsplikt</b>\nSom volontär får du kontaktuppgifter och uppgifter om "
        "personer som behöver hjälp. Du lovar att bara använda dem för uppdraget, inte dela dem "
        "med någon, och radera dem när uppdraget är utfört.",
        "en": "(5/5) <b>Confidentiality</b>\nAs a volunteer you receive contact details and "
        "information about people who need help. You promise to use them only for the task, "
        "share them with no one, and delete them once the task is done.",
    },
    "button_accept": {"nb": "✅ Jeg lover", "sv": "✅ Jag lovar", "en": "✅ I promise"},
    "volunteer_name_invalid": {
        "nb": "Skriv navnet ditt, med bokstaver.",
        "sv": "Skriv ditt namn, med bokstäver.",
        "en": "Please type your name, in letters.",
    },
    "volunteer_name_too_long": {
        "nb": "Navnet er for langt (høyst 60 tegn).",
        "sv": "Namnet är för långt (högst 60 tecken).",
        "en": "The name is too long (60 characters at most).",
    },
    "volunteer_skills_needed": {
        "nb": "Velg minst én ting du kan hjelpe med.",
        "sv": "Välj minst en sak du kan hjälpa till med.",
        "en": "Choose at least one thing you can help with.",
    },
    "volunteer_submitted": {
        "nb": "Takk! Kommunens ansatte går gjennom registreringen, og du får beskjed her.",
        "sv": "Tack! Kommunens personal går igenom anmälan, och du får besked här.",
        "en": "Thank you! The municipality's staff will review your registration, and you'll "
        "hear back here.",
    },
    "volunteer_already": {
        "nb": "Du er allerede registrert som frivillig ({state}).",
        "sv": "Du är redan anmäld som volontär ({state}).",
        "en": "You are already registered as a volunteer ({state}).",
    },
    "volunteer_state_pending": {
        "nb": "venter på godkjenning",
        "sv": "väntar på godkännande",
        "en": "awaiting approval",
    },
    "volunteer_state_approved": {"nb": "godkjent", "sv": "godkänd", "en": "approved"},
    "volunteer_state_rejected": {"nb": "ikke godkjent", "sv": "inte godkänd", "en": "not approved"},
    "volunteer_state_revoked": {"nb": "trukket tilbake", "sv": "återkallad", "en": "revoked"},
    "volunteer_approved": {
        "nb": "🎉 Du er godkjent som frivillig! Forespørsler kommer i gruppen for frivillige.",
        "sv": "🎉 Du är godkänd som volontär! Förfrågningar kommer i gruppen för volontärer.",
        "en": "🎉 You have been approved as a volunteer! Requests appear in the volunteers' group.",
    },
    "volunteer_rejected": {
        "nb": "Registreringen din som frivillig ble ikke godkjent denne gangen. Takk for at du "
        "ville hjelpe.",
        "sv": "Din anmälan som volontär godkändes inte den här gången. Tack för att du ville "
        "hjälpa till.",
        "en": "Your registration as a volunteer was not approved this time. Thank you for "
        "offering to help.",
    },
    "volunteer_revoked": {
        "nb": "Godkjenningen din som frivillig er trukket tilbake. Kontakt kommunen om du har "
        "spørsmål.",
        "sv": "Ditt godkännande som volontär har återkallats. Kontakta kommunen om du har frågor.",
        "en": "Your approval as a volunteer has been revoked. Contact the municipality if you "
        "have questions.",
    },
}


def say(key: str, lang: Lang, **values: str) -> str:
    """The message `key` in `lang` (English if missing), with `values` HTML-escaped."""
    return say_html(key, lang, {}, **values)


def say_html(key: str, lang: Lang, html: Mapping[str, str], **values: str) -> str:
    """Like `say`, plus `html`: values that are already Telegram HTML, built by this program."""
    table = MESSAGES[key]
    template = table.get(lang) or table["en"]
    return template.format(**{k: escape(v) for k, v in values.items()}, **html)


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


_UNITS: Final[dict[str, tuple[tuple[str, str], tuple[str, str]]]] = {
    # (one minute, minutes), (one hour, hours)
    "nb": (("minutt", "minutter"), ("time", "timer")),
    "sv": (("minut", "minuter"), ("timme", "timmar")),
    "en": (("minute", "minutes"), ("hour", "hours")),
}


def format_minutes(minutes: int, lang: Lang) -> str:
    """A duration in words with the right plural: "1 minute", "2 hours 5 minutes"."""
    (minute, minutes_word), (hour, hours_word) = _UNITS[lang]
    hours, rest = divmod(max(minutes, 0), 60)
    parts = []
    if hours:
        parts.append(f"{hours} {hour if hours == 1 else hours_word}")
    if rest or not hours:
        parts.append(f"{rest} {minute if rest == 1 else minutes_word}")
    return " ".join(parts)
