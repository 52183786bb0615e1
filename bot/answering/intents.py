"""Help requests and small talk, found in a resident's message before knowledge-base matching.

`bot.answering` asks these after the emergency detector (`bot.answering.emergency`):

- `detect_help_request`: is the resident asking a volunteer for practical help (groceries,
  pharmacy, transport, dog) for themselves or someone they care for?
- `detect_smalltalk`: is the whole message a greeting, thanks, goodbye, "how are you", "who are
  you" or an acknowledgement?

Help patterns are written in the pattern language of `bot.answering.patterns`, with the word
groups of `_GROUPS`. To add a phrase, add a line to the right table (and a test to
tests/test_intents.py). A real word that a pattern word mistakes for a typo belongs in
`_NOT_TYPOS`. No Telegram imports; every table is compiled at import.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.answering.patterns import (
    Analysis,
    Classifier,
    Compiler,
    analyse,
    compile_sets,
    word_edits,
)
from bot.stopwords import STOPWORDS
from bot.text import clean, fold, tokens, words

__all__ = [
    "HelpCategory",
    "HelpMatch",
    "HelpStrength",
    "SmalltalkKind",
    "detect_help_request",
    "detect_smalltalk",
    "help_signals",
]

HelpCategory = Literal["groceries", "pharmacy", "transport", "dog", "other"]
SmalltalkKind = Literal["greeting", "thanks", "bye", "how_are_you", "who_are_you", "ack"]

# Help detection reads this much of a message: all of any real message. The cost
# is linear in it (every table is precompiled and each token is classified once).
SCAN_CHARS: Final = 10_000
# Longer messages are never small talk.
_SMALLTALK_MAX_TOKENS: Final = 12


class HelpStrength(enum.Enum):
    """How sure it is that the resident asks a volunteer for practical help."""

    STRONG = "strong"  # a concrete practical task
    GENERIC = "generic"  # "I need help" with no task: the caller decides


@dataclass(frozen=True, slots=True)
class HelpMatch:
    """A request for practical help found in a message."""

    category: HelpCategory
    strength: HelpStrength


# =============================================================================================
# Word groups of the help patterns
# =============================================================================================

_GROUPS: Final[dict[str, str]] = {
    # -- grammar ------------------------------------------------------------------------------
    # Negation. "t" is what is left of "isn't" / "can't" once the apostrophe splits the word.
    # Not "no", which is Nynorsk for "now" ("ho pustar betre no"): patterns add it themselves.
    "not": """
        ikke ikkje ikkj ikk ike itte itj ittj ente inte int ej icke not t cant cannot dont
        doesnt didnt isnt wasnt wont aint never aldri aldrig knapt knappt barely hardly ingen
        inga inget
    """,
    "i": "jeg eg e æ je jæ jag i",
    "me": "meg mig me oss us",
    "want": "vil vill ville ønsker ønskjer önskar lyst lust want wants wanna wish",
}

# =============================================================================================
# Help-request patterns
# =============================================================================================

_GROUPS.update(
    {
        "helpword": "hjelp hjelpe hjelpa hjelpen hjälp hjälpa hjälpen help helping assistance",
        "need": """
            trenger treng trengte trenge behøver behöver behov need needs needed needing
            require requires
        """,
        "get": "få får fått fekk fikk fick get getting",
        "can": "kan kunne kunde can could would will vil vill",
        "someone": """
            noen nokon någon nån nan naan someone somebody anyone anybody
        """,
        "who": "hvem kven vem who",
        "dependent": """
            mamma pappa mor far mother father mum mom dad parents foreldre foreldrene
            föräldrar bestemor bestefar mormor morfar farmor farfar grandma grandpa
            grandmother grandfather
        """,
        "drive": """
            kjøre kjøra kjører köra kör skysse skyssa skjutsa drive driving hente henta hämta
            pick take følge følgje escort bring frakte frakta
        """,
        "destination": """
            legen lege legekontor* legevakt* läkare* doktor* doctor doctors sykehus* sjukhus*
            hospital* vårdcentral* helsestasjon* klinikk* klinik* clinic* tannlege*
            tandläkare* dentist* vaksin* vaccin* teststasjon* teststation* testing apotek*
            pharmacy timen appointment behandling* treatment dialyse dialys* fysio*
        """,
        "travel": "kjøre kjøring komme komma get go dra åka reise resa",
        "dog": """
            hund hunden hunder hundene hundar hundarna bikkje bikkja valp valpen dog dogs
            doggy puppy
        """,
        "dogcare": """
            lufte lufta luftet luftes rasta rastar rastat walk walks walking walked tur turen
            turar turer ut out passe pass passa passar look feed feeding mate mata
        """,
        "food": "mat maten food matvarer matvaror groceries dagligvarer",
        "admin": """
            faktura* invoice* regning* rekning* räkning* bill bills billing betale betala
            betaling* betalning* pay paying payment* skatt* tax taxes søknad* søke ansøk*
            ansök* application* apply applying skjema* blankett* form forms nyby innlogging
            logge logga login password passord lösenord bankid avgift* gebyr* husleie
            husleige hyra rent stønad bostadsbidrag nav försäkringskassan skattemelding*
            deklarasjon* deklaration* utsettelse* anstånd* frist* postpone* deferral*
        """,
    }
)

_HELP_TASKS: Final[dict[HelpCategory, tuple[str, ...]]] = {
    "transport": (
        "skyss|skyssen|skysse|skyssa|skjuts|skjutsa|skjutsning|transport|transporten|"
        "transportere|transportera|ride|lift|taxi|drosje|kjøring|körning",
        "@drive @me|@dependent|my|min /2",
        "@drive|@travel til|till|to @destination /4",
    ),
    "pharmacy": (
        "apotek*|pharmacy|pharmacies|chemist|chemists|medisin|medisinen|medisiner|medisinene|"
        "medisinar|medisinane|medicin|medicinen|mediciner|medicinerna|medication|medications|"
        "medicine|medicines|meds|prescription*|resept*|recept*|tabletter|tablettene|piller|"
        "pillene|pills|insulin*|inhalator*|inhaler*",
    ),
    "groceries": (
        "handle|handla|handler|handlar|handlet|handlat|handling|handlingen|shopping|shop|"
        "groceries|grocery|innkjøp|inköp|innkjøpa|dagligvare*|matvare*|livsmedel*|matvaror|"
        "varer|varor|matkasse*|butikk*|butik*|affär*|supermarked*|supermarket*|matbutikk*",
        "@food",
        "kjøpe|köpa|buy|buying|purchase|kjøpa|kaupe",
    ),
    "dog": (
        "@dogcare @dog /4",
        "hundepass*|hundelufter*|hundelufting*|hundvakt*|hundpassning*|dogsitter*|dogwalker*|"
        "dogwalking|hundeluftar*",
    ),
    "other": (
        "bære|bera|carry|carrying|løfte|lyfta|flytte|flytta|moving|måke|skotte|skotta|"
        "skyffla|shovel|shovelling|shoveling|snømåking|snöskottning|søppel|søpla|sopor|"
        "soporna|avfall|trash|rubbish|garbage|posten|post|mail|pakke|pakken|paket|paketet|"
        "parcel|package|hente|henta|hämta|collect|levere|leverera|deliver|vaske|tvätta|städa|"
        "clean|cleaning|rydde|rydda|plenen|gräset|lawn|mow|reparere|reparera|fikse|fixa|fix|"
        "lyspære|lightbulb|lage|laga|cook|middag|dinner|katt|katten|cat|cats|vanne|vattna|"
        "plantene|blomstene|blommorna|plants",
    ),
}

_HELP_SIGNALS: Final[dict[str, tuple[str, ...]]] = {
    # A: the resident plainly asks for help for themselves or someone they care for.
    "explicit": (
        "@helpword @me|@dependent /3 -til|till|out ~0",
        "@need|@get @helpword /3",
        "@drive @me /2",
        "@not|no @food /3",
        "tom|slut|out|tomt @food /3",
        "@dogcare my|min|mine|mi @dog /4",
    ),
    # B: someone is asked to do something, or the task is for me.
    "ask": (
        "@someone @can /2",
        "@someone som|who|that|to|which /2",
        "@who @can /2",
        "^ for|til|till|åt|at @me|@dependent /2",
        "@need @someone /3",
        "^ @need a|en|ein volunteer|frivillig|volontär /3",
        "er|is|finnes|finns|are det|there @someone /3",
        "^ kan|can|could|may|får jeg|eg|jag|i få|get|have /3",
    ),
    # C: a need ("trenger skyss") or not being able to go out.
    "need": (
        "@need",
        "@not selv|själv|sjølv|myself|ut|out|leave|forlate|lämna /4",
    ),
    # Offers to help, not requests.
    "offer": (
        "@i|@me bli|become|være|vara|be|melde|registrere|register|sign|anmäla|jobbe|jobba|work "
        "frivillig|volunteer|volontär|volunteering|frivilligsentral* /4",
        "@i @want|@can|like|hvordan|korleis|hur|how volunteer|frivillig|volontär|volunteering /4",
        "@i hjelpe|hjelpa|hjälpa|help|bidra|contribute /3 -@need|@get|@me ~0",
        "@i hjelpe|hjelpa|hjälpa|help|bidra|contribute til|till|out|andre|andra|others|people|"
        "folk|eldre|äldre|elderly|naboer|grannar|neighbours|neighbors /4",
        "hjelpe|hjelpa|hjälpa|help|helping andre|andra|others|people|folk|eldre|äldre|elderly|"
        "naboer|grannar|neighbours|neighbors /2",
        "trenger|need|behöver|trengs|behövs dere|you|ni|det volunteers|frivillige|volontärer|"
        "@helpword /3",
        "frivilligsentral*|volunteering",
        "@i kan|can|could|will|want|gjerne|like|vil|vill handle|handla|shop|shopping|do|kjøpe|"
        "köpa|buy|kjøre|köra|drive|hente|hämta|lufte|rasta|walk /3",
        "@want|@can hjelpe|hjelpa|hjälpa|help til|till|out /3",
    ),
    # Questions for information, not requests.
    "info": (
        "er|is|är|are det|it|du|dere|ni lov|tillatt|tillåtet|allowed|safe|trygt|tryggt|ok|okay|"
        "greit|farlig|dangerous /3",
        "åpent|åpen|åpne|åpner|open|opens|öppet|öppen|öppnar|opnar|stengt|stenger|stängt|"
        "stänger|closed|closes|åpningstid*|öppettid*|opningstid*|opening",
        "hvor|where|var|kor ligger|finner|find|kjøpe|köpa|buy|kan|can /3",
        "koster|kostar|cost|costs|price|prices|pris|priser|prisen",
        "@i lurer|undrar|wondering|wonder /3",
        "fortelle|berätta|tell|forklare|förklara|explain @me /2",
        "hvordan|korleis|hur|how bestille|bestiller|beställa|order|ordering|handle|handla|shop|"
        "kjøpe|köpa|buy /4",
        "online|netthandel|nettbutikk*|hemleverans*|hjemlevering*|nettet|internett",
        # "trenger jeg resept?", "do I need a prescription?", "can I walk my dog in quarantine?"
        "^ trenger|treng|behøver|behöver|må|bør|måste jeg|eg|jag|vi|man|me /2 <1",
        "^ do|does|must|should i|we|you need|have /3",
        "^ kan|can|may|får|må|must|skal|should|bør|ska|could|dare|tør jeg|eg|jag|i|man|vi|we "
        "/2 -@helpword|få|fa|get|@someone|@not|@me ~4",
    ),
    # Help with an invoice, an application or a login is a question for the municipality.
    "admin": (
        "@helpword @admin /4",
        "@need @admin /3",
    ),
    # "I need help" with no task.
    "generic": (
        "@need|@get @helpword /3",
        "@helpword @me /3 -til|till|out ~0",
        "@can du|dere|ni|you @helpword /3",
        "hjelp|hjälp|help|sos #3 -out|til|till|andre|andra|others ~3",
    ),
}

# Real words that must not be read as typos of a pattern word (found with word lists: "cooking"
# is one edit from "choking", "kvelds" from "kveles").
_NOT_TYPOS: Final = frozenset(
    fold(word)
    for word in """
        cooking cooked coked coking chose chore chores shock stroll strike strikes strode strove
        stroked strobes broke breeding breeds blends blending bleeping blender bladder blonde
        bodde broder kvelds slags krammer klemmer kramp kramt kramar kamper krymper kramme
        pulser andre andra anders andel andelen anden ander annats endre ender under pauser
        brytes tyngre tyngden verden vender varme collapse collapses kollaps kollapsen
        kollapsene collared overdo overdoes overdoing overdone overused overjoyed burying
        downed downing dronning droning drawn brown epilepsi epilepsien epilepsin shouting
        skating skiting skryting racist rapid raced raged rated taped overalls overfull sizing
        seiling simma simmar simmade simmat svida svika slime flimmer besvikelse besvarelse
        prisning blodprov blodprovet blodgruppe bevisste bevisst bevista infart infarten
        subsidy subsidier prison prisons hjarteslag hjerteslag banken bank bunker bunkers
        slett slitt slott troer troet trust hostar hoster julen sparer spara stryker danger
        kylling skitt kvalm kvalmt kvalme kvart baten båten batene bandet bannet bankett elever
        klager klagar klagde skapa skala skaper fyller pusse pusser pusset paste poste breach
        breached breaches vekk vecka veckan veckor vackra vacker women aware walking svaret
        response responses respons heat skrev hender senter toaletter toalettene toaletten
        tables bakterien bakterier bakterie hoved hagel hageln typer stronger lived forsinke
        forsinket forsinka merke reker rykker skatt shops shows shoots shorts bread looked
        lacked licked blocked smelling selling spelling meditation bloody batter beach attached
        attaching attach hurtig showing shaving brenne brinna brenna føler føle følte følt
        kontakta kontakter kontaktar hjelper hjälper helps hjelpte hjälpte helped tankar
        tanker bakke bakker bakket hende hendte henter hente hentet spending roper roser roter
        burde borde sovne sovnet sovner lukker slippe slipper sleppe small sell spell shell
        movies mowing sitting katter stalled stacked meddelande meddelandet medverkande beviset
        bevisat bevist
        """.split()
)


_COMPILER = Compiler({name: words.split() for name, words in _GROUPS.items()})
_TASK_SET = compile_sets(_COMPILER, _HELP_TASKS.items())[0]
_SIGNAL_SETS = compile_sets(_COMPILER, _HELP_SIGNALS.items())[1]
_CLASSIFIER = Classifier(_COMPILER.atom_bits, _NOT_TYPOS)


# Help and small-talk detection may run on the same message one after the other.
@lru_cache(maxsize=32)
def _analyse(text: str) -> Analysis:
    return analyse(_CLASSIFIER, text, SCAN_CHARS)


# =============================================================================================
# The public functions
# =============================================================================================


_CATEGORIES: Final[dict[str, HelpCategory]] = {c: c for c in _HELP_TASKS}


def _signal(name: str, analysis: Analysis) -> bool:
    return _SIGNAL_SETS[name].first(analysis.masks, analysis.union) is not None


def help_signals(text: str) -> tuple[str, ...]:
    """The help patterns that match a message: each signal by name and each kind of task
    ("task:dog"). The learned help detector weighs them as features."""
    analysis = _analyse(text)
    if not analysis.union:
        return ()
    found = [name for name in _SIGNAL_SETS if _signal(name, analysis)]
    tasks = _TASK_SET.matches(analysis.masks, analysis.union)
    found += sorted({"task:" + pattern.label for pattern, _ in tasks})
    return tuple(found)


def detect_help_request(text: str) -> HelpMatch | None:
    """A request for a volunteer's practical help, if the message is one."""
    analysis = _analyse(text)
    if not analysis.union or _signal("admin", analysis):
        return None
    explicit = _signal("explicit", analysis)
    if not explicit and _signal("offer", analysis):
        return None
    asked = explicit or _signal("ask", analysis)
    if (asked or _signal("need", analysis)) and not _signal("info", analysis):
        tasks = _TASK_SET.matches(analysis.masks, analysis.union)
        specific = [(start, p.order, p.label) for p, start in tasks if p.label != "other"]
        if specific:
            return HelpMatch(_CATEGORIES[min(specific)[2]], HelpStrength.STRONG)
        if tasks and asked:
            return HelpMatch("other", HelpStrength.STRONG)
    if _signal("generic", analysis):
        return HelpMatch("other", HelpStrength.GENERIC)
    return None


# =============================================================================================
# Small talk: the whole message must be made of these phrases (and filler words)
# =============================================================================================

_SMALLTALK: Final[dict[SmalltalkKind, str]] = {
    # Order is priority: "hei, hvem er du?" is who_are_you, "ok takk" is thanks.
    "who_are_you": """
        hvem er du | kven er du | kem e du | hvem er dere | hva er du | kva er du | ka e du |
        er du en robot | er du en bot | er du ein robot | er du ein bot | er du en chatbot |
        er du et menneske | er du eit menneske | er du ekte | er du en person |
        snakker jeg med en robot | snakker jeg med en bot | snakker jeg med et menneske |
        hva kan du | hva kan du gjøre | hva kan du hjelpe med | hva kan du hjelpe meg med |
        hva kan du hjelpe til med | hva gjør du | kva kan du | kva kan du hjelpe med |
        kva kan du gjere | hvordan fungerer dette | hvordan funker dette | hvordan virker dette |
        hva er dette | kva er dette | hva slags bot er du | hva er denne tjenesten |
        vem är du | vad är du | är du en robot | är du en bot | är du en chattbot |
        är du en människa | är du på riktigt | pratar jag med en robot | pratar jag med en bot |
        vad kan du | vad kan du göra | vad kan du hjälpa till med | vad kan du hjälpa mig med |
        vad gör du | hur fungerar det här | hur fungerar detta | hur funkar det | vad är det här |
        vad är detta | who are you | what are you | are you a bot | are you a robot |
        are you a chatbot | are you human | are you a human | are you a person | are you real |
        am i talking to a bot | am i talking to a robot | am i talking to a human |
        is this a bot | what can you do | what do you do | what can you help with |
        what can you help me with | how does this work | what is this | whats this
    """,
    "how_are_you": """
        hvordan går det | hvordan har du det | hvordan står det til | korleis går det |
        korleis har du det | koss går det | åssen går det | åssen har du det | hvordan er det |
        går det bra | går det bra med deg | alt vel | alt bra | hva skjer | skjer | står til |
        hur mår du | hur är det | hur står det till | hur har du det | läget | hur är läget |
        hur går det | allt väl | allt bra | hur mås det | how are you | how are you doing |
        how r u | how are u | how is it going | hows it going | how do you do | how are things |
        whats up | what is up | what s up | how s it going | how s things | how s life | sup |
        you ok | are you ok | are you okay
    """,
    "bye": """
        ha det | ha det bra | ha det godt | ha det fint | hadet | hade | hade bra | hejdå |
        hej då | hej hej då | vi ses | vi snakkes | snakkes | snakkast | ses | sees |
        bye | bye bye | goodbye | good bye | see you | see ya | see you later | later |
        good night | god natt | godnatt | natta | farvel | adjø | ajø | takk for nå |
        tack för nu | ta vare på deg | ta hand om dig | take care | ha en fin dag |
        ha en god dag | ha ein fin dag | ha en bra dag | ha en trevlig dag | have a nice day |
        have a good day | have a great day | ha en fin kveld | ha en god kveld | ha en fin helg |
        ha en god helg | ha en trevlig helg | have a nice weekend | have a good weekend
    """,
    "thanks": """
        takk | takker | tusen takk | mange takk | takk skal du ha | takk for hjelpen |
        takk for hjelpa | takk for hjelpa di |
        takk for svaret | takk for svar | takk for info | takk for infoen |
        takk for informasjonen | takk for det | takk så mye | takk takk | hjertelig takk |
        tusen hjertelig takk | tusen hjartans takk | takk for god hjelp | takk for all hjelp |
        tack | tackar | tack så mycket | tack så mkt | tusen tack | stort tack | tack tack |
        tack för hjälpen | tack för svaret | tack för svar | tack för infon | tack för info |
        tack för informationen | tack för det | varmt tack | thanks | thank you | thanks a lot |
        thank you so much | thank you very much | thanks so much | many thanks |
        thanks for the help | thanks for your help | thank you for your help |
        thank you for the help | thanks for the info | thanks for the information |
        thanks for the answer | thanks for that | thank you for that | thx | ty | tnx | thanx |
        cheers | appreciate it | much appreciated | nei takk | nej tack | no thanks |
        no thank you | ok takk | okay takk | ok tack | okej tack | ok thanks | ok thank you |
        det var til stor hjelp | det var til god hjelp | det hjalp | det hjelper | det var nyttig |
        det hjälpte | det var till stor hjälp | det var till god hjälp | that helped |
        that helps | that was helpful | very helpful | helpful
    """,
    "greeting": """
        hei | hei hei | heisann | heisan | hallo | halla | hallaien | hallais | hei der |
        god morgen | godmorgen | god dag | goddag | god ettermiddag | god kveld | godkveld |
        god aften | morn | morna | mornings | sæl | heia | hej | hejsan | hej hej | hejhej |
        tjena | tjenare | tja | hallå | hejsan svejsan | hallåj | god morgon | godmorgon |
        gomorron |
        god eftermiddag | god kväll | hi | hello | hey | hiya | heya | howdy | yo | hi there |
        hello there | hey there | good morning | good afternoon | good evening | morning |
        greetings
    """,
    "ack": """
        ok | okay | okei | okey | oki | okej | k | kk | greit | greitt | fint | flott | supert |
        super | bra | perfekt | topp | toppen | kanon | skjønner | jeg skjønner | forstår |
        jeg forstår | skjønt | förstår | jag förstår | fattar | jag fattar | uppfattat |
        i see | got it | understood | great | cool | nice | fine | alright | all right | sure |
        perfect | good | yes | ja | jo | jepp | japp | jupp | yep | yup | yeah | ah | aha |
        ahh | ok da | ok då | det er greit | det er fint | det er bra | det går bra |
        det är bra | det är okej | det går bra | sounds good | noted | nei | nej | no | nope |
        fair enough | makes sense
    """,
}
# Words that may stand around small talk without making it a real question.
_FILLER: Final = frozenset(
    fold(word)
    for word in """
        du deg dere dykk ni dig you bot boten botten chatbot chattbot robot alle folkens
        everyone everybody all igjen igen again der there så og och and mye mycket mkt veldig
        very much so really da då jo vel nå no nu lol haha hehe hihi xd jaja mvh hilsen
        please pls plz vennligst snälla tusen mange hjertelig stort varmt idag today ikveld
        ikväll tonight then
    """.split()
)
_EMOJI_KINDS: Final[dict[str, SmalltalkKind]] = {
    "👍": "ack",
    "👌": "ack",
    "✅": "ack",
    "🆗": "ack",
    "🙂": "ack",
    "😊": "ack",
    "😀": "ack",
    "😃": "ack",
    "☺": "ack",
    "🙏": "thanks",
    "❤": "thanks",
    "💕": "thanks",
    "💙": "thanks",
    "🤗": "thanks",
    "👋": "greeting",
}
_EMOJI_IGNORED: Final = frozenset(
    "\ufe0f\ufe0e\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff !?.,:;-–—…~*'\""
)
_REPEATS: Final = re.compile(r"(.)\1+")


def _smalltalk_tables() -> tuple[dict[tuple[str, ...], int], dict[str, int], list[str], int]:
    phrases: dict[tuple[str, ...], int] = {}
    for rank, kind in enumerate(_SMALLTALK):
        for phrase in _SMALLTALK[kind].split("|"):
            key = tuple(words(fold(phrase)))
            if key:
                phrases.setdefault(key, rank)
    vocabulary = {word for phrase in phrases for word in phrase} | set(_FILLER)
    index = {word: i for i, word in enumerate(sorted(vocabulary))}
    longest = max(len(phrase) for phrase in phrases)
    return phrases, index, sorted(vocabulary), longest


_PHRASES, _VOCAB_INDEX, _VOCAB, _LONGEST_PHRASE = _smalltalk_tables()
_KINDS: Final[tuple[SmalltalkKind, ...]] = tuple(_SMALLTALK)
_NO_PHRASE: Final = len(_KINDS)


@lru_cache(maxsize=4096)
def _smalltalk_word(token: str) -> str | None:
    """The small-talk word a token stands for: itself, without repeated letters, or a typo."""
    if token in _VOCAB_INDEX:
        return token
    for squeezed in (_REPEATS.sub(r"\1\1", token), _REPEATS.sub(r"\1", token)):
        if squeezed in _VOCAB_INDEX:
            return squeezed
    edits = word_edits(len(token))
    if edits == 0 or token in STOPWORDS or token in _NOT_TYPOS:
        return None
    for word, _, _ in process.extract(
        token, _VOCAB, scorer=OSA.distance, score_cutoff=edits, limit=None
    ):
        if word_edits(len(word)) and (word[0] == token[0] or word[:2] == token[1::-1]):
            return word
    return None


def _emoji_only_kind(text: str) -> SmalltalkKind | None:
    """The small talk a message of emoji alone ("👍", "🙏") stands for."""
    kinds: set[SmalltalkKind] = set()
    for ch in clean(text[:200]):
        if ch in _EMOJI_IGNORED:
            continue
        kind = _EMOJI_KINDS.get(ch)
        if kind is None:
            return None
        kinds.add(kind)
    for kind in _KINDS:
        if kind in kinds:
            return kind
    return None


def detect_smalltalk(text: str) -> SmalltalkKind | None:
    """What kind of small talk the message is, when all of it is small talk."""
    if len(text) > 400:
        return None
    found = tokens(text)
    if not found:
        return _emoji_only_kind(text)
    if len(found) > _SMALLTALK_MAX_TOKENS:
        return None
    canonical: list[str] = []
    for token in found:
        word = _smalltalk_word(token)
        if word is None:
            return None
        canonical.append(word)
    # best[i]: the best (lowest) rank of a phrase in a full cover of the first i words by
    # phrases and filler; _NO_PHRASE when covered by filler alone, None when not covered.
    best: list[int | None] = [_NO_PHRASE] + [None] * len(canonical)
    for end in range(1, len(canonical) + 1):
        options: list[int] = []
        before = best[end - 1]
        if canonical[end - 1] in _FILLER and before is not None:
            options.append(before)
        for size in range(1, min(_LONGEST_PHRASE, end) + 1):
            rank = _PHRASES.get(tuple(canonical[end - size : end]))
            before = best[end - size]
            if rank is not None and before is not None:
                options.append(min(rank, before))
        best[end] = min(options) if options else None
    found_rank = best[-1]
    if found_rank is None or found_rank == _NO_PHRASE:
        return None
    return _KINDS[found_rank]
