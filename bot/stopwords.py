"""Words that carry no topic, in folded form (see `bot.text.fold`), for nb, nn, sv and en.

Matching ignores them, so "can I postpone my invoice please" and "postpone invoice" compare
alike. Filler words residents add ("lately", "egentlig", "typ") belong here too: a word the
knowledge base lacks otherwise counts as evidence that the question is about something else.

"Who" (hvem, vem, kven, who) is kept on purpose: it asks for a person, which tells a contact
entry from one that only mentions the police.
"""

from __future__ import annotations

_NORWEGIAN = """
    jeg eg e ae meg deg du dere dykk han hun ho den det de dei dem seg oss vi me min mitt mine
    din ditt dine sin sitt sine var vart vare hans hennes deres dykkar deira
    er var vaere vore vaert vorte blir ble blei bli har hadde hatt ha kan kunne kunna vil ville
    skal skulle ska ma matte maatte far fikk fekk faa gjor gjorde gjort gjer gjere gjore
    og eller men for som at a i pa paa til fra fraa av med om hos etter over under ved inn ut
    opp ned mot uten utan mellom gjennom rundt innen hvis dersom fordi sa da nar naar enn
    hva kva ka    hvor kor kvar hvordan korleis koss assen hvorfor kvifor korfor
    hvilken hvilke hvilket kva slags noe noko noen nokon ingen ingenting alle alt hver kvar
    denne dette disse dei her der ikke ikkje ikkj itj ja nei jo vel nok bare berre ogsa og
    na no naa enda enna allerede alt fortsatt framleis egentlig eigentleg liksom typ visst
    kanskje gjerne litt mye mykje mange masse veldig svart ganske helt heilt akkurat sann
    slik slikt sant lenge lengre nylig nyleg snart tidligere seinere senere her hei hallo
    takk vennligst please mvh hilsen idag imorgen imorra
"""
_SWEDISH = """
    jag mig dig du ni er han hon den det de dem sig oss vi min mitt mina din ditt dina sin
    sitt sina var vart vara hans hennes deras
    ar var vara varit blir blev bli har hade haft ha kan kunde vill ville ska skall skulle
    maste far fick gor gjorde gjort gora
    och eller men for som att i pa till fran av med om hos efter over under vid in ut upp ner
    mot utan mellan genom runt inom eftersom sa da nar an
    vad  var hur varfor vilken vilket vilka nagot nagon nagra ingen inget inga ingenting
    alla allt varje denna detta dessa har dar inte ej ja nej jo val nog bara ocksa aven
    nu annu redan fortfarande egentligen liksom typ visst kanske garna lite mycket manga
    valdigt jatte ganska helt precis sadan sadant sa lange langre nyligen snart tidigare
    senare hej hallo tack snalla mvh halsningar idag imorgon
"""
_ENGLISH = """
    i me my mine you your yours he him his she her hers it its we us our ours they them their
    theirs myself yourself ourselves
    am is are was were be been being do does did done doing have has had having can could
    will would shall should may might must get got gets getting im ive id ill youre youve
    its isnt arent wasnt werent dont doesnt didnt cant couldnt wont wouldnt shouldnt whats
    theres heres lets
    and or but if then than so because as of at by for with about into onto from to in on
    off out up down over under again further once during before after above below between
    through until while
    what   whose which where when why how this that these those there here
    a an the some any no not only own same such too very just also still already yet now
    ever even really actually basically currently lately recently soon anyway please
    thanks thank hi hello hey ok okay yes yeah right well much many lot lots little bit
    quite rather pretty kind sort like today tonight tomorrow
"""

STOPWORDS: frozenset[str] = frozenset((_NORWEGIAN + _SWEDISH + _ENGLISH).split())
