"""Writes eval/support.jsonl, the labelled set of the sentence check (retrieval/verify.py).

The supported pairs below are written by us: a generated-style paraphrase or abridgement
of one real sentence of corpus/ or ../shared/corpus (named by its opening words). Each is
then perturbed automatically: a swapped actor, a changed number, a changed year, a negation
added or removed, and the unchanged sentence cited to a passage of another document or to a
passage of the same document that does not hold its source sentence (both passages shown).
Documents of HOLDOUT form the held-out part.

    PYTHONPATH=. /work/main/.venv/bin/python bench/support_set.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

from core.sentences import display
from evaluation.supportset import CORPORA, SET, WINDOW, document_spans, locate, sentence_of

DOCS = {
    "D": ("default", "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"),
    "L": ("shared", "lag-2009-724-minoritetslagen.md"),
    "B": ("shared", "regeringen-bidrag-till-utvecklingskommuner-for-romsk-inkludering.md"),
    "SAM": ("shared", "regeringen-uppdrag-till-lansstyrelsen-i-stockholms-lan-att-samordna-fo.md"),
    "U": ("shared", "ovriga-kommuner-romsk-inkludering-01-uppsala-kommun-romsk-inkludering.md"),
    "R": ("shared", "stockholm-riktlinjer-nationella-minorite-01-hagersten-liljeholmens-sta.md"),
    "BV": ("shared", "regeringen-uppdrag-till-boverket-om-romsk-inkludering.md"),
    "S": ("shared", "ovriga-kommuner-romsk-inkludering-05-sodertalje-kommun-yttrande-2019-1.md"),
    "SK": ("shared", "skr-2011-12-56-strategi-romsk-inkluderin-07-statskontoret-2018-utvarde.md"),
    "P2": ("shared", "stockholm-program-vald-nara-relationer-h-02-stockholms-stad-press-rele.md"),
    "SS": ("shared", "regeringen-uppdrag-till-socialstyrelsen-om-romsk-inkludering.md"),
    "SV": ("shared", "regeringen-uppdrag-till-statens-skolverk-om-insatser-for-att-oka-kunsk.md"),
    "UM": ("shared", "ovriga-kommuner-romsk-inkludering-06-umea-kommun-mal-och-riktlinjer-fo.md"),
    # Written after the checker was done and measured once before they joined the set
    # (the "blind" rows of bench/README.md, "Verifying generated sentences").
    "AF": ("shared", "regeringen-uppdrag-till-arbetsformedlingen-om-romsk-inkludering.md"),
    "KR": ("shared", "regeringen-uppdrag-till-statens-kulturrad-om-insatser-for-romsk-kultur.md"),
    "MU": ("shared", "regeringen-uppdrag-till-myndigheten-for-ungdoms-och-civilsamhallesfrag.md"),
    "HB": ("shared", "ovriga-kommuner-romsk-inkludering-04-helsingborg-romskinkludering-hels.md"),
    "JM": ("shared", "regeringen-vald-i-nara-relationer-och-hedersrelaterat-vald-och-fortryc.md"),
    "LR": ("shared", "lansstyrelsen-stockholm-romsk-inkluderin-09-lansstyrelsen-rapportering.md"),
}
BLIND = {"AF", "KR", "MU", "HB", "JM", "LR"}
# Held out: the law, the other municipalities, the city's own programme and guidelines, and
# the blind rows.
HOLDOUT = {"L", "U", "R", "S", "P2", "UM"} | BLIND

# (document, the source sentence's opening words, the generated sentence)
PAIRS: list[tuple[str, str, str]] = [
    ("D", "Strategin föreslås gälla", "Strategin föreslås gälla under perioden 2018–2022."),
    ("D", "Socialförvaltningen bedömer att strategin bidrar",
     "Socialförvaltningen bedömer att strategin stärker stadens utvecklingsarbete med romers rättigheter."),
    ("D", "Socialnämndens ansvar omfattar",
     "Socialnämndens ansvar gäller främst rätten till social omsorg och trygghet."),
    ("D", "Socialförvaltningen föreslår att socialnämnden hänvisar",
     "Socialförvaltningen föreslår att socialnämnden hänvisar till tjänsteutlåtandet som svar på remissen."),
    ("D", "År 2016 ansökte Stockholms stad",
     "Stockholms stad ansökte år 2016 om att under två år vara en av fem utvecklingskommuner för romsk inkludering."),
    ("D", "Satsningen är en del av regeringens",
     "Regeringens strategi för romsk inkludering är 20-årig och har målet att den rom som fyller 20 år 2032 ska ha "
     "samma möjligheter som en icke-rom."),
    ("D", "Stadens arbete med romsk inkludering var framskrivet",
     "I budgeten för 2017 fick kommunstyrelsen i uppdrag att ta fram en strategi för romsk inkludering i samråd "
     "med romska företrädare."),
    ("D", "Förvaltningsgruppen har behandlat", "Ärendet behandlades av förvaltningsgruppen den 11 april 2018."),
    ("D", "Socialnämndens och äldrenämndens råd",
     "Socialnämndens och äldrenämndens råd för funktionshinderfrågor behandlade ärendet den 12 april."),
    ("D", "Kommunstyrelsen föreslås ansvara",
     "Enligt förslaget ansvarar kommunstyrelsen för kommunikation, samordning och uppföljning av strategin."),
    ("D", "Arbetsmarknads-, kultur-, utbildnings och socialnämnden",
     "Socialnämnden och stadsdelsnämnderna ansvarar tillsammans med flera andra nämnder för att genomföra strategin."),
    ("D", "Arbetet ska vara en integrerad del",
     "Arbetet ska ingå i varje nämnds verksamhet och rymmas inom den givna ekonomiska ramen."),
    ("D", "Återrapporteringen görs i stadens",
     "Återrapporteringen sker i stadens styr- och ledningssystem och genom en årsrapport från kommunstyrelsen."),
    ("D", "Socialnämnden ska också utveckla",
     "Socialnämnden ska utveckla ett strategiskt arbete med romsk brobyggarverksamhet."),
    ("D", "Arbetet ska utgå ifrån Stockholms stads program",
     "Arbetet ska utgå från stadens program mot våld i nära relationer och hedersrelaterat våld och förtryck "
     "2017–2020."),
    ("D", "Staden samverkar med idéburen sektor",
     "Staden samverkar med idéburen sektor för att nå personer som inte kommer i kontakt med stadens verksamheter."),
    ("D", "Socialförvaltningens arbete med romsk inkludering har",
     "Två brobyggare har projektanställts från 2018 under två år."),
    ("D", "Socialnämnden kommer också att i samarbete",
     "Socialnämnden ska tillsammans med stadsdelarna se över rutiner och arbetssätt för omhändertagande av barn."),
    ("D", "Förvaltningen föreslår att socialnämnden beslutar",
     "Förvaltningen föreslår att socialnämnden godkänner tjänsteutlåtandet som svar på remissen om stadens "
     "strategi för romsk inkludering."),
    ("D", "Socialförvaltningen har tillsammans med stadsdelsnämnderna",
     "Socialförvaltningen och stadsdelsnämnderna har ett gemensamt ansvar för ett systematiskt arbete inom "
     "respektive uppdrag."),
    ("D", "Strategin kompletterar stadens",
     "Strategin är ett komplement till stadens riktlinjer för nationella minoriteter."),
    ("D", "Socialförvaltningen arbetar redan idag",
     "Socialförvaltningen arbetar redan i dag utifrån Stockholms stads program mot våld i nära relationer och "
     "hedersrelaterat våld och förtryck 2017–2020."),
    ("D", "I vision 2040",
     "I vision 2040 Ett Stockholm för alla finns ett tydligt fokus på förebyggande arbete och tidiga insatser i "
     "det sociala arbetet."),
    ("D", "Kommunstyrelsen har remitterat ärendet",
     "Kommunstyrelsen har skickat ärendet på remiss till bland andra socialnämnden, kulturnämnden och samtliga "
     "stadsdelsnämnder."),
    ("L", "Nationella minoriteter är judar",
     "De nationella minoriteterna är judar, romer, samer, sverigefinnar och tornedalingar."),
    ("L", "I språklagen (2009:600) anges att de nationella",
     "Enligt språklagen (2009:600) är de nationella minoritetsspråken finska, jiddisch, meänkieli, romani chib "
     "och samiska."),
    ("L", "Kommuner och regioner ska informera",
     "Kommuner och regioner ska informera de nationella minoriteterna om deras rättigheter enligt lagen."),
    ("L", "Med förvaltningsområdet för meänkieli",
     "Förvaltningsområdet för meänkieli omfattar kommunerna Gällivare, Haparanda, Kiruna, Pajala och Övertorneå."),
    ("L", "I lagen (2022:66)",
     "Lagen (2022:66) om konsultation innehåller särskilda bestämmelser om konsultationer med det samiska folket."),
    ("L", "Lagen innehåller också bestämmelser om uppföljning",
     "Lagen har också bestämmelser om uppföljning av hur lagen tillämpas."),
    ("L", "I språklagen (2009:600) anges att det allmänna",
     "Det allmänna har enligt språklagen (2009:600) ett särskilt ansvar för att skydda och främja de nationella "
     "minoritetsspråken."),
    ("B", "Borås kommun, Gävle kommun",
     "Stockholms kommun beviljas 500 000 kronor för att medverka i en utvecklingsverksamhet för romsk inkludering."),
    ("B", "Kommunerna ska senast den 1 mars",
     "Kommunerna ska redovisa sin verksamhet till Länsstyrelsen i Stockholms län senast den 1 mars 2017 och 2018."),
    ("B", "Bidraget ska användas för att bygga upp",
     "Bidraget ska användas till att bygga upp en struktur i den kommunala förvaltningen för romers inkludering."),
    ("SAM", "De kommuner som 2012–2019",
     "Kommuner som fått bidrag för pilot- eller utvecklingsverksamhet för romsk inkludering 2012–2019 ska "
     "särskilt involveras."),
    ("U", "Sedan juni 2016 är Uppsala kommun",
     "Uppsala kommun har varit utvecklingskommun för romsk inkludering sedan juni 2016."),
    ("U", "Arbetet sker som ett samarbete",
     "I arbetet samarbetar socialförvaltningen, utbildningsförvaltningen, arbetsmarknadsförvaltningen, "
     "kulturförvaltningen och kommunledningskontoret."),
    ("U", "Sveriges regering har beslutat",
     "Regeringens strategi för romsk inkludering gäller till och med 2032."),
    ("U", "Arbetet präglas av romsk delaktighet",
     "Arbetet ska säkerställa att romer får tillgång till sina mänskliga rättigheter och inte drabbas av "
     "diskriminering och antiziganism."),
    ("U", "Visionen är: Den rom som fyller",
     "Visionen är att den rom som fyller 20 år 2032 ska ha likvärdiga möjligheter i livet som den som är icke-rom."),
    ("R", "År 2010 antog kommunfullmäktige",
     "Kommunfullmäktige antog år 2010 en åtgärdsplan för nationella minoriteter och minoritetsspråk i "
     "Stockholms stad."),
    ("R", "År 1999 fattade riksdagen",
     "Riksdagen beslutade år 1999 om anslutning till Europarådets ramkonvention om skydd för nationella "
     "minoriteter."),
    ("R", "Den nu gällande lagen om nationella",
     "Minoritetslagen (2009:724) trädde i kraft den 1 januari 2010."),
    ("R", "Samtliga minoriteter i hela Sverige",
     "Alla minoriteter i hela Sverige omfattas av minoritetslagens grundskydd."),
    ("R", "Förvaltningen delar stadsledningskontorets",
     "Förvaltningen delar stadsledningskontorets förslag om nya riktlinjer för de nationella minoriteternas "
     "rättigheter."),
    ("R", "Både de nationella minoriteterna",
     "De nationella minoriteterna och stadens nämnder har efterfrågat nya riktlinjer med en tydlig "
     "ansvarsfördelning mellan nämnderna."),
    ("BV", "Den 16 februari 2012",
     "Regeringen beslutade den 16 februari 2012 om strategin för romsk inkludering 2012–2032."),
    ("BV", "Regeringen beslutar att ge Boverket",
     "Boverket får i uppdrag att motverka diskriminering av romer på bostadsmarknaden 2016–2018."),
    ("BV", "Boverket ska genomföra arbetet",
     "Boverket ska genomföra arbetet i samverkan med Länsstyrelsen i Stockholms län och romska representanter."),
    ("BV", "Boverket ska senast den 1 mars",
     "Boverket ska redovisa uppdraget till Länsstyrelsen i Stockholms län senast den 1 mars varje år 2017–2019."),
    ("S", "Södertälje kommun ställer sig positiv",
     "Södertälje kommun är positiv till förslaget att inrätta en myndighet för romska frågor."),
    ("SK", "Det har inte ingått i Statskontorets",
     "Statskontorets uppdrag har inte omfattat att analysera styrningen på kommunal nivå."),
    ("SK", "Den sträcker sig fram till 2032",
     "Strategin sträcker sig fram till 2032 med målet att den rom som då fyller 20 ska ha likvärdiga "
     "möjligheter i livet som en icke-rom."),
    ("SK", "Centrala statliga myndigheter",
     "Arbetsförmedlingen, Skolverket och Socialstyrelsen har engagerats genom regeringsuppdrag."),
    ("SK", "Det innebär att kommuner och berörda",
     "Kommuner och berörda myndigheter har inte haft tillräckligt med tid för att planera och förankra "
     "utvecklingsarbetet."),
    ("P2", "Stockholms stad har tagit fram",
     "Stockholms stad har tagit fram ett förslag till ett nytt program mot våld i nära relationer som även "
     "omfattar hedersrelaterat våld och förtryck."),
    ("P2", "I budgeten för 2015",
     "Socialnämnden fick i budgeten för 2015 i uppdrag att revidera stadens program för kvinnofrid, som löpte "
     "ut 2014."),
    ("P2", "Programmet innehåller 5", "Programmet har fem långsiktiga mål och 35 delmål."),
    ("P2", "Ingen ska behöva vara rädd", "Ingen ska behöva vara rädd för att utsättas för våld."),
    ("SS", "Regeringen uppdrar åt Socialstyrelsen",
     "Socialstyrelsen ska genomföra en utbildningsinsats för socialtjänsten om bemötande av romer."),
    ("SS", "Socialstyrelsen ska även genomföra",
     "Socialstyrelsen ska också genomföra ett utvecklingsarbete om omhändertagande av romska barn."),
    ("SS", "Socialstyrelsen ska särskilt verka",
     "Socialstyrelsen ska särskilt involvera romska kvinnor i arbetet."),
    ("SS", "Socialstyrelsen ska senast den 1 mars",
     "Socialstyrelsen ska senast den 1 mars varje år 2017–2019 redovisa uppdraget till Länsstyrelsen i "
     "Stockholms län."),
    ("SV", "Skolverket ska senast den 1 mars",
     "Skolverket ska varje år 2017–2019 redovisa uppdraget senast den 1 mars till Länsstyrelsen i Stockholms län."),
    ("UM", "Enligt lagen om nationella minoriteter",
     "Enligt lagen om nationella minoriteter och minoritetsspråk (2009:724) är kommunen skyldig att ta fram mål "
     "och riktlinjer för det minoritetspolitiska arbetet."),
    ("UM", "Kommunfullmäktige har fastställt",
     "Målen och riktlinjerna fastställdes av kommunfullmäktige i oktober 2020."),
    ("AF", "Regeringen beslutar att ge Arbetsförmedlingen",
     "Arbetsförmedlingen har fått i uppdrag att vidareutveckla sitt arbete med romsk inkludering under 2016–2019."),
    ("AF", "Under 2012–2015 har Arbetsförmedlingen",
     "Arbetsförmedlingen medverkade 2012–2015 i en pilotverksamhet för romsk inkludering."),
    ("AF", "Arbetsförmedlingen ska 2017–2020 årligen",
     "Varje år 2017–2020 ska Arbetsförmedlingen senast den 1 mars redovisa vidtagna åtgärder och resultat "
     "till Länsstyrelsen i Stockholms län."),
    ("KR", "Kulturrådet ska senast den 1 mars",
     "Kulturrådet redovisar uppdraget till Länsstyrelsen i Stockholms län senast den 1 mars varje år 2017–2019."),
    ("MU", "Myndigheten för ungdoms- och civilsamhällesfrågor ska senast den 15 mars",
     "Myndigheten för ungdoms- och civilsamhällesfrågor ska redovisa uppdraget till Regeringskansliet "
     "senast den 15 mars varje år 2017–2020."),
    ("HB", "Socialstyrelsen har fått i Regeringsuppdrag",
     "Socialstyrelsens regeringsuppdrag att ta fram ett utbildningsprogram för romsk inkludering ledde "
     "till brobyggarutbildningen."),
    ("HB", "Tillit kan inte krystas fram",
     "Tillit går inte att krysta fram, utan det är en process som måste få ta tid."),
    ("JM", "Jämställdhetsmyndigheten ska också ha en dialog",
     "Under uppdraget ska Jämställdhetsmyndigheten föra en dialog med Länsstyrelsen i Stockholms län och Sametinget."),
    ("JM", "För uppdraget får Jämställdhetsmyndigheten",
     "Jämställdhetsmyndigheten får använda högst två miljoner kronor för uppdraget under 2024."),
    ("JM", "Jämställdhetsmyndigheten ska lämna in en slutredovisning",
     "Slutredovisningen av uppdraget ska lämnas till regeringen senast den 31 mars 2027."),
    ("LR", "Länsstyrelsen i Stockholms län ansvarar för samordningen",
     "Länsstyrelsen i Stockholms län samordnar den nationella uppföljningen av strategin för romsk inkludering."),
    ("LR", "Genom att aktiviteterna varit av uppstartande",
     "Eftersom aktiviteterna varit i ett uppstartsskede går det inte att redovisa några resultat eller effekter."),
]

# Actor swaps, every inflection written out (the first match in the sentence is swapped).
SWAPS = [
    ("Kommunstyrelsen", "Socialnämnden"), ("kommunstyrelsen", "socialnämnden"),
    ("Kommunstyrelsens", "Socialnämndens"), ("Socialnämndens", "Kommunstyrelsens"),
    ("Socialnämnden", "Kommunstyrelsen"), ("socialnämnden", "kommunstyrelsen"),
    ("Socialförvaltningen", "Stadsledningskontoret"), ("socialförvaltningen", "utbildningsförvaltningen"),
    ("Socialförvaltningens", "Stadsledningskontorets"), ("stadsdelsnämnderna", "utbildningsnämnden"),
    ("Länsstyrelsen i Stockholms län", "Socialstyrelsen"), ("Kommunfullmäktige", "Kommunstyrelsen"),
    ("kommunfullmäktige", "kommunstyrelsen"), ("Boverket", "Skolverket"), ("Skolverket", "Boverket"),
    ("Socialstyrelsen", "Skolverket"), ("Riksdagen", "Regeringen"), ("Regeringen", "Riksdagen"),
    ("Regeringens", "Riksdagens"), ("Uppsala kommun", "Borås kommun"), ("Stockholms kommun", "Malmö kommun"),
    ("Södertälje kommun", "Uppsala kommun"), ("Statskontorets", "Socialstyrelsens"),
    ("förvaltningsgruppen", "socialnämnden"), ("Förvaltningen", "Kommunstyrelsen"),
    ("stadsledningskontorets", "socialförvaltningens"), ("Arbetsförmedlingen", "Boverket"),
    ("Socialnämndens och äldrenämndens", "Kommunstyrelsens"), ("språklagen", "minoritetslagen"),
    ("Minoritetslagen", "Språklagen"), ("minoritetslagens", "socialtjänstlagens"),
    ("Lagen (2022:66)", "Språklagen (2022:66)"), ("Kommuner och regioner", "Myndigheter"),
    ("Kommunerna", "Länsstyrelserna"), ("Gällivare", "Umeå"),
]
WRITTEN = {"två": "tre", "fem": "sex", "tre": "fyra", "fyra": "fem"}
FINITE = r"\b(ska|har|är|kan|kommer|bör|får|gäller|omfattas|omfattar|ansvarar|arbetar|samverkar|innehåller)\b"


def swap_actor(s: str) -> str | None:
    hits = [(m.start(), a, b) for a, b in SWAPS for m in [re.search(rf"(?<!\w){re.escape(a)}(?!\w)", s)] if m]
    if not hits:
        return None
    pos, a, b = min(hits)
    return s[:pos] + b + s[pos + len(a):]


def change_number(s: str, years: bool) -> str | None:
    for m in re.finditer(r"(?<![\d:])\d+(?: \d{3})*", s):
        digits = m.group(0).replace(" ", "")
        is_year = len(digits) == 4 and 1900 <= int(digits) <= 2100
        if is_year != years:
            continue
        step = 1 if years else 3
        new = str(int(digits) + step)
        while new in s:
            new = str(int(new) + step)
        if not years and " " in m.group(0):
            new = f"{int(digits) * 2:,}".replace(",", " ")
        return s[: m.start()] + new + s[m.end():]
    if not years:
        for word, other in WRITTEN.items():
            m = re.search(rf"\b{word}\b", s, re.IGNORECASE)
            if m:
                return s[: m.start()] + (other.capitalize() if m.group(0)[0].isupper() else other) + s[m.end():]
    return None


def flip_negation(s: str) -> str:
    m = re.search(r"\s(inte|ej|aldrig)\b", s)
    if m:
        return s[: m.start()] + s[m.end():]
    if s.startswith("Ingen "):
        return "Alla" + s[len("Ingen"):].replace(" behöva", " behöva", 1)
    m = re.search(FINITE, s)
    if m is None:
        return s[:-1] + " inte."
    return s[: m.end()] + " inte" + s[m.end():]


def far_sentence(own: dict[str, str]) -> dict[str, str] | None:
    """A sentence of the same document whose passage does not overlap `own`'s: the
    nearest one at least 2 * WINDOW + 1 sentences after it (else before it)."""
    text, spans = document_spans(CORPORA[own["corpus"]] / own["doc"])
    _, i = locate(own["doc"], own["corpus"], own["sentence"])
    gap = 2 * WINDOW + 1
    for j in [*range(i + gap, len(spans)), *range(i - gap, -1, -1)]:
        sentence = display(text[spans[j][0] : spans[j][1]])
        if len(sentence.split()) >= 6 and sentence_of(own["doc"], own["corpus"], sentence) == sentence:
            return {"doc": own["doc"], "corpus": own["corpus"], "sentence": sentence}
    return None


def row(pid: str, split: str, kind: str, sentence: str, passages: list[dict[str, str]],
        cite: int) -> dict[str, object]:
    """One row of the set; the citation goes before the sentence's final stop."""
    return {"id": pid if kind == "supported" else f"{pid}-{kind}",
            "label": "supported" if kind == "supported" else "perturbed", "kind": kind, "split": split,
            "sentence": f"{sentence[:-1]} [{cite}]{sentence[-1]}", "passages": passages, "pair": pid}


def main() -> None:
    if not CORPORA["shared"].is_dir():
        sys.exit(f"{CORPORA['shared']} is needed to build the set")
    rows: list[dict[str, object]] = []
    sources = []
    for key, opening, _ in PAIRS:
        corpus, doc = DOCS[key]
        sources.append({"doc": doc, "corpus": corpus, "sentence": sentence_of(doc, corpus, opening)})
    for i, (key, _, generated) in enumerate(PAIRS):
        split = "holdout" if key in HOLDOUT else "fit"
        pid = f"s{i + 1:03d}"
        own = sources[i]

        def add(kind: str, sentence: str, passages: list[dict[str, str]], cite: int = 1) -> None:
            rows.append(row(pid, split, kind, sentence, passages, cite))  # noqa: B023 (called in this iteration)

        add("supported", generated, [own])
        actor = swap_actor(generated)
        if actor:
            add("actor", actor, [own])
        number = change_number(generated, years=False)
        if number:
            add("number", number, [own])
        year = change_number(generated, years=True)
        if year:
            add("year", year, [own])
        add("negation", flip_negation(generated), [own])
        other = next(sources[(i + k) % len(sources)] for k in range(7, len(sources))
                     if sources[(i + k) % len(sources)]["doc"] != own["doc"])
        add("document", generated, [own, other], cite=2)
        far = far_sentence(own)
        if far:
            add("passage", generated, [own, far], cite=2)
    SET.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    kinds = Counter(str(r["kind"]) for r in rows)
    print(f"{len(rows)} rows -> {SET}: {kinds}")


if __name__ == "__main__":
    main()
