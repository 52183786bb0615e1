"""Intent detection: emergencies, requests for practical help and small talk.

Every phrase is its own test. Emergency recall is the point of this file: each positive list
holds phrasings in Bokmål (nb), Nynorsk and dialect (nn), Swedish (sv) and English (en), with
typos, missing diacritics, capitals, extra words and emoji, the way residents write on phones.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable

import pytest

import bot.intents as intents
from bot.intents import (
    EmergencyMatch,
    HelpMatch,
    HelpStrength,
    detect_emergency,
    detect_help_request,
    detect_smalltalk,
)
from bot.text import tokens

Case = tuple[str, str]  # (language, text)


def _params(cases: list[Case]) -> list[pytest.ParameterSet]:
    return [pytest.param(text, id=f"{lang}:{text}") for lang, text in cases]


# =============================================================================================
# Emergencies that must be detected
# =============================================================================================

MEDICAL: list[Case] = [
    ("nb", "han er bevisstløs og puster ikke"),
    ("nb", "hjelp han er bevistløs"),
    ("nb", "barnet mitt er bevisstløst"),
    ("nb", "mannen min har sluttet å puste"),
    ("nb", "pappa har vondt i brystet"),
    ("nb", "jeg tror naboen har fått hjerteinfarkt"),
    ("nb", "puster han ikke?"),
    ("nb", "pustr ikke"),
    ("nb", "PAPPA PUSTER IKKE!!!"),
    ("nb", "mamma svarer ikke og ligger på gulvet"),
    ("nb", "farmor har falt om på kjøkkenet"),
    ("nb", "kona mi har brystsmerter og er kaldsvett"),
    ("nb", "jeg har sterke smerter i brystet 😰"),
    ("nb", "tror bestefar har fått slag, munnen henger"),
    ("nb", "han snakker utydelig og er lam i armen"),
    ("nb", "datteren min har satt noe fast i halsen"),
    ("nb", "han blør veldig mye fra hodet"),
    ("nb", "kompisen min har tatt en overdose"),
    ("nb", "sønnen min har svelget klor"),
    ("nb", "barnet har spist mange tabletter"),
    ("nb", "hun har en alvorlig allergisk reaksjon"),
    ("nb", "det er en gutt som drukner i vannet"),
    ("nb", "sønnen min har kramper"),
    ("nb", "ring ambulanse! mannen min har kollapset"),
    ("nb", "han har hjertestans, vi gjør hlr"),
    ("nb", "jeg får ikke puste"),
    ("nb", "min far ligger livløs på gulvet"),
    ("nb", "bevistløs mann på gata"),
    ("nb", "hun besvimte og våkner ikke"),
    ("nb", "han er ikke kontaktbar"),
    ("nb", "han har problemer med å puste"),
    ("nb", "finner ikke puls"),
    ("nb", "hjertet hans har stoppet"),
    ("nb", "bevisstlos"),
    ("nb", "mamma har falt og kommer seg ikke opp"),
    ("nb", "han puster nesten ikke"),
    ("nb", "pappa har brystsmeter"),
    ("nb", "hjelp!! han pster ikke"),
    ("nb", "trenger ambulanse nå"),
    ("nb", "han blir blå og puster ikke 😭"),
    ("nb", "han har problemer med å puste og puster ikke nå"),
    ("nb", "han puster tungt, ikke bra"),
    ("nb", "han har pustebesvær, ikke ring noen andre, ring 113"),
    ("nn", "mamma puster ikkje"),
    ("nn", "han pustar ikkje"),
    ("nn", "eg finn ikkje puls på han"),
    ("nn", "ho er medvitslaus"),
    ("nn", "han er bevisstlaus"),
    ("nn", "bestemor har fått hjarteinfarkt"),
    ("nn", "han har verk i bringa"),
    ("nn", "eg trur han har fått slag"),
    ("nn", "han er heilt livlaus"),
    ("nn", "ho blør masse"),
    ("nn", "veslebror har sett noko fast i halsen"),
    ("nn", "han pustar ikkje lenger"),
    ("nn", "ho vaknar ikkje"),
    ("nn", "han e bevisstløs"),
    ("nn", "hu puste itte"),
    ("nn", "han har tatt ei overdose"),
    ("nn", "far min har vondt i bringa"),
    ("sv", "min pappa andas inte"),
    ("sv", "min granne ligger livlös på golvet"),
    ("sv", "jag tror min man har en stroke"),
    ("sv", "ont i bröstet och svårt att andas"),
    ("sv", "hon är medvetslös"),
    ("sv", "han har slutat andas"),
    ("sv", "min fru har bröstsmärtor"),
    ("sv", "han har fått hjärtstopp"),
    ("sv", "mormor har hjärtinfarkt"),
    ("sv", "pappa är sned i ansiktet och sluddrar"),
    ("sv", "barnet har satt i halsen"),
    ("sv", "han blöder kraftigt"),
    ("sv", "min son har tagit en överdos"),
    ("sv", "hon är förgiftad"),
    ("sv", "allergisk chock, hjälp"),
    ("sv", "någon drunknar i sjön"),
    ("sv", "min dotter har kramper"),
    ("sv", "han svarar inte och går inte att väcka"),
    ("sv", "min mamma har svimmat"),
    ("sv", "han andas int"),
    ("sv", "medvetslos man på bussen"),
    ("sv", "ANDAS INTE"),
    ("sv", "min man har ont i brostet"),
    ("sv", "hon har tagit för många tabletter"),
    ("sv", "ring ambulans, han har kollapsat"),
    ("en", "my dad collapsed and isn't breathing"),
    ("en", "he is not breathing"),
    ("en", "my wife has severe chest pain"),
    ("en", "pain in my chest and left arm"),
    ("en", "i have chestpain"),
    ("en", "he is unconcious"),
    ("en", "she passed out and won't wake up"),
    ("en", "my mum is unresponsive"),
    ("en", "I think my husband is having a heart attack"),
    ("en", "cardiac arrest, we need an ambulance"),
    ("en", "her face is drooping and her speech is slurred"),
    ("en", "my son is choking"),
    ("en", "he's bleeding heavily"),
    ("en", "my friend took an overdose"),
    ("en", "my toddler swallowed a battery"),
    ("en", "she is having an anaphylactic reaction"),
    ("en", "a kid is drowning in the lake"),
    ("en", "my daughter is having a seizure"),
    ("en", "cant breathe"),
    ("en", "i can't breathe"),
    ("en", "HE STOPPED BREATHING 😱"),
    ("en", "my grandmother fell and can't get up"),
    ("en", "there's no pulse"),
    ("en", "he has trouble breathing"),
    ("en", "call an ambulance"),
    ("en", "my neighbour is lying on the floor and not responding"),
    ("en", "she took too many pills"),
    ("en", "my dad is unconscious"),
    ("en", "he isnt breathing"),
    ("en", "grandpa has crushing pain in his chest"),
    ("en", "my mother had a stroke"),
    ("en", "my dad is not breathing properly"),
    ("en", "someone collapsed in the street"),
    ("nb", "hjelp mamma har falt og slått hodet og er ikke ved bevissthet"),
    ("nb", "han er ikke bevisst"),
    ("en", "she's not conscious"),
    ("sv", "hon är inte vid medvetande"),
    ("nb", "pappa har vondt i brystet og armen"),
    ("nb", "han klager over smerter i brystet"),
    ("nb", "hun har fått et anfall"),
    ("nb", "barnet er blått i ansiktet"),
    ("nb", "han puster veldig tungt"),
    ("nb", "han har fått et illebefinnende"),
    ("nb", "mamma er helt slapp og svarer ikke"),
    ("nb", "han reagerer ikke når jeg rister ham"),
    ("nb", "hun har falt ned trappen og beveger seg ikke"),
    ("nb", "han har skåret seg og det spruter blod"),
    ("nb", "han har kuttet seg dypt i armen"),
    ("nb", "vi tror hun har fått hjerneslag"),
    ("nb", "han er kald og blek og svarer ikke"),
    ("nb", "barnet har svelget noe og får ikke luft"),
    ("nb", "mamma har insulinsjokk"),
    ("nb", "hun er gravid og blør"),
    ("nb", "vi finner ikke pulsen"),
    ("en", "my dad is having trouble breathing"),
    ("en", "my husband fainted"),
    ("en", "he won't respond"),
    ("en", "he's turning blue"),
    ("en", "my baby isn't breathing"),
    ("nb", "han får ingen luft"),
    ("sv", "hon har svårt att andas"),
    ("sv", "han är inte kontaktbar"),
    ("sv", "hon är helt slapp och svarar inte"),
    ("sv", "jag tror han har fått en propp"),
    ("sv", "min man har ont i bröstet och svettas"),
    ("sv", "han ligger på golvet och rör sig inte"),
    ("en", "my mum isn't moving"),
    ("en", "he took a whole bottle of pills"),
    ("nb", "hun kaster opp blod"),
    ("en", "he is vomiting blood"),
]

FIRE: list[Case] = [
    ("nb", "det brenner"),
    ("nb", "det brenner i garasjen"),
    ("nb", "brann i huset"),
    ("nb", "huset står i brann"),
    ("nb", "kjøkkenet brenner!!"),
    ("nb", "det brenner hos naboen"),
    ("nb", "BRANN"),
    ("nb", "det er brann i blokka"),
    ("nb", "det ryker fra taket"),
    ("nb", "røyk overalt i leiligheten"),
    ("nb", "bilen har tatt fyr"),
    ("nb", "pipebrann"),
    ("nb", "det brennr i kjøkkenet"),
    ("nb", "brann i kjellern"),
    ("nb", "hjelp det brenner 🔥"),
    ("nb", "det begynte å brenne i stua"),
    ("nb", "huset til naboen brenner for fullt"),
    ("sv", "ladan brinner för fullt"),
    ("nb", "det brenner i nabohuset, ring brannvesenet"),
    ("nb", "ryk overalt"),
    ("nb", "brann i leilighten ved siden av"),
    ("nn", "det brenn i huset"),
    ("nn", "det brenn!"),
    ("nn", "brann i løa"),
    ("nn", "det er brann i fjøset"),
    ("nn", "huset står i full fyr"),
    ("nn", "det har teke fyr i kjøkenet"),
    ("sv", "det brinner i köket"),
    ("sv", "det brinner"),
    ("sv", "eld i lägenheten"),
    ("sv", "brand i huset"),
    ("sv", "det brinner hos grannen"),
    ("sv", "huset brinner"),
    ("sv", "rök överallt"),
    ("sv", "det ryker ur fönstret"),
    ("sv", "skogsbrand nära huset"),
    ("sv", "vår bil har fattat eld"),
    ("sv", "det är eld i trapphuset"),
    ("sv", "det brinnr i köket"),
    ("sv", "det brinner i koket"),
    ("sv", "det luktar gas i lägenheten"),
    ("en", "my kitchen is on fire"),
    ("en", "smoke everywhere"),
    ("en", "fire in the building"),
    ("en", "the house is burning"),
    ("en", "there's a fire next door"),
    ("en", "FIRE!!!"),
    ("en", "fire at my neighbours house"),
    ("en", "our car caught fire"),
    ("en", "flames coming out of the window"),
    ("en", "the apartment is full of smoke"),
    ("en", "a house fire on my street"),
    ("en", "wildfire approaching the houses"),
    ("en", "the fire is spreading"),
    ("en", "fire fire"),
    ("en", "smoke is coming from the roof"),
    ("en", "my house is on fier"),
    ("en", "there is a gas leak in the kitchen"),
    ("nb", "bålet har spredt seg til skogen"),
    ("nb", "gresset brenner"),
    ("nb", "det kommer røyk fra naboens leilighet"),
    ("nb", "brannalarmen hyler og det lukter røyk"),
    ("nb", "det er fullt av røyk i trappa"),
    ("nb", "skogbrann nær husene"),
    ("en", "the stove is on fire"),
    ("nb", "komfyren brenner"),
    ("sv", "det brinner i soprummet"),
    ("sv", "eld i sopkärlet"),
    ("en", "the building next door is burning"),
    ("sv", "det brinner i skogen"),
    ("en", "i smell smoke and the alarm is going off"),
]

VIOLENCE: list[Case] = [
    ("nb", "han slår meg"),
    ("nb", "han slår meg akkurat nå"),
    ("nb", "pappa slår mamma"),
    ("nb", "noen prøver å bryte seg inn"),
    ("nb", "en mann med kniv utenfor"),
    ("nb", "jeg blir truet med kniv"),
    ("nb", "kjæresten min slår meg"),
    ("nb", "eksen min truer med å drepe meg"),
    ("nb", "noen bryter seg inn i huset"),
    ("nb", "han har en pistol"),
    ("nb", "jeg ble voldtatt"),
    ("nb", "naboen banker kona si"),
    ("nb", "det er innbrudd hos meg"),
    ("nb", "hjelp han kommer til å slå meg"),
    ("nb", "mannen min mishandler meg"),
    ("nb", "naboen skriker og slår barna"),
    ("nb", "HAN SLÅR MEG!!!"),
    ("nb", "han slar meg"),
    ("nb", "noen prøver å bryte seg inn 😨"),
    ("nb", "jeg blir slått hjemme"),
    ("nb", "det er en innbruddstyv i huset"),
    ("nb", "jeg har blitt knivstukket"),
    ("nn", "han slær meg"),
    ("nn", "ho slår meg"),
    ("nn", "nokon prøver å bryte seg inn"),
    ("nn", "det er ein mann med kniv i gangen"),
    ("nn", "han trugar meg"),
    ("nn", "eg har vorte valdteken"),
    ("nn", "eg blir slått av mannen min"),
    ("sv", "hon slår mig"),
    ("sv", "han slår mig"),
    ("sv", "någon bryter sig in"),
    ("sv", "någon misshandlar min granne just nu"),
    ("sv", "en man med kniv utanför"),
    ("sv", "min pojkvän hotar mig"),
    ("sv", "jag blev våldtagen"),
    ("sv", "han hotar att döda mig"),
    ("sv", "det är inbrott just nu"),
    ("sv", "någon försöker ta sig in i lägenheten"),
    ("sv", "han har ett vapen"),
    ("sv", "skottlossning utanför"),
    ("sv", "min man misshandlar mig"),
    ("sv", "hon slar mig"),
    ("sv", "pappa slår mamma igen"),
    ("en", "he is hitting me"),
    ("en", "someone is breaking into my house right now"),
    ("en", "a man with a knife outside"),
    ("en", "my husband is beating me"),
    ("en", "someone is attacking us"),
    ("en", "i'm being threatened"),
    ("en", "there's an intruder in my house"),
    ("en", "he has a gun"),
    ("en", "i was raped"),
    ("en", "my boyfriend is threatening to kill me"),
    ("en", "shots fired outside my building"),
    ("en", "someone stabbed my brother"),
    ("en", "he's going to kill me"),
    ("en", "a burglar is in my house"),
    ("en", "HE IS HITTING ME"),
    ("en", "my dad hits my mom"),
    ("en", "someone is following me"),
    ("nb", "min mann har slått meg"),
    ("nb", "jeg er redd, han truer meg"),
    ("nb", "kjæresten min kvelte meg"),
    ("nb", "noen slår på døra og truer oss"),
    ("nb", "han har en kniv"),
    ("nb", "jeg blir mishandlet"),
    ("en", "a man is threatening people with a knife"),
    ("en", "someone is trying to break in"),
    ("en", "my ex threatened me"),
    ("en", "I'm being followed"),
    ("en", "someone is beating up a guy outside"),
    ("nb", "han slår henne"),
    ("sv", "grannen misshandlar sin fru"),
    ("sv", "det är bråk och slagsmål utanför"),
    ("nb", "noen banker opp en gutt utenfor"),
    ("en", "he is going to hurt me"),
    ("en", "my husband hurt me"),
    ("en", "she hit me"),
    ("en", "he beat me up"),
    ("nb", "pappa er full og slår oss"),
    ("nb", "det er skyting i sentrum"),
    ("nb", "noen truer med våpen"),
]

SUICIDE: list[Case] = [
    ("nb", "jeg vil ikke leve lenger"),
    ("nb", "jeg vil dø"),
    ("nb", "orker ikke mer"),
    ("nb", "har selvmordstanker"),
    ("nb", "jeg vil ta livet mitt"),
    ("nb", "tenker på å ta livet av meg"),
    ("nb", "jeg vil skade meg selv"),
    ("nb", "kan ikke mer, vil bare forsvinne"),
    ("nb", "alle hadde hatt det bedre uten meg"),
    ("nb", "jeg har lyst til å dø"),
    ("nb", "jeg orker ikke å leve"),
    ("nb", "SELVMORD"),
    ("nb", "selvmortanker"),
    ("nb", "jeg vil avslutte livet mitt"),
    ("nb", "livet er ikke verdt å leve"),
    ("nb", "har mørke tanker og vet ikke hva jeg skal gjøre"),
    ("nb", "jeg vil bare sove for alltid"),
    ("nb", "vil ikke leve mer 😢"),
    ("nb", "jeg vil ikke leve lengre"),
    ("nb", "jeg tenker på selvmord"),
    ("nn", "eg vil ikkje leva meir"),
    ("nn", "eg vil ikkje leve lenger"),
    ("nn", "eg vil døy"),
    ("nn", "eg orkar ikkje meir"),
    ("nn", "tenkjer på sjølvmord"),
    ("nn", "eg vil skade meg sjølv"),
    ("nn", "eg vil ta livet mitt"),
    ("nn", "e orke itte mer"),
    ("sv", "orkar inte leva mer"),
    ("sv", "jag vill inte leva längre"),
    ("sv", "tänker ta livet av mig"),
    ("sv", "självmordstankar"),
    ("sv", "jag vill dö"),
    ("sv", "jag vill ta livet av mig"),
    ("sv", "vill skada mig själv"),
    ("sv", "jag orkar inte mer"),
    ("sv", "sjalvmord"),
    ("sv", "jag vill avsluta mitt liv"),
    ("sv", "alla skulle ha det bättre utan mig"),
    ("sv", "jag vill inte leva langre"),
    ("sv", "vill bara försvinna"),
    ("en", "I want to kill myself"),
    ("en", "thinking about suicide"),
    ("en", "I don't want to be alive"),
    ("en", "i want to die"),
    ("en", "I want to end my life"),
    ("en", "suicidal thoughts"),
    ("en", "i dont want to live anymore"),
    ("en", "im going to end it all"),
    ("en", "i have been self harming"),
    ("en", "I keep cutting myself"),
    ("en", "there is no reason to live"),
    ("en", "I wish I was dead"),
    ("en", "i'm suicidal 😢"),
    ("en", "want to kill myslef"),
    ("en", "I WANT TO DIE"),
    ("en", "i want to take my own life"),
    ("en", "I want to harm myself"),
    ("nb", "jeg klarer ikke mer"),
    ("nb", "jeg orker ikke livet mer"),
    ("nb", "jeg har lyst til å ta livet mitt"),
    ("nb", "jeg har planer om å ta livet av meg"),
    ("nb", "jeg har tenkt på å henge meg"),
    ("nb", "jeg skal hoppe foran toget"),
    ("en", "I'm thinking of ending it"),
    ("en", "no one would miss me if I was gone"),
    ("en", "I don't see the point of living"),
    ("nb", "jeg er bare en byrde for alle"),
    ("sv", "jag vill inte vakna imorgon"),
    ("en", "I'm going to kill myself tonight"),
    ("en", "i want to hurt myself"),
    ("en", "I feel like ending my life"),
    ("nb", "ingen ville savnet meg"),
    ("nb", "jeg vil ikke være her mer"),
    ("sv", "jag vill inte finnas längre"),
    ("en", "i don't want to be here anymore"),
    ("nb", "jeg har lyst til å forsvinne for alltid"),
    ("sv", "jag har tänkt ta mitt liv"),
    ("nn", "eg har tenkt å ta livet mitt"),
    ("nb", "jeg har skåret meg i armene"),
]

EMERGENCIES = {"medical": MEDICAL, "fire": FIRE, "violence": VIOLENCE, "suicide": SUICIDE}


@pytest.mark.parametrize("text", _params(MEDICAL))
def test_medical_emergency_is_detected(text: str) -> None:
    match = detect_emergency(text)
    assert match is not None
    assert match.situation == "medical"


@pytest.mark.parametrize("text", _params(FIRE))
def test_fire_is_detected(text: str) -> None:
    match = detect_emergency(text)
    assert match is not None
    assert match.situation == "fire"


@pytest.mark.parametrize("text", _params(VIOLENCE))
def test_violence_happening_now_is_detected(text: str) -> None:
    match = detect_emergency(text)
    assert match is not None
    assert match.situation == "violence"


@pytest.mark.parametrize("text", _params(SUICIDE))
def test_suicide_or_self_harm_is_detected(text: str) -> None:
    match = detect_emergency(text)
    assert match is not None
    assert match.situation == "suicide"


@pytest.mark.parametrize(
    "text",
    [
        # messages a fixed situation cannot be argued about: any emergency reply is right
        "det brenner og pappa puster ikke",
        "han slår meg og jeg blør",
        "jeg vil dø, har tatt alle pillene",
        "he stabbed me and I'm bleeding",
    ],
)
def test_mixed_emergencies_are_detected(text: str) -> None:
    assert detect_emergency(text) is not None


# =============================================================================================
# Messages that are not emergencies
# =============================================================================================

NOT_EMERGENCY: list[Case] = [
    # municipal questions
    ("nb", "hvordan får jeg utsatt fristen på kommunefakturaen"),
    ("nb", "kan jeg utsette fakturaen?"),
    ("nb", "må jeg betale renter hvis jeg betaler fakturaen for seint"),
    ("nb", "jeg vil være frivillig"),
    ("nb", "når åpner biblioteket igjen?"),
    ("nb", "er fritidsklubben åpen for ungdom?"),
    ("nb", "blir det mer politi ute i påskeferien"),
    ("nb", "samarbeider kommunen med politiet i påsken?"),
    ("nb", "hvor mange plasser har koronaavdelingen på sykehjemmet"),
    ("nb", "har dere nok smittevernutstyr"),
    ("nb", "hvor mange er smittet i kommunen nå"),
    ("nb", "når møtes kriseledelsen igjen"),
    ("nb", "er noen smittet på skolen til barnet mitt?"),
    ("nb", "hva gjør kommunen mot vold i nære relasjoner?"),
    ("nb", "har kriminaliteten gått ned?"),
    ("nb", "det har vært mye hærverk i det siste"),
    ("nb", "hvem er ordfører"),
    ("nb", "kan jeg dra på hytta i påska?"),
    ("nb", "får utsatte barn gå på skolen når den er stengt"),
    ("nb", "tilbud til barn som har det vanskelig hjemme"),
    ("nb", "hva skjer med pasienter som skrives ut fra sykehuset"),
    ("nb", "blir det vektere i sentrum i sommer?"),
    ("nb", "hvor er nærmeste legevakt"),
    ("nb", "kan jeg besøke mamma på sykehjemmet"),
    ("nb", "jeg har vondt i halsen og feber, bør jeg teste meg?"),
    ("nb", "jeg er kvalm etter vaksinen"),
    ("nb", "kan jeg ta med hunden på biblioteket"),
    ("nb", "hvordan snakker jeg med barna om korona"),
    ("nb", "jeg brenner for frivillig arbeid"),
    ("nb", "banken ga meg utsettelse"),
    ("nb", "kan jeg slå meg ned i Asker?"),
    ("nb", "hvordan slår jeg av varsler"),
    ("nb", "jeg har slått av strømmen"),
    ("nb", "er det lov å brenne bål i påsken?"),
    ("nb", "kan jeg brenne hageavfall?"),
    ("nb", "hvordan melder jeg meg som frivillig"),
    ("nb", "trenger noen som kan handle for meg"),
    ("nb", "slett meg fra lista"),
    ("nb", "har dere fått svar fra helsedirektoratet?"),
    ("nb", "kan vi ikke pusse opp i påsken?"),
    ("nb", "er det krise i helsevesenet nå?"),
    ("nb", "hvorfor er ikke svømmehallen åpen"),
    ("nb", "blir vi bedre beskyttet med munnbind?"),
    ("nn", "korleis kan eg bidra som frivillig under korona"),
    ("nn", "kva tid opnar biblioteket, eg lurer på det"),
    ("nn", "ka gjør dokker i kommunen no, æ lure på det"),
    ("nn", "er det mange som er smitta i kommunen?"),
    ("nn", "kan eg få utsett betalinga?"),
    ("nn", "når kjem vaksinen"),
    ("nn", "er fritidsklubben open i påska?"),
    ("nn", "eg vil gjerne hjelpe til"),
    ("nn", "kor mange er smitta i kommunen no?"),
    ("nn", "når opnar biblioteket att?"),
    ("nn", "kva gjer kommunen med vald i nære relasjonar?"),
    ("nn", "har kriminaliteten gått ned i år?"),
    ("nn", "kan eg få utsett fristen på fakturaen?"),
    ("nn", "er ungdomsklubben open i kveld?"),
    ("nn", "blir det meir politi i påska?"),
    ("nn", "har de nok smittevernutstyr på sjukeheimen?"),
    ("nn", "kor mange plassar har koronaavdelinga?"),
    ("nn", "når møtest kriseleiinga?"),
    ("nn", "er nokon smitta på skulen til sonen min?"),
    ("nn", "når går ferja?"),
    ("nn", "kva blir vêret i morgon?"),
    ("nn", "når kjem bossbilen?"),
    ("nn", "eg brenn for friluftsliv"),
    ("nn", "ho pustar betre no"),
    ("nn", "han pustar normalt no, takk for hjelpa"),
    ("nn", "kva skjer no med skulen?"),
    ("sv", "har biblioteket stängt?"),
    ("sv", "är fritidsgården öppen för ungdomarna"),
    ("sv", "kan vår idrottsförening få anstånd med fakturan"),
    ("sv", "följer kommunen upp våld i nära relationer?"),
    ("sv", "följer ni upp våld i hemmet"),
    ("sv", "har brottsligheten ökat under corona"),
    ("sv", "har kriminaliteten gått ner?"),
    ("sv", "vad gör kommunen åt klotter och förstörelse"),
    ("sv", "hur länge kommer ordningsvakterna att finnas"),
    ("sv", "vem är kommunpolis"),
    ("sv", "finns det smittade på äldreboendet"),
    ("sv", "hur blir jag volontär?"),
    ("sv", "vill hjälpa till, hur blir jag frivillig?"),
    ("sv", "finns det någon att ringa för unga som mår dåligt"),
    ("sv", "hur mycket skyddsutrustning har ni"),
    ("sv", "är någon smittad på min skola?"),
    ("sv", "vi tar båten till stan"),
    ("sv", "varför är kommunen i stabsläge"),
    ("sv", "när gick ni upp i förhöjt stabsläge"),
    ("sv", "denna vecka är inte biblioteket öppet"),
    ("sv", "jag är inte medveten om reglerna"),
    ("sv", "brinner du för att hjälpa andra?"),
    ("sv", "ska barnen duscha hemma efter fotbollen"),
    ("sv", "vem fattar de tuffa besluten"),
    ("en", "can I postpone my invoice?"),
    ("en", "how do I become a volunteer"),
    ("en", "I want to volunteer"),
    ("en", "is the library open"),
    ("en", "is the youth club open"),
    ("en", "will there be security guards in town this summer"),
    ("en", "there is a lot of vandalism lately"),
    ("en", "what is the municipality doing about domestic violence?"),
    ("en", "has crime gone up during the pandemic"),
    ("en", "are the police patrolling hiking spots over easter"),
    ("en", "how many beds does the covid ward at the care home have"),
    ("en", "is there enough protective equipment for care workers"),
    ("en", "what is the infection situation"),
    ("en", "when does the crisis management team meet"),
    ("en", "is anyone infected at my school?"),
    ("en", "is cooking allowed at the cabin"),
    ("en", "I attached the form"),
    ("en", "I'm not aware of the rules"),
    ("en", "the crisis hit us hard"),
    ("en", "what are the symptoms of covid"),
    ("en", "is it safe to take paracetamol after the vaccine"),
    ("en", "fire safety rules in the care home"),
    ("en", "will you tell me if my colleague has covid"),
    ("en", "who makes the difficult decisions"),
    ("en", "is there a helpline for teenagers"),
    ("en", "the bank gave me more time to pay"),
    ("en", "he is breathing fine now"),
    ("en", "I'd like to help people with their shopping"),
    ("en", "can someone walk my dog"),
    # out of scope
    ("nb", "når går toget til Oslo"),
    ("nb", "hvordan fornyer jeg førerkortet"),
    ("nb", "hva koster en kopp kaffe på kafeen"),
    ("nb", "når blir søppelet hentet"),
    ("nb", "hva blir været i morgen"),
    ("nb", "hvor mye skatt betaler jeg"),
    ("nb", "når går ferja til Nesodden"),
    ("nb", "kan jeg få byggetillatelse til en garasje"),
    ("nb", "hvor kjøper jeg billetter til konserten"),
    ("nb", "kan jeg parkere gratis i sentrum"),
    ("sv", "när går färjan till göteborg"),
    ("sv", "hur söker jag bostadsbidrag"),
    ("sv", "hur mycket kostar kaffet"),
    ("sv", "när töms soptunnan"),
    ("sv", "när går tåget till Stockholm"),
    ("sv", "hur förnyar jag mitt körkort"),
    ("sv", "hur mycket skatt betalar jag"),
    ("sv", "blir det regn i morgon"),
    ("en", "when does the next train leave"),
    ("en", "how do I renew my driving licence"),
    ("en", "how much is a coffee"),
    ("en", "when is the rubbish collected"),
    ("en", "what's the weather like in Bergen"),
    ("en", "how much tax do I pay"),
    ("en", "when does the ferry leave"),
    ("en", "who won the football match yesterday"),
    ("en", "what time does the supermarket close"),
    # small talk
    ("nb", "hei"),
    ("nb", "god morgen"),
    ("nb", "tusen takk for hjelpen"),
    ("nb", "ha det bra"),
    ("nn", "kven er du"),
    ("sv", "hejsan!"),
    ("sv", "tack så mycket"),
    ("en", "hello"),
    ("en", "thanks a lot"),
    ("en", "ok 👍"),
    # risky words in ordinary questions
    # words that are something else in another language: fire (nb: four), hit (nb: here),
    # rape (nb: burp), harm (nb: angry), brand (en), man (nb: one), får (nb: gets)
    ("nb", "vi er fire i familien"),
    ("nb", "det er fire smittede på skolen"),
    ("nb", "fire på skolen er smittet"),
    ("nb", "smitten har spredt seg til fire personer"),
    ("nb", "fire barn"),
    ("nb", "kom hit med barna"),
    ("nb", "vi skal flytte hit med familien"),
    ("nb", "babyen vil ikke rape"),
    ("nb", "jeg er harm på meg selv"),
    ("en", "which brand in the shop is best"),
    ("nb", "kan man skade barna med munnbind?"),
    ("nb", "barna får skader av å sitte inne"),
    ("en", "I have no breathing problems, can I get the vaccine?"),
    ("en", "he has no trouble breathing"),
    ("nb", "jeg har ingen pustebesvær"),
    ("nb", "ingen problemer med å puste"),
    ("nb", "hun puster fint nå, ingen problemer"),
    ("en", "no pulse oximeter at home, where can I buy one"),
    ("en", "is there no air conditioning in the library"),
    ("nb", "hvordan puster man riktig når man har astma?"),
    ("nb", "jeg har hoste og feber, hva gjør jeg"),
    ("nb", "har vondt i hodet etter vaksinen"),
    ("nb", "jeg har vondt i magen"),
    ("nb", "har mistet lukte- og smakssansen"),
    ("nb", "jeg føler meg ensom"),
    ("nb", "jeg sover dårlig for tiden"),
    ("nb", "jeg er så lei av karantene"),
    ("nb", "barna er lei av hjemmeskole"),
    ("nb", "livet i karantene er kjedelig"),
    ("nb", "hvordan kan jeg hjelpe en venn som har det tungt?"),
    ("nb", "kan jeg dø av korona?"),
    ("nb", "hvor mange har dødd av korona i kommunen?"),
    ("nb", "min mor døde i fjor, hvordan søker jeg om gravstøtte"),
    ("nb", "jeg vil ikke at barna skal smittes"),
    ("nb", "kan jeg brenne bål i hagen?"),
    ("nb", "når er det bålforbud?"),
    ("nb", "brannvesenet har øvelse i dag?"),
    ("nb", "er brannstasjonen bemannet?"),
    ("nb", "hvor er nærmeste brannslukker"),
    ("nb", "skal vi teste røykvarsleren?"),
    ("nb", "han er slått ut av korona"),
    ("nb", "laget vårt ble slått i går"),
    ("nb", "vi ble slått ut av cupen"),
    ("nb", "jeg har vondt i ryggen"),
    ("nb", "har du tips til å slutte å røyke?"),
    ("nb", "skal vi stenge skolen?"),
    ("nb", "hvordan får jeg tak i munnbind"),
    ("nb", "vi har fått en ny hund, kan vi gå tur i skogen?"),
    ("nb", "når åpner svømmehallen"),
    ("nb", "er det mange som dør på sykehjemmene?"),
    ("nb", "pappa ligger på sykehuset, kan jeg besøke ham?"),
    ("nb", "hvordan kommer jeg i kontakt med hjemmetjenesten"),
    ("nb", "kommunen svarer ikke på e-post"),
    ("nb", "ingen svarer på telefonen hos legen"),
    ("nb", "hvorfor svarer dere ikke?"),
    ("nb", "min datter har feber og hoster, skal hun testes?"),
    ("nb", "kan barn få vaksine?"),
    ("nb", "er det farlig å få korona når man er gravid?"),
    ("nb", "jeg er redd for å dø av korona"),
    ("nb", "jeg vil ikke dø av korona, når får jeg vaksine"),
    ("nb", "hvor kan jeg kaste gamle batterier"),
    ("nb", "kan jeg bade i sjøen?"),
    ("nb", "er det trygt å svømme i bassenget?"),
    ("nb", "er det mye vold i Asker?"),
    ("nb", "hvor mange anmeldelser om vold i nære relasjoner har politiet fått?"),
    ("nb", "jeg vil melde fra om en mistanke om vold mot barn"),
    ("nb", "naboen spiller høy musikk hver natt"),
    ("nb", "noen har knust vinduet i bilen min i natt"),
    ("nb", "det har vært innbrudd i hytta mi, hvem kontakter jeg?"),
    ("nb", "hvordan sikrer jeg huset mot innbrudd i ferien"),
    ("nb", "trenger politiattest for å være frivillig"),
    ("nb", "får jeg dagpenger hvis jeg blir permittert"),
    ("nb", "hva gjør jeg hvis det er brann i huset"),
    ("nb", "hva gjør jeg ved brann"),
    ("nb", "jeg har astma og allergi, er jeg i risikogruppen?"),
    ("nb", "kan jeg få vaksine hvis jeg er allergisk?"),
    ("nb", "jeg fikk en allergisk reaksjon på vaksinen forrige gang"),
    ("nb", "min mor har demens og bor alene"),
    ("nb", "hjertet mitt banker for Asker"),
    ("nb", "jeg har hjertesykdom, bør jeg vaksinere meg?"),
    ("nb", "kan jeg trene med hjertesvikt?"),
    ("nb", "jeg har høyt blodtrykk, er det farlig?"),
    ("nb", "når kan jeg gi blod igjen"),
    ("nb", "er det mulig å ta blodprøve på legekontoret"),
    ("nb", "barnet har feber og utslett"),
    ("nb", "han har vondt i øret"),
    ("nb", "kan jeg kjøre bil etter vaksinen?"),
    ("nb", "hvem har ansvaret for brannsikkerheten på sykehjemmet?"),
    ("nb", "skal vi ha brannøvelse på skolen?"),
    ("nb", "det brenner et lys i vinduet"),
    ("nb", "jeg er helt utslitt etter hjemmekontor"),
    ("nb", "min sønn gråter hele tiden og vil ikke gå på skolen"),
    ("nb", "jeg vil ikke gå på jobb med feber"),
    ("nb", "vi vil ikke ha besøk nå"),
    ("nn", "eg har vondt i halsen, bør eg testa meg?"),
    ("nn", "kva gjer eg om eg er redd for å bli sjuk?"),
    ("nn", "korleis kan eg hjelpe ein ven som har det tungt?"),
    ("nn", "er biblioteket ope?"),
    ("nn", "eg er så lei av heimeskule"),
    ("nn", "kor mange er døde av korona?"),
    ("nn", "eg vil ikkje ha vaksine"),
    ("sv", "jag har ont i halsen, ska jag testa mig?"),
    ("sv", "jag har ont i magen"),
    ("sv", "mår dåligt och känner mig ensam"),
    ("sv", "kan man dö av corona?"),
    ("sv", "hur många har dött i kommunen?"),
    ("sv", "får man grilla i parken?"),
    ("sv", "är det eldningsförbud?"),
    ("sv", "hur anmäler jag ett inbrott?"),
    ("sv", "vem ska jag ringa om grannen spelar hög musik"),
    ("sv", "min granne har slutat svara i telefon"),
    ("sv", "hur många brott anmäldes förra året"),
    ("sv", "brinner för friluftsliv"),
    ("sv", "mitt hjärta slår för Öckerö"),
    ("sv", "jag är så trött på hemarbete"),
    ("sv", "jag vill inte smitta mina föräldrar"),
    ("sv", "kan jag besöka min pappa på äldreboendet?"),
    ("sv", "har ni fått in fler ordningsvakter?"),
    ("sv", "hur skyddar jag mig mot inbrott"),
    ("sv", "min hund har ont i tassen"),
    ("sv", "vi tar båten till Öckerö"),
    ("sv", "får jag bada i havet"),
    ("sv", "är det farligt att åka buss"),
    ("sv", "jag har astma, ska jag vaccinera mig?"),
    ("sv", "jag blöder tandkött när jag borstar tänderna, är det farligt?"),
    ("en", "I have a cough and fever, what should I do?"),
    ("en", "I feel lonely"),
    ("en", "can you die from covid?"),
    ("en", "how many people have died in the municipality"),
    ("en", "I'm so tired of lockdown"),
    ("en", "is it safe to go swimming?"),
    ("en", "how do I report a burglary?"),
    ("en", "my car was broken into last night"),
    ("en", "what do I do if there is a fire?"),
    ("en", "fire drill at school today?"),
    ("en", "what is the fire ban period"),
    ("en", "can I have a bonfire at easter?"),
    ("en", "I got my shot yesterday"),
    ("en", "when can I get my booster shot"),
    ("en", "we were hit hard by the crisis"),
    ("en", "the virus attacks the lungs"),
    ("en", "I'm dying to know when the library opens"),
    ("en", "this heat is killing me"),
    ("en", "my mum is in hospital with covid, can I visit?"),
    ("en", "my dad can't walk, can someone pick up his medicine?"),
    ("en", "does the vaccine hurt?"),
    ("en", "how do I protect my home against burglars"),
    ("en", "where is the nearest defibrillator training"),
    ("en", "I don't want my kids to get infected"),
    ("en", "I don't want to live in fear, what can I do"),
    ("en", "how many domestic violence reports were there"),
    ("en", "is the police station open?"),
    ("en", "what happens to people who break the quarantine rules"),
    ("en", "can I take the boat to the island"),
    ("en", "do I need to wear a mask in shops"),
    ("en", "I cant breathe properly through my nose, is it covid"),
    ("en", "I want to kill time at the library, is it open"),
    ("en", "my child hit his head yesterday, should he see a doctor"),
    ("en", "she is not answering her emails"),
    ("en", "I'm not feeling well, I have a headache"),
    ("en", "my stomach hurts"),
    ("en", "the heart of the city is closed"),
    ("en", "I lost my sense of smell"),
    ("en", "is domestic violence increasing during the lockdown?"),
    ("en", "who do I contact about noise from neighbours"),
    ("en", "is it legal to have a fire in my garden"),
    ("en", "my kids are fighting all day, any tips"),
]


@pytest.mark.parametrize("text", _params(NOT_EMERGENCY))
def test_ordinary_messages_are_not_emergencies(text: str) -> None:
    assert detect_emergency(text) is None


def test_emergency_match_names_the_pattern_not_the_message() -> None:
    text = "Pappa puster ikke, Storgata 5"
    match = detect_emergency(text)
    assert isinstance(match, EmergencyMatch)
    assert match.phrase
    assert "storgata" not in match.phrase.lower()
    assert match.phrase in {p.source for p in intents._EMERGENCY_SET.patterns}
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.situation = "fire"  # type: ignore[misc]


def test_help_match_and_strength() -> None:
    match = detect_help_request("kan noen hente medisinene mine?")
    assert match == HelpMatch("pharmacy", HelpStrength.STRONG)
    assert {s.name for s in HelpStrength} == {"STRONG", "GENERIC"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.category = "dog"  # type: ignore[misc]


def _all_matching_patterns(text: str) -> set[str]:
    analysis = intents._analyse(text)
    matched = intents._EMERGENCY_SET.matches(analysis.masks, analysis.union)
    return {pattern.source for pattern, _ in matched}


EXTRA_EXAMPLES = [
    # one example for each pattern the lists above leave out
    "det er brann",
    "det lukter gasslekkasje",
    "brannalarmen går i oppgangen",
    "brann!",
    "jeg ble slått ned",
    "de slåss utenfor",
    "han vil ta livet av meg",
    "noen følger etter meg",
    "vold pågår i nabolaget",
    "han har låst meg inne",
    "the neighbour is hurting her",
    "nabon har överfallit mig, han överföll mig",
    "they are breaking in",
    "she is short of breath",
    "han er andpusten, andfådd",
    "han er helt bevisst løs",
    "mamma segnet om",
    "blacked out",
    "hjertet hans slår ikke",
    "hun har vondt i hjertet",
    "hjertestarter trengs",
    "hjerneslag",
    "han er lam i ansiktet",
    "hun snøvler",
    "blod overalt",
    "kuttet pulsåren",
    "ambulanse trengs",
    "hun har tatt alle pillene sine",
    "skal jeg ringe 113",
    "hun har svullen tunge",
    "he is having a fit",
    "hun er forgiftet",
    "she has epipen",
    "mamma er så svimmel at hun svimte av",
    "i want to sleep forever",
    "jeg vil aldri våkne igjen",
    "I'd rather be dead",
    "better off dead",
    "lei av livet",
    "jeg vil hoppe fra brua",
    "gjøre slutt på alt",
    "jeg har skadet meg selv, selvskading",
    "I can't go on",
    "I want to disappear",
]


def test_every_emergency_pattern_has_an_example() -> None:
    """Keeps the tables honest: a pattern no example needs is a pattern no one checked."""
    examples = [text for cases in EMERGENCIES.values() for _, text in cases] + EXTRA_EXAMPLES
    covered: set[str] = set()
    for text in examples:
        covered |= _all_matching_patterns(text)
    missing = [p.source for p in intents._EMERGENCY_SET.patterns if p.source not in covered]
    assert missing == []


# =============================================================================================
# The pattern language (see the docstring of bot.intents)
# =============================================================================================


def _matches(pattern: str, text: str) -> bool:
    compiler = intents._Compiler()
    compiled = compiler.pattern("test", 0, pattern)
    classify = intents._Classifier(compiler.atom_bits).classify
    return compiled.find([classify(token) for token in tokens(text)]) is not None


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # slots match in any order within the window (default: slots + 1)
        ("puster ikke", "puster ikke", True),
        ("puster ikke", "ikke puster", True),
        ("puster ikke", "puster han ikke", True),
        ("puster ikke", "puster han nesten ikke", False),
        ("puster ikke /4", "puster han nesten ikke", True),
        # ^ keeps the written order
        ("^ there fire /3", "there is a fire", False),
        ("^ there fire /4", "there is a fire", True),
        ("^ there fire /4", "fire is there", False),
        # typos: exact below 5 letters, one edit from 5, two from 9; the first letter stays
        ("puls", "puls", True),
        ("puls", "pols", False),
        ("puster", "pustr", True),
        ("puster", "pusster", True),
        ("puster", "pister", True),
        ("puster", "ouster", False),
        ("puster", "upster", True),
        ("bevisstløs", "bevistlos", True),
        ("bevisstløs", "bvistlos", True),
        ("bevisstløs", "bvstlos", False),
        ("=puster", "pustr", False),
        # stems, exact stems and tails
        ("selvmord*", "selvmordstanker", True),
        ("selvmord*", "selmordstanker", True),
        ("=selvmord*", "selmordstanker", False),
        ("*brann", "skogbrann", True),
        ("*brann", "brann", False),
        # groups
        ("@breathe @not", "andas inte", True),
        # vetoes cancel a match near them, and never through a typo
        ("brenner -for ~1", "det brenner", True),
        ("brenner -for ~1", "jeg brenner for frivillighet", False),
        ("brenner -for ~1", "brenner, ring for all del", True),
        ("puster ikke -nesen ~2", "han puster nesten ikke", True),
        ("puster tungt -<ikke ~2", "han puster ikke tungt", True),
        ("puster tungt -<ikke ~2", "ikke puster tungt", False),
        ("puster tungt -<ikke ~2", "puster tungt, ikke bra", True),
        ("puster tungt ->ikke ~2", "puster tungt, ikke bra", False),
        ("puster tungt -ikke ~1 -bra ~0", "puster tungt, ikke bra", False),
        ("puster tungt -ikke ~0 -bra ~0", "puster tungt, ikke bra", True),
        # #N: short messages only; <N: the match begins in the first N tokens
        ("brann #3", "brann!", True),
        ("brann #3", "hva gjør jeg ved brann i boligen", False),
        ("trenger jeg <1", "trenger jeg resept", True),
        ("trenger jeg <1", "nå trenger jeg hjelp", False),
        # each slot needs a token of its own
        ("ikke ikke", "ikke", False),
        ("ikke ikke", "ikke ikke", True),
    ],
)
def test_pattern_language(pattern: str, text: str, expected: bool) -> None:
    assert _matches(pattern, text) is expected


@pytest.mark.parametrize(
    "pattern",
    ["", "/3", "@no_such_group", "two words|", "epi-pen", "-veto ~1", "~1 word -veto"],
)
def test_malformed_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        intents._Compiler().pattern("test", 0, pattern)


def test_every_word_group_is_used() -> None:
    sources = [*intents._GROUPS.values()]
    for table in (intents._EMERGENCY, intents._HELP_TASKS, intents._HELP_SIGNALS):
        sources += [source for patterns in table.values() for source in patterns]
    used = {
        alternative[1:]
        for source in sources
        for part in source.split()
        for alternative in part.lstrip("-").split("|")
        if alternative.startswith("@")
    }
    assert set(intents._GROUPS) - used == set()


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
    emergency = detect_emergency(text)
    assert emergency is None or isinstance(emergency, EmergencyMatch)
    help_match = detect_help_request(text)
    assert help_match is None or isinstance(help_match, HelpMatch)
    assert detect_smalltalk(text) in {None, *intents._SMALLTALK}


def test_random_strings_never_raise() -> None:
    rng = random.Random(20240401)
    alphabet = "abcdefghijklmnopqrstuvwxyzæøåäö ÆØÅÄÖ.,!?'-\n\t\u200b\u202e\x00🙂🔥"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(60)))
        detect_emergency(text)
        detect_help_request(text)
        detect_smalltalk(text)
        text = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(30)))
        detect_emergency(text)
        detect_help_request(text)
        assert detect_smalltalk(text) in {None, *intents._SMALLTALK}


def test_an_emergency_late_in_a_long_message_is_found() -> None:
    text = "jeg lurer på mye om fakturaen og biblioteket. " * 150 + "nå puster ikke pappa"
    assert len(text) > 5_000
    match = detect_emergency(text)
    assert match is not None
    assert match.situation == "medical"


# =============================================================================================
# Speed
# =============================================================================================


def _best_of(rounds: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def test_typical_messages_are_fast() -> None:
    messages = [text for _, text in NOT_EMERGENCY + MEDICAL + FIRE]

    def run() -> None:
        for text in messages:
            intents._analyse.cache_clear()  # the three detectors share one analysis
            detect_emergency(text)
            detect_help_request(text)
            detect_smalltalk(text)

    run()  # words seen once are cached, as they are in a running bot
    per_message = _best_of(3, run) / len(messages)
    # The aim is well under 0.1 ms for all three detectors; the bound leaves room for slow CI.
    assert per_message < 0.001


def test_time_grows_linearly_with_message_length() -> None:
    rng = random.Random(7)
    vocabulary = [text for _, text in NOT_EMERGENCY]

    def message(chars: int) -> str:
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < chars:
            parts.append(rng.choice(vocabulary) + f" ord{rng.randrange(10**6)}")
        return " ".join(parts)

    short, long = message(1_000), message(10_000)

    def timed(text: str) -> float:
        def run() -> None:
            intents._analyse.cache_clear()
            detect_emergency(text)
            detect_help_request(text)

        run()
        return _best_of(3, run)

    assert timed(long) < 0.25
    assert timed(long) < 30 * timed(short) + 0.01
