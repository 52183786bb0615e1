"""Intents found in a resident's message before any knowledge-base matching.

Three questions are asked of every message, in this order by `bot.answering`:

- `detect_emergency`: does it describe acute danger (medical, fire, violence, suicide)? Recall
  comes first: a false alarm only costs showing the emergency numbers.
- `detect_help_request`: is the resident asking a volunteer for practical help (groceries,
  pharmacy, transport, dog) for themselves or someone they care for?
- `detect_smalltalk`: is the whole message a greeting, thanks, goodbye, "how are you", "who are
  you" or an acknowledgement?

Everything is plain Python: no Telegram imports, and every table is compiled at import.

How a pattern is written
------------------------
Emergency and help patterns are strings in a small language, matched against the message's
folded tokens (`bot.text.tokens`: lowercase, å/ä→a, ö/ø→o, æ→ae). Write words with or without
diacritics; they are folded when this module is imported.

    "@breathe @not /6"        one pattern: two slots, a window of 6 tokens

- Slots are separated by spaces. Every slot must match its own token, and all of them must lie
  within a window of N consecutive tokens (default: number of slots + 1), in any order.
- A slot lists alternatives separated by `|`:
    `word`   the word itself, or a typo of it: exact below 5 letters, one edit (OSA: insert,
             delete, substitute or swap two neighbours) from 5 letters, two edits from 9;
    `stem*`  any word starting with the stem (typos in the stem: exact below 6 letters, one
             edit from 6, two from 9);
    `*tail`  any longer word ending with the tail, exactly (compounds: "*brann" → skogbrann);
    `=word`  the word exactly, never a typo (`=stem*`: the stem exactly);
    `@group` every alternative of a group in `_GROUPS` (groups may use groups).
- Options: `/N` sets the window; `^` (first) keeps the slots in the written order; `#N` matches
  only messages of at most N tokens; `<N` only matches starting in the first N tokens (`<1`:
  the message begins with it); `-slot` is a veto: the pattern does not match if a token
  of that slot lies within the matched tokens or `~N` (default 2) tokens either side; `-<slot`
  looks only at the N tokens before the match, `->slot` only at those after. `~N` belongs to
  the veto before it. Veto words match exactly (a typo never cancels an emergency).

A pattern is looked up by its slot with the fewest stopwords (`bot.stopwords`); the other
slots are checked only when that one occurs. To add a phrase, add a line to the right table (and a
test to tests/test_intents.py). A real word that a trigger word mistakes for a typo (as
"cooking" for "choking") belongs in `_NOT_TYPOS`; to find them, run the words of the Debian
word lists (packages wnorwegian, wswedish, wbritish) through `_CLASSIFIER.classify` and look
at those that only match through a typo. Beware of words that mean something else in another
language: Norwegian "fire" is "four", "hit" is "here", "rape" is "burp".
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.kb.schema import Situation
from bot.stopwords import STOPWORDS
from bot.text import clean, fold, tokens, words

__all__ = [
    "EmergencyMatch",
    "HelpCategory",
    "HelpMatch",
    "HelpStrength",
    "SmalltalkKind",
    "detect_emergency",
    "detect_help_request",
    "detect_smalltalk",
]

HelpCategory = Literal["groceries", "pharmacy", "transport", "dog", "other"]
SmalltalkKind = Literal["greeting", "thanks", "bye", "how_are_you", "who_are_you", "ack"]

# Emergency and help detection read this much of a message: all of any real message. The cost
# is linear in it (every table is precompiled and each token is classified once).
SCAN_CHARS: Final = 10_000
# Longer messages are never small talk.
_SMALLTALK_MAX_TOKENS: Final = 12


@dataclass(frozen=True, slots=True)
class EmergencyMatch:
    """An emergency found in a message."""

    situation: Situation
    # The pattern that matched, for tests and logs; never the resident's text.
    phrase: str


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
# Word groups shared by the pattern tables
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
    "i_we": "jeg eg e æ je jæ jag i vi me we",
    "me": "meg mig me oss us",
    "self": "selv sjølv själv sjølve myself self",
    "want": "vil vill ville ønsker ønskjer önskar lyst lust want wants wanna wish",
    # someone who acts: the other person in a violence pattern
    "agent": """
        han hun ho hon he she someone somebody noen nokon någon nån nan naan mannen kona
        kjæresten kjæreste typen pojkvännen flickvännen exen eksen exet boyfriend girlfriend
        husband ex stefar stepfather pappa faren dad father mamma mor mother broren bror
        brother they de dei naboen grannen neighbour neighbor mann guy kar fyr
    """,
    # people a resident writes about
    "person": """
        han hun ho hon hen he she him her ham honom henne mamma mor mora mother mum mom mommy
        mummy pappa far faren father dad daddy barnet barn babyen baby bebisen bebis child kid
        son sonen sønn sønnen sonnen dotter dottern datter dattera dotra daughter kona kone frua
        wife mannen husband mann sambo* partner* kjæresten kjæreste boyfriend girlfriend
        bestemor bestefar mormor morfar farmor farfar grandma grandpa grandmother grandfather
        nabo naboen granne grannen neighbour neighbor bror broren brother søster syster systern
        sister venn vennen venninne* kompis* friend noen nokon någon someone somebody person
        personen gubben kjerringa
    """,
    "victim": """
        meg mig me oss us henne her ham honom him mamma mor mora mother mum mom pappa far
        father dad barna barnet ungene ungane ungen kids children child son sonen sønnen
        datter dottern daughter kona frua wife mannen husband sambo* kjæresten partner naboen
        granne grannen sister søster syster bror broren brother familien family
    """,
    # -- medical ------------------------------------------------------------------------------
    "breathe": """
        pust* puster pustar puste pusta andas andes andades andats andning* andedrett*
        andedrag* breath*
    """,
    "stop": """
        sluttet slutta slutte slutat slutar stoppet stoppa stoppet stopped stopping stops
        stoppat stanset stansa stannat stannade stanna quit ceased
    """,
    "hard": """
        tungt tung vanskelig vanskeleg svårt trouble difficult difficulty difficulties hard
        struggling struggles struggle problem problemer problems besvær kjemper kämpar
        gisper gasping gasps
        pustebesvær* andningsbesvär* andningssvårighet* tungpust*
    """,
    "wake": """
        våkner vakner vaknar våkne vakna vakne wake waking awake vekke vekkja vekkje väcka
        vekket väckt vekker väcker woken
    """,
    "answer": """
        svarer svarar reagerer reagerar reagere reagera responding respond responds responsive
        reacting reacts answering =kontaktbar*
    """,
    "heart": "hjerte hjertet hjarte hjartet hjarta hjärta hjärtat heart",
    "chest": """
        bryst brystet brysta brystkassa brystkassen bringa bringen bröst bröstet bröstkorgen
        bröstkorg chest
    """,
    "pain": """
        vondt vont ont smerte smert* smärta smärt* pain* hurt hurts hurting ache aches aching
        verk verker verkjer värk värker trykk* tryck* press* tight* tyngde tungt klem klemmer
        stikk* sting* hugg brenner svir svider burning crushing squeezing
    """,
    "droop": """
        skjev skjeiv skeiv skev sned hengende hengjande henger hengjer hänger hängande
        drooping droops droopy droop sagging slapp slappe
    """,
    "mouth": """
        ansikt* munn munnen munnvik* mun munnen mungip* mouth face smile leppe* lip lips
    """,
    "throat": """
        hals halsen throat luftrøret luftrøyret luftstrupen luftstrupe luftveien luftvegen
        luftvägen luftvägarna windpipe airway vrangstrupen
    """,
    "stuck": "fast fastnat fastna fastnet fastna satt sitter setter sett stuck lodged caught",
    "pills": """
        piller pillene pills pill tabletter tablettene tablets tabletten medisin medisinen
        medisiner medisinene medisinar medicin medicinen mediciner medication medications
        medicine medicines sovepiller sovemedisin sovtabletter sleeping paracet* paracetamol
        ibux insulin
    """,
    "swallow": """
        svelget svelgt svelgde svalt svalde svalg swallowed swallow swallows drukket drakk
        drack druckit drank drunk spist spiste åt ätit ate eaten tatt tok tagit tog took taken
    """,
    "toxic": """
        klor klorin bleach rengjøringsmiddel* rengöringsmedel* vaskemiddel* oppvaskmiddel*
        diskmedel* tvättmedel* lampeolje lampolja batteri batteriet battery lut lye
        antifreeze frostvæske rottegift råttgift weedkiller ugressmiddel giftig poisonous
    """,
    "child": """
        barnet barn ungen ungen babyen baby bebisen child kid toddler son sonen sønnen
        datter dottern daughter jenta gutten
    """,
    "severe": """
        alvorlig alvorleg kraftig kraftigt sterk sterkt svår grav severe serious bad heavy
        voldsom voldsomt massive
    """,
    "swell": """
        hovner hovnar hovne hoven hovent svulmer svullnar svullen svullet swelling swollen
        swells swell
    """,
    "call": """
        ring ringe ringa ringer ringt ringde call calling called trenger treng trengs behöver
        behövs need needed now nå nu kom komme send
        sende skicka tilkalle tilkall tillkalla get
    """,
    "fall": "falt falle faller datt detter ramla ramlat ramlade ramlet fell fallen föll fallit",
    # -- fire ---------------------------------------------------------------------------------
    # Not "fire", which is also Norwegian for "four": English fire has patterns of its own.
    "fire": "=brann =brannen =brand =branden eld =elden ild =ilden",
    "fire_en": "fire fier fiire",
    "place": """
        huset hus house home hjemme hemma heime leiligheten leilegheita lägenheten apartment
        flat kjøkkenet kjøkenet köket kitchen rommet rummet room garasjen garaget garage
        kjelleren källaren basement loftet vinden attic bygget building trappen trappa
        trapphuset trapphuset stairwell oppgangen gangen hallway
    """,
    # -- violence -----------------------------------------------------------------------------
    "hit": """
        slår slaar slog slo slått slagit slær banker juler jule juling denger dengjer
        beating beats beat punching punches punched punch kicking kicks kicked
        sparker sparkar sparka sparket kveler kvelar stryper stryper strangling strangles
        angriper angrip* angrep attacking attacks attacked assaulting assaults assaulted truer
        truar trua trugar truga hotar hotade threaten* knivstikker stikker stabbing skyter
        skjuter shooting voldtar våldtar dytter dyttar pushing =shoved =shoving kvelte kvalte kvävde
        =strupetak* =struptag*
    """,
    "victim_passive": """
        banket juling mishandlet mishandla misshandlad misshandlade truet trua truga hotad
        hotade angrepet angripen overfalt överfallen skutt skjuten kvalt forfulgt förföljd
        förföljs
    """,
    "victim_passive_en": """
        attacked beaten assaulted threatened punched kicked stabbed strangled hit followed
        stalked raped
    """,
    "kill": "drepe drepa drep dreper drap döda dödar mörda mördar myrde murder kill killing kills",
    "weapon": """
        kniv kniven knivar knife knives pistol pistolen pistoler gun guns revolver våpen vapen
        vapnet våpenet weapon weapons gevær geværet gevar geväret rifle hagle hagla shotgun øks
        øksa yxa yxan axe machete macheten balltre basebollträ
    """,
    "holds": """
        med with har has have had holding holds holder håller hallar viftar vifter vifta waving
        waves wielding bærer bär carrying carries truer hotar threatening threatens pointing
        peker pekar siktar sikter aiming
    """,
    "break": "bryter bryte bryt bryta brøt bröt braut tar ta tok tog tvinger tvingar",
    "thief": """
        innbruddstyv* inbrottstjuv* burglar burglars tyv tyven tyver tjuv tjuven tjuvar thief
        thieves fremmed fremmede främling främlingen stranger strangers ukjent okänd
    """,
    # -- suicide ------------------------------------------------------------------------------
    "live": "leve leva live living alive lever lever",
    "orke": "orker orkar orke orka orkeh klarer klarar pallar palla",
    "more": "mer meir mere lenger lengre längre more anymore",
    "end": """
        ta tar tok tatt taa tage tog tagit take taking took end ending ende avslutte avslutta
        avsluta avslutter avslutar
    """,
    "life": "livet life liv livet",
    "mine": "meg mig me my mitt mi min mitt eget egna own seg sig himself herself",
    # not "harm", which is also Norwegian for "angry" ("harm på meg selv")
    "harm": """
        skade skada skader skadar hurt hurting harming cut cutting kutte kutta kutter
        skjære skjaere skjære skära skär
    """,
}

# A fire, "brenner", that is not a fire: a body that burns, a passion ("brenner for"), a fire
# people light on purpose.
_NOT_A_FIRE = "".join(
    """
    -for|hals|halsen|throat|øyne|øynene|öga|ögon|ögonen|eyes|tisser|kissar|pee|peeing|urin*|
    munn|munnen|huden|skin|sol|solen|sun|kalorier|calories|lys|lyset|stearinlys|ljus|ljuset|
    candle|candles|bål|bålet|grill*|peis|peisen|kamin|kaminen|fyrverkeri|bryst|brystet|
    bröstet|chest|magen|magen|stomach|sår|såret|wound|fingrene|fingers|føttene|feet|
    leggene|legs
    """.split()
)

# "what do I do if there is a fire?", "is it legal to have a fire in the garden?"
_NOT_NOW = (
    "-if|hvis|dersom|ifall|viss|legal|lov|allowed|tillatt|tillåtet|lage|make|light|tenne|"
    "tända|bål|bonfire|ban|forbud*|förbud* ~4"
)
# "the crisis hit us hard"
_NOT_A_BLOW = (
    "-hard|hardt|crisis|krisen|pandemic|pandemien|virus|viruset|covid|corona|korona|economy|"
    "økonomien|ekonomin|news|nyheten ~3"
)
# "laget ble slått": a match, not an assault
_NOT_A_FIGHT = "-laget|lag|team|match|kamp|kampen|cup|cupen|finale|finalen|valget|election ~3"

_WHICH_NUMBER = (
    "-how|hvordan|hur|korleis|what|hva|kva|vad|which|hvilket|vilket|number|nummer|nummeret|"
    "numret|sweden|sverige|norway|norge|noreg ~4"
)

# =============================================================================================
# Emergency patterns, checked in this order: the first situation that matches wins
# =============================================================================================

_EMERGENCY: Final[dict[Situation, tuple[str, ...]]] = {
    "fire": (
        "brenner|brinner|=brenn|=brinn|burning|=brinnande " + _NOT_A_FIRE + " ~3",
        "brenner|brinner|=brenn|brant|=brann fullt|full /3",
        "@fire i|på|hos /2 " + _NOT_NOW,
        "^ there s|is|was|re|are @fire|@fire_en /4 " + _NOT_NOW,
        "^ on @fire_en /2",
        "^ @fire_en in|at the|my|our|a|an|his|her|their|next /3 " + _NOT_NOW,
        "^ house|kitchen|car|forest|building|apartment|flat|chimney|grass|bush @fire_en /2",
        "@fire_en caught|catching|catches /3",
        "@fire_en #1",
        "^ @fire_en @fire_en|help|please|hjelp|hjälp /2",
        "spread|spreading|spreads @fire_en|flames /3",
        "^ det er|e|ar|är @fire /3 " + _NOT_NOW,
        "fyr|eld tatt|teke|tekje|tok|tar|tog|tagit|fått|fattat|fattade /3",
        "begynt|begynte|begynner|byrja|starta|startet|startade|started|börjat|började brenne|"
        "brenna|brinna|burn|burning /3",
        "fyr full /2",
        "=flammer|=flammene|=flammor|=lågor|=lågorna|=flames",
        "*brann|*brand|=housefire|=wildfire",
        "gasslekk*|gaslukt*|gasslukt*|gasläck*",
        "gas|gass lekker|lekk|läcker|leak|leaking|lukter|luktar|smell|smells /3",
        "røyk|rök|ryk|smoke overalt|överallt|everywhere|full|fullt|fylt|fyllt|filling|filled|"
        "coming|kommer|siver|pouring|billowing|thick|tykk|tjock|svart|black|@place /3",
        "ryker|ryk det|fra|från|frå|ur|ut|from|@place /2",
        "brannalarm*|brandlarm*|røykvarsler*|brandvarnare*|smoke går|gar|gikk|went|going|"
        "ljuder|tjuter|alarm|hyler|uler|larmar|larmer|ringer|ringing|sounding /3",
        "lukter|luktar|lukta|smell|smells|smelling røyk|rök|smoke|brent|bränt|burning|brann|"
        "brand /3",
        "spredt|spreder|sprer|spredd|sprider|spridit bål|bålet|brannen|elden|ilden|flammene|"
        "flammorna|branden /4",
        "@fire|burning|=flames #3",
    ),
    "violence": (
        "^ @hit @victim /3 " + _NOT_A_BLOW,
        # not "hit" with every victim: it is also Norwegian for "here" ("flytte hit med barna")
        "^ hit|hits|hitting me|us|her|him|my|them /2 " + _NOT_A_BLOW,
        "^ blir|ble|blei|blev|blitt|blivit|vorte|vert|vart|being|been|getting|gets|get|got|was|"
        "were|is|are|am|m "
        "@victim_passive|@victim_passive_en|slått|slagen|slegen /3 "
        + _NOT_A_FIGHT
        + " "
        + _NOT_A_BLOW,
        "=slå @victim /3 -ned|opp|av|på|sammen|fast|ut|til|tilbake ~1",
        "knivstukket|knivstukken|knivhugget|knivhuggen|=stabbed",
        # not "rape", which is also Norwegian for "burp"
        "=voldt*|=våldt*|=raped|=raping|=rapist|=molested|=molesting",
        "misshandlar|misshandlas|misshandlade|mishandler|mishandlar|mishandlet|mishandles",
        "=overfaller|=overfalt|=overfalles|=överfaller|=överfallen|=överföll",
        "@agent @kill @victim /6",
        "truer|truar|trugar|hotar|hotade|threatens|threatening|threatened @kill /4",
        "^ @agent livet @victim /6",
        "@agent hurting|hurts|hurt|skader|skadar|skada|skadet @victim /6",
        "^ beating|beat|beats|banker|banke|banket|denger|juler up|opp /2",
        "@break seg|sig inn|in /4",
        "^ breaking|break in|into /2",
        "innbrudd|inbrott|innbrot|burglary pågår|progress|akkurat|happening|ongoing|skjer|"
        "sker|nu /3",
        "^ innbrudd|inbrott|innbrot|burglary|break hos|i|in|at|på @me|huset|leiligheten|"
        "lägenheten|hjemme|hemma|heime /4",
        "=inntreng*|=inkräktare*|intruder*",
        "@thief @place|inne|inside|hagen|trädgården|garden|yard|døra|dörren|door /5 "
        "-protect|beskytte|sikre|sikrer|skydda|skyddar|mot|against|prevent|forebygge|"
        "förebygga|tips|råd ~3",
        "@weapon @holds /3",
        "=skyting|=skyteepisode*|skottlossning*|gunfire|gunshot*|=shooting|=shootings|shootout",
        "skudd|skott|shots avfyrt|avlossade|fired|hører|hörde|hear|heard|hørt|hort|høyrer /3",
        "vold|våld|violence|slagsmål|bråk pågår|happening|ongoing|progress|skjer|sker|"
        "utenfor|utanför|outside /3",
        "=slåss|fighting|slåst|slost ute|utenfor|utanför|outside|gangen|trappen|trapphuset|"
        "gata|gaten|gatan|street|folk|people|men|menn|gutter|guys /3",
        "følger|følgjer|följer etter|efter @me /3",
        "forfølger|forfølgjer|förföljer|following|stalking|stalker|stalks @me /3",
        "låst|låste|locked|stengt|stängt|sperret @victim inne|in|inn /4",
    ),
    "suicide": (
        # "suicide helpline", "självmordslinjen": a question for the knowledge base
        "selvmord*|sjølvmord*|självmord*|suicid*|selfmord* -*linjen|*linja|*linje|linjen|linja|"
        "linje|line|helpline|hotline|*telefon|*telefonen|telefon|telefonen|nummer|nummeret|"
        "numret|number|hjelpetelefon*|stødtelefon*|stödlinje* ~1",
        "=selvskad*|=sjølvskad*|=självskad*|selfharm*|=selvskading*",
        "@kill @self /4",
        "@harm @self /4",
        "self harm|harming /2",
        "^ harm myself|himself|herself|themselves /2",
        "@end @life @mine /4 -of|care|omsorg|vård|vard|pleie|palliativ*|slutten ~2",
        "@want @not @live /5 -fear|frykt|rädsla|redsel ~2",
        "@want @not her|här|here|finnes|finnas|exist|existere|existera|alive @more /6",
        "^ @i @want @not @wake /5",
        "@orke @not @live|livet /5",
        "@orke @not @more /4",
        "^ @not go on /3",
        "vil|vill|ville|ønsker|önskar|lyst|lust dø|døy|dö|død|døden|döden /4 -@not ~1",
        "want|wanna|wish|wished|rather dead|die|dying /4 -@not ~1",
        "better|bedre|bättre dead|død|död /3",
        "better|bedre|bättre @i_we|@me without|uten|utan /4 -leve|live ~0",
        "ingen|inga|inget|no|not|@not grunn|grund|anledning|vits|poeng|mening|meining|reason|"
        "point|worth|verdt|värt @live|livet|life /6",
        "@not|no|nobody|noone miss|savne|savnet|sakna|saknar|saknat @me /5",
        "@i_we byrde|börda|burden /5",
        "henge|henger|hänga|hang|henga @me|@self|seg|sig /2 -på|pa|on|med|with|ut|out|around|"
        "rundt|opp|upp|up ~1",
        "thinking|think|tenker|tänker|going|gonna|planning|plan|planer ending|end it /4",
        "skåret|skar|skjærer|skär|skurit|kuttet|kutter|kuttar|cut|cutting|slit|slitting "
        "meg|mig|myself|my "
        "arm|armen|armene|armarna|armane|håndleddet|håndleddene|handleden|handlederna|wrist|"
        "wrists|lårene|låren|thighs /4",
        "@want forsvinne|forsvinna|forsvinn|disappear|vanish /4",
        "@want sove|sova|sleep|somne|somna for|för|forever|alltid|evig|evigt /4",
        "^ @i @want aldri|aldrig|never @wake /5",
        "end it all /3",
        "gjøre|gjere|göra|gjør|gör slutt|slut alt|allt|hele|det|livet /4",
        "lei|trøtt|trött|tired|sick @live|livet|life /3",
        "mørke|mörka|dark tanker|tankar|thoughts /2",
        "hoppe|hoppa|hopper|hoppar|jump|jumping bro|brua|broen|bron|bridge|taket|roof|"
        "balkongen|balcony|stupet|cliff|building|bygget|fjellet|foran|framför|front|toget|"
        "tåget|train /4",
    ),
    "medical": (
        # "no trouble breathing" is vetoed in both; "han har problemer med å puste og puster
        # ikke" is still found by the first, "han puster tungt, ikke bra" by the next but one.
        "@breathe @not /6 -nose|nesen|nesa|nasen|näsan|nosen ~4 -@hard ~1",
        "luft|luften|air @not|no /3 -condition*|kvalitet*|quality|fresh|frisk|friskt ~2",
        "@breathe @stop /5",
        "@breathe @hard /4 -<@not|no|without|uten|utan ~2",
        "andnød|pustebesvær*|andningsbesvär*|andningssvårighet*|tungpust*|breathless*|andfådd "
        "-<@not|no|without|uten|utan ~2",
        "short breath /3",
        # unconscious, unresponsive, collapsed
        "bevisstløs*|bevisstlaus*|medvitsl*|medvetsl*|medvitlaus*|unconscious*|unresponsive*|"
        "uncontactable",
        "bevisst|medvetet los|laus|løst /2",
        "bevisst|bevissthet|bevisstheten|medvetande|medveten|medvit|medvitet|conscious @not /4 "
        "-på|om|of|about|that|at|att ~1",
        "=livløs|=livløst|=livløse|=livlaus|=livlause|=livlös|=livlöst|lifeless",
        "besvimt|besvimte|besvimer|besvime|besvima|=besvimelse|=svimt|=svimte|=svime|=svima|"
        "=svimmat|=svimmade|=svimma|=svimmar|=dånet|=dånte|=dånade|=dånat|fainted|fainting",
        "passed|blacked out /2",
        "=kollapset|=kollapsa|=kollapsade|=kollapsat|=kollapsar|=kollapser|collapsed|"
        "=collapses|collapsing",
        "@fall om|ihop|sammen|saman|over|down /2",
        "=segnet|=segna|=segnade|=segnat",
        "illebefinnende*|ildebefinnende*",
        "@fall @not opp|upp|up /7",
        "ligger|ligg|ligge|lying|laying|lies gulvet|golvet|golvet|bakken|marken|floor|ground /4",
        "@wake @not /4",
        "@answer @not @person /7 -mail|mails|email|emails|epost|meldinger|meldingar|"
        "meddelanden|messages|sms|text|texts|telefon|telefonen|phone|mobilen|mobil|calls ~3",
        "=kontaktbar* @not /3",
        "slapp|slappe|livløs|blek|kald|kaldsvett|limp|pale @answer @not /6",
        "beveger|beveg|rører|rør|rör seg|sig @not /3",
        "@person moving|moves|move @not /5",
        "puls|pulse|pulsen no|@not|finner|find|kjenner|känner|feel /3 "
        "-oximeter|oksymeter|pulsoksymeter|måler|mätare|klokke|klocka|watch ~2",
        # heart
        "hjertestans*|hjertestopp*|hjartestans*|hjärtstopp*|hjärtstillestånd*|hjerteinfarkt*|"
        "hjarteinfarkt*|hjärtinfarkt*|=infarkt*|heartattack*|hjerteattakk*|hjerteanfall*|"
        "hjärtattack*|hjärtanfall*|hjertestarter*|hjärtstartare*|defibrillator* "
        "-kurs|kurset|course|training|opplæring|utbildning ~2",
        "@heart stans|stopp|stoppet|stoppa|stansa|stanset|stannat|stannade|stanna|stopped|"
        "attack|attakk|anfall|infarkt|arrest /4",
        "cardiac arrest /2",
        "@heart @not slår|slar|beating|beat|banker /4",
        "@chest @pain /4",
        "@heart @pain /4",
        "brystsmert*|bröstsmärt*|=brystverk*|chestpain*|brystsmerte",
        # stroke
        "hjerneslag*|hjerneblødning*|hjerneinfarkt*|hjarneslag*|slagtilfelle*|=slaganfall*|"
        "=stroke|=strokes|hjärnblödning*|hjärninfarkt*|=blodpropp*",
        "=slag fått|fikk|fick|fekk|hatt|har|hadde|tror|trur|kanskje|kanske|trolig /3",
        "@droop @mouth /3",
        "blå|blått|blåe|blue|blåblek @mouth /3",
        "^ blir|ble|blei|blitt|blivit|turning|turned|går blå|blått|blue /2",
        "lam|lammet|lammelse*|lamma|förlamad|förlamning|paralyzed|paralysed|paralysis arm|armen|"
        "arma|side|siden|sida|sidan|ben|benet|leg|kroppen|body|@mouth /4",
        "sluddr*|=slurr*|=snøvl*",
        "utydelig|otydlig|otydligt|uklar|garbled tale|talen|tal|talet|speech|snakker|pratar|"
        "prater|snakke|prata|talking|speaking /3",
        # choking, bleeding, poisoning, allergy, drowning, seizure
        "choking|choked|=choke|chokes|=kveles|=kvelast|=kvelas|=kvävs|=kvävas|kvävdes|"
        "=kvävning*|=kvelning*|vrangstrupen|vrangstrupa|heimlich*",
        "@stuck @throat /4",
        "=blør|=bløder|=blöder|=blødde|=blödde|bleeding|=bleeds|=bled|=blæder "
        "-tannkjøtt*|tandkött*|gums|gum|tennene|tänderna|teeth|mens|menstru*|period ~3",
        "blod|blood|blodet mye|mykje|masse|mycket|massa|massor|lots|lot|much|spruter|sprutar|"
        "spurting|pumper|pumpar|overalt|överallt|everywhere|pøl|pool|pools /3",
        "pulsåre*|artery|arterie* kutt*|skar|skåret|cut|hugget /3",
        "kuttet|kutta|kuttat|skåret|skar|skurit|cut dypt|djupt|deep|deeply|badly|stygt|illa /4",
        "kaster|kastar|spyr|kräks|kräktes|vomiting|vomits|vomit|throwing|coughing|hoster|"
        "hostar|hostet blod|blood /4",
        "overdos*|överdos*|overdosed",
        "forgift*|förgift*|poisoned|=poisoning|=poison*|giftinformasjon*|giftinformation*",
        "for|för|too|altfor|alt|allt mange|många|many|mye|mycket|much @pills /4",
        "hele|hela|whole|all|alle|alla|hel|heile @swallow @pills /6",
        "@swallow @toxic /4",
        "@child @swallow @pills /5",
        "insulinsjokk*|insulinchock*|=føling|hypoglyk*|sukkerfall",
        "=propp|=proppen fått|fick|fikk|fekk|har|hjärnan|hjärtat|hjernen|hjertet /3",
        "anafylak*|anafylax*|anaphyla*|=epipen*|adrenalinpenn*|adrenalinpenna*",
        "allergisk|allergic sjokk|chock|shock /2",
        "@severe allergisk*|allergi*|allergic* /3 -vanlig|vanleg|vanligt|common|ofte|often|"
        "risiko|risk|risken|sjanse|chance|sannsynlig|likely ~4",
        "@swell @throat|tunge|tungen|tunga|tongue|lepper|leppene|läppar|lips /3",
        "=drukn*|=drunkn*|=drowning|=drowned|=drowns|=drown",
        "=kramper|=krampar|krampeanfall*|krampanfall*|=epileptisk*|epilepsianfall*|=epileptic|"
        "seizure*|=seizing|convuls*|krampetrekning*|krampryckning*",
        "having|har|has|fått|fikk|fekk|fick fit|=anfall|=anfallet /4",
        # "how do I call an ambulance?", "what number is 112?": questions for the knowledge base
        "ambulans* @call /3 " + _WHICH_NUMBER,
        "113|112|911|999 ring|ringe|ringa|call|calling|called|ringt|ringde|ringer /3 "
        + _WHICH_NUMBER,
    ),
}
# The order of `_EMERGENCY` above is the order of preference when a message matches several.

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


# =============================================================================================
# The compiler: atoms, slots and patterns
# =============================================================================================

AtomKind = Literal["word", "stem", "prefix", "tail", "exact"]


@dataclass(frozen=True, slots=True)
class _Atom:
    kind: AtomKind
    text: str


def _word_edits(length: int) -> int:
    """How many typos a word of this length may have and still match."""
    return 0 if length < 5 else 1 if length < 9 else 2


def _stem_edits(length: int) -> int:
    """How many typos a stem of this length may have and still match."""
    return 0 if length < 6 else 1 if length < 9 else 2


def _parse_atom(raw: str) -> _Atom:
    kind: AtomKind = "word"
    text = raw
    if text.startswith("=") and text.endswith("*"):
        kind, text = "prefix", text[1:-1]
    elif text.startswith("="):
        kind, text = "exact", text[1:]
    elif text.endswith("*"):
        kind, text = "stem", text[:-1]
    elif text.startswith("*"):
        kind, text = "tail", text[1:]
    folded = words(fold(text))
    if len(folded) != 1 or "*" in text or "=" in text:
        raise ValueError(f"not a single word: {raw!r}")
    return _Atom(kind, folded[0])


def _expand(
    alternatives: Iterable[str], seen: tuple[str, ...] = (), exact: bool = False
) -> frozenset[_Atom]:
    """The atoms of a slot. With `exact`, words and stems match only as written."""
    atoms: set[_Atom] = set()
    for raw in alternatives:
        if not raw:
            raise ValueError("empty alternative: a stray '|'?")
        if raw.startswith("@"):
            name = raw[1:]
            if name in seen:
                raise ValueError(f"group @{name} uses itself")
            atoms |= _expand(_GROUPS[name].split(), (*seen, name), exact)
        else:
            atom = _parse_atom(raw)
            if exact and atom.kind in ("word", "stem"):
                atom = _Atom("exact" if atom.kind == "word" else "prefix", atom.text)
            atoms.add(atom)
    return frozenset(atoms)


@dataclass(frozen=True, slots=True)
class _Veto:
    """Tokens that cancel a match: `before` tokens before it and `after` tokens after it."""

    bits: int
    before: int
    after: int
    inside: bool  # the matched tokens themselves count too

    def cancels(self, masks: Sequence[int], first: int, last: int) -> bool:
        lo = max(0, first - self.before)
        hi = min(len(masks), last + self.after + 1)
        return any(
            masks[i] & self.bits for i in range(lo, hi) if self.inside or not first <= i <= last
        )


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One compiled pattern: its slots are bits of the token masks."""

    source: str
    label: str
    order: int
    slots: tuple[int, ...]
    trigger: int  # index of the slot looked up first
    window: int
    ordered: bool
    vetoes: tuple[_Veto, ...]
    max_tokens: int
    start_within: int  # the match must begin before this token
    need: int  # every slot's bit

    def find(self, masks: Sequence[int]) -> int | None:
        """The first token of a match in `masks`, or None."""
        n = len(masks)
        if n > self.max_tokens:
            return None
        trigger_bit = self.slots[self.trigger]
        others = [i for i in range(len(self.slots)) if i != self.trigger]
        w = self.window
        for t in range(n):
            if not masks[t] & trigger_bit:
                continue
            lo, hi = max(0, t - w + 1), min(n, t + w)
            choices: list[list[int]] = []
            for slot in others:
                bit = self.slots[slot]
                found = [i for i in range(lo, hi) if i != t and masks[i] & bit]
                if not found:
                    break
                choices.append(found)
            else:
                start = self._place(masks, t, others, choices)
                if start is not None:
                    return start
        return None

    def _place(
        self, masks: Sequence[int], t: int, others: list[int], choices: list[list[int]]
    ) -> int | None:
        for combo in itertools.product(*choices):
            positions = [t, *combo]
            if len(set(positions)) != len(positions):
                continue
            first, last = min(positions), max(positions)
            if last - first >= self.window or first >= self.start_within:
                continue
            if self.ordered:
                by_slot = sorted(zip([self.trigger, *others], positions, strict=True))
                placed = [position for _, position in by_slot]
                if placed != sorted(placed):
                    continue
            if any(veto.cancels(masks, first, last) for veto in self.vetoes):
                continue
            return first
        return None


class _Compiler:
    """Turns pattern strings into bit masks, and words into the bits they carry."""

    def __init__(self) -> None:
        self.slot_bits: dict[frozenset[_Atom], int] = {}
        self.atom_bits: dict[_Atom, int] = {}

    def slot(self, spec: str, exact: bool = False) -> int:
        atoms = _expand(spec.split("|"), exact=exact)
        if not atoms:
            raise ValueError(f"empty slot: {spec!r}")
        bit = self.slot_bits.get(atoms)
        if bit is None:
            bit = 1 << len(self.slot_bits)
            self.slot_bits[atoms] = bit
            for atom in atoms:
                self.atom_bits[atom] = self.atom_bits.get(atom, 0) | bit
        return bit

    def pattern(self, label: str, order: int, source: str) -> _Pattern:
        slots: list[int] = []
        slot_specs: list[str] = []
        vetoes: list[tuple[str, int, int]] = []  # (side, bits, margin)
        window: int | None = None
        ordered = False
        max_tokens = start_within = 1 << 30
        for part in source.split():
            if part == "^":
                ordered = True
            elif part[0] == "/":
                window = int(part[1:])
            elif part[0] == "#":
                max_tokens = int(part[1:])
            elif part[0] == "<":
                start_within = int(part[1:])
            elif part[0] == "~":
                if not vetoes:
                    raise ValueError(f"~N without a veto before it: {source!r}")
                side, bits, _ = vetoes[-1]
                vetoes[-1] = (side, bits, int(part[1:]))
            elif part[0] == "-":
                side = part[1] if part[1:2] in ("<", ">") else ""
                vetoes.append((side, self.slot(part[1 + len(side) :], exact=True), 2))
            else:
                slots.append(self.slot(part))
                slot_specs.append(part)
        if not slots:
            raise ValueError(f"pattern without slots: {source!r}")
        # Look the pattern up by its slot with the fewest common words (the first, on a tie).
        common = [
            sum(atom.text in STOPWORDS for atom in _expand(spec.split("|"))) for spec in slot_specs
        ]
        trigger = common.index(min(common))
        return _Pattern(
            source=" ".join(source.split()),
            label=label,
            order=order,
            slots=tuple(slots),
            trigger=trigger,
            window=window if window is not None else len(slots) + 1,
            ordered=ordered,
            vetoes=tuple(
                _Veto(bits, 0 if side == ">" else m, 0 if side == "<" else m, not side)
                for side, bits, m in vetoes
            ),
            max_tokens=max_tokens,
            start_within=start_within,
            need=sum(set(slots)),
        )


class _PatternSet:
    """Patterns indexed by the bit of their trigger slot."""

    def __init__(self, patterns: Sequence[_Pattern]) -> None:
        self.patterns = tuple(patterns)
        self._by_trigger: dict[int, list[_Pattern]] = {}
        self._triggers = 0
        for pattern in self.patterns:
            bit = pattern.slots[pattern.trigger]
            self._by_trigger.setdefault(bit, []).append(pattern)
            self._triggers |= bit

    def candidates(self, union: int) -> list[_Pattern]:
        """The patterns whose every slot occurs somewhere in a message, in table order."""
        present = union & self._triggers
        found: list[_Pattern] = []
        while present:
            low = present & -present
            present ^= low
            for pattern in self._by_trigger[low]:
                if pattern.need & union == pattern.need:
                    found.append(pattern)
        found.sort(key=lambda pattern: pattern.order)
        return found

    def first(self, masks: Sequence[int], union: int) -> _Pattern | None:
        for pattern in self.candidates(union):
            if pattern.find(masks) is not None:
                return pattern
        return None

    def matches(self, masks: Sequence[int], union: int) -> list[tuple[_Pattern, int]]:
        found = []
        for pattern in self.candidates(union):
            start = pattern.find(masks)
            if start is not None:
                found.append((pattern, start))
        return found


def _compile_sets(
    compiler: _Compiler, tables: Iterable[tuple[str, Sequence[str]]]
) -> tuple[_PatternSet, dict[str, _PatternSet]]:
    """All patterns of the tables in one set, in table order, and each table's own set."""
    everything: list[_Pattern] = []
    by_label: dict[str, _PatternSet] = {}
    for label, sources in tables:
        compiled = [compiler.pattern(label, len(everything) + i, s) for i, s in enumerate(sources)]
        everything.extend(compiled)
        by_label[label] = _PatternSet(compiled)
    return _PatternSet(everything), by_label


_COMPILER = _Compiler()
_EMERGENCY_SET = _compile_sets(_COMPILER, _EMERGENCY.items())[0]
_TASK_SET = _compile_sets(_COMPILER, _HELP_TASKS.items())[0]
_SIGNAL_SETS = _compile_sets(_COMPILER, _HELP_SIGNALS.items())[1]


# =============================================================================================
# Word classification: which slot bits a token carries, exact or through a typo
# =============================================================================================


@dataclass(frozen=True, slots=True)
class _Fuzzy:
    """Candidates for a typo that begin with one letter: forms, their bits, edits allowed."""

    forms: list[str]
    bits: list[int]
    edits: list[int]

    @staticmethod
    def of(table: Mapping[str, int], limit: Callable[[int], int]) -> _Fuzzy:
        forms = sorted(table)
        return _Fuzzy(forms, [table[f] for f in forms], [limit(len(f)) for f in forms])


def _by_first_letter(
    tables: Mapping[int, Mapping[str, int]], limit: Callable[[int], int]
) -> dict[tuple[int, str], _Fuzzy]:
    """Typo candidates keyed by (length compared, first letter)."""
    split: dict[tuple[int, str], dict[str, int]] = {}
    for length, table in tables.items():
        for text, bits in table.items():
            split.setdefault((length, text[0]), {})[text] = bits
    return {key: _Fuzzy.of(table, limit) for key, table in split.items()}


def _typo_bits(text: str, table: Mapping[tuple[int, str], _Fuzzy]) -> int:
    """Bits of the forms `text` is a typo of. Typos keep the first letter, or swap the first
    two ("bevisstløs" / "ebvisstløs"), as people rarely mistype the first letter."""
    bits = 0
    n = len(text)
    candidates = table.get((n, text[0]))
    if candidates is not None:
        for _, distance, index in process.extract(
            text, candidates.forms, scorer=OSA.distance, score_cutoff=2, limit=None
        ):
            if 0 < distance <= candidates.edits[index]:
                bits |= candidates.bits[index]
    swapped = table.get((n, text[1])) if n > 1 else None
    if swapped is not None:
        for form, bit, edits in zip(swapped.forms, swapped.bits, swapped.edits, strict=True):
            if len(form) > 1 and form[1] == text[0] and OSA.distance(text, form) <= edits:
                bits |= bit
    return bits


class _Classifier:
    """Which slot bits a folded token carries: exact words, stems and tails first, then typos
    (only for tokens that are neither stopwords nor known real words)."""

    def __init__(self, atom_bits: Mapping[_Atom, int]) -> None:
        self.exact: dict[str, int] = {}
        stems: dict[int, dict[str, int]] = {}
        tails: dict[int, dict[str, int]] = {}
        typo_words: dict[int, dict[str, int]] = {}  # token length -> word -> bits
        typo_stems: dict[int, dict[str, int]] = {}  # prefix length -> stem -> bits
        for atom, bits in atom_bits.items():
            text, n = atom.text, len(atom.text)
            if atom.kind == "tail":
                _add(tails, n, text, bits)
            elif atom.kind in ("stem", "prefix"):
                _add(stems, n, text, bits)
                edits = _stem_edits(n) if atom.kind == "stem" else 0
                for length in range(n - edits, n + edits + 1):
                    if edits:
                        _add(typo_stems, length, text, bits)
            else:
                self.exact[text] = self.exact.get(text, 0) | bits
                edits = _word_edits(n) if atom.kind == "word" else 0
                for length in range(n - edits, n + edits + 1):
                    if edits:
                        _add(typo_words, length, text, bits)
        self.stems = sorted(stems.items())
        self.tails = sorted(tails.items())
        self.typo_words = _by_first_letter(typo_words, _word_edits)
        self.typo_stems = _by_first_letter(typo_stems, _stem_edits)
        self.typo_stem_lengths = sorted({length for length, _ in self.typo_stems})
        self.classify = lru_cache(maxsize=1 << 16)(self._classify)

    def _classify(self, token: str) -> int:
        bits = self.exact.get(token, 0)
        n = len(token)
        for length, table in self.stems:
            if length > n:
                break
            bits |= table.get(token[:length], 0)
        for length, table in self.tails:
            if length >= n:
                break
            bits |= table.get(token[-length:], 0)
        if bits or n < 4 or token in _NOT_TYPOS or token in STOPWORDS or token.isdigit():
            return bits
        bits |= _typo_bits(token, self.typo_words)
        for length in self.typo_stem_lengths:
            if length > n:
                break
            bits |= _typo_bits(token[:length], self.typo_stems)
        return bits


def _add(table: dict[int, dict[str, int]], length: int, text: str, bits: int) -> None:
    row = table.setdefault(length, {})
    row[text] = row.get(text, 0) | bits


_CLASSIFIER = _Classifier(_COMPILER.atom_bits)


@dataclass(frozen=True, slots=True)
class _Analysis:
    masks: tuple[int, ...]
    union: int


# The three detectors run on the same message one after the other: analyse it once.
@lru_cache(maxsize=32)
def _analyse(text: str) -> _Analysis:
    classify = _CLASSIFIER.classify
    masks = tuple(classify(token) for token in tokens(text, limit=SCAN_CHARS))
    union = 0
    for mask in masks:
        union |= mask
    return _Analysis(masks, union)


# =============================================================================================
# The public functions
# =============================================================================================


_SITUATIONS: Final[dict[str, Situation]] = {s: s for s in _EMERGENCY}
_CATEGORIES: Final[dict[str, HelpCategory]] = {c: c for c in _HELP_TASKS}


def detect_emergency(text: str) -> EmergencyMatch | None:
    """The acute danger a message describes, if any."""
    analysis = _analyse(text)
    if not analysis.union:
        return None
    pattern = _EMERGENCY_SET.first(analysis.masks, analysis.union)
    if pattern is None:
        return None
    return EmergencyMatch(_SITUATIONS[pattern.label], pattern.source)


def _signal(name: str, analysis: _Analysis) -> bool:
    return _SIGNAL_SETS[name].first(analysis.masks, analysis.union) is not None


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
    edits = _word_edits(len(token))
    if edits == 0 or token in STOPWORDS or token in _NOT_TYPOS:
        return None
    for word, _, _ in process.extract(
        token, _VOCAB, scorer=OSA.distance, score_cutoff=edits, limit=None
    ):
        if _word_edits(len(word)) and (word[0] == token[0] or word[:2] == token[1::-1]):
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
