"""Swedish lexicon for responsibility extraction: actors, their normalisation,
and (at the end) the verb patterns that `ingest.responsibility` applies.

Canonical naming rule (applied consistently by :func:`normalise_actor`):

* Municipal bodies use the capitalised **definite** form that Swedish municipal
  text uses for them: ``Kommunstyrelsen``, ``Socialnämnden``,
  ``Arbetsmarknadsnämnden``, ``Socialförvaltningen``, ``Kommunfullmäktige``.
  Indefinite (``socialnämnd``), genitive (``Socialnämndens``) and lower-case forms
  map to it. Bodies that exist in many copies use the definite plural:
  every form of *stadsdelsnämnd* (and ``stadsdelarna``) is ``Stadsdelsnämnderna``,
  every *stadsdelsförvaltning* is ``Stadsdelsförvaltningarna``; a named one keeps
  its name (``Hägersten-Liljeholmens stadsdelsnämnd``).
* Generic classes of actors also use the definite plural: ``Kommunerna``,
  ``Regionerna``, ``Landstingen``, ``Myndigheterna``, ``Förvaltningsmyndigheterna``.
  The document-relative singulars stay as written: ``Kommunen``, ``Staden``
  (which city depends on the document); named municipalities keep their name
  with lower-case ``stad``/``kommun`` (``Helsingborgs stad``, ``Södertälje kommun``;
  ``Stockholms kommun`` is ``Stockholms stad``).
* State agencies use the short name the agency itself uses when it is a word
  (``Skolverket`` for *Statens skolverk*, ``Kulturrådet`` for *Statens kulturråd*,
  ``Kungliga biblioteket`` for *Kungl. biblioteket*), otherwise the full name.
  Abbreviations are always expanded (KS, KF, SN, MUCF, Isof, DO, SKL/SKR), and
  renamed agencies map to one name (*Myndigheten för civilsamhället* is
  ``Myndigheten för ungdoms- och civilsamhällesfrågor``).
* Every form of the Stockholm county board, including a bare ``Länsstyrelsen``
  (the only county board with national tasks for minority policy and Roma
  inclusion in this corpus), is ``Länsstyrelsen i Stockholms län``; other county
  boards keep ``Länsstyrelsen i X län``.
* A bare ``myndigheten`` is returned as ``Myndigheten``: an anaphor that the
  extractor resolves to the agency the document is about.

Known limit: hyphen elision is always expanded, so a single body named like
"Kultur- och fritidsnämnden" becomes two actors (Stockholm has no such body).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

LST = "Länsstyrelsen i Stockholms län"
ISOF = "Institutet för språk och folkminnen"
MUCF = "Myndigheten för ungdoms- och civilsamhällesfrågor"
ANAPHOR = "Myndigheten"

ABBREVIATIONS = {
    "KS": "Kommunstyrelsen",
    "KF": "Kommunfullmäktige",
    "SN": "Socialnämnden",
    "MUCF": MUCF,
    "Isof": ISOF,
    "ISOF": ISOF,
    "DO": "Diskrimineringsombudsmannen",
    "SKL": "Sveriges Kommuner och Regioner",
    "SKR": "Sveriges Kommuner och Regioner",
}

# Heads that can carry a Swedish hyphen-elision list ("Arbetsmarknads-, kultur- och socialnämnden").
HEADS = tuple(
    "nämnderna nämnden nämnder nämnd förvaltningarna förvaltningen förvaltning styrelsen styrelse".split()
)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _compound(word: str, head: str, plural: str) -> str:
    """Canonical name of a compound such as 'socialnämnden' or 'stadsdelsnämnd'."""
    w = re.sub(r"\s+", " ", word).lower()
    prefix = w[: w.index(head)]
    if prefix == "stadsdels":
        return "Stadsdels" + plural
    if w.endswith(("erna", "arna")):
        return _cap(prefix) + plural
    return _cap(prefix) + head + "en"


def _named_city(s: str) -> str:
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\s(?:Stad|stad)$", " stad", s)
    s = re.sub(r"\skommun$", " kommun", s)
    return "Stockholms stad" if s == "Stockholms kommun" else s


_Canon = str | Callable[[str], str]
CAP = r"(?-i:[A-ZÅÄÖ])"
# (regex, canonical or function of the matched text, used when scanning running text)
ENTRIES: list[tuple[str, _Canon, bool]] = [
    (r"länsstyrelsen\s+i\s+stockholms\s+län", LST, True),
    (r"länsstyrelsen\s+(?:i\s+)?stockholm", LST, True),
    (
        rf"länsstyrelsen\s+i\s+{CAP}[\wåäö-]+\s+län",
        lambda s: "Länsstyrelsen i " + " ".join(s.split()[2:]),
        True,
    ),
    (r"länsstyrelsen", LST, True),
    (r"länsstyrelse", LST, False),
    (r"statens\s+skolverk|skolverket", "Skolverket", True),
    (r"statens\s+kulturråd|kulturrådet", "Kulturrådet", True),
    (r"institutet\s+för\s+språk\s+och\s+folkminnen|(?-i:Isof|ISOF)", ISOF, True),
    (
        r"myndigheten\s+för\s+ungdoms-\s*och\s+civilsamhällesfrågor|myndigheten\s+för\s+civilsamhället|(?-i:MUCF)",
        MUCF,
        True,
    ),
    (r"statens\s+folkhälsoinstitut", "Statens folkhälsoinstitut", True),
    (r"forum\s+för\s+levande\s+historia", "Forum för levande historia", True),
    (r"kungl(?:\.|iga)\s+biblioteket", "Kungliga biblioteket", True),
    (r"delegationen\s+för\s+romska\s+frågor", "Delegationen för romska frågor", True),
    (r"kommissionen\s+mot\s+antiziganism", "Kommissionen mot antiziganism", True),
    (
        r"sveriges\s+kommuner\s+och\s+(?:landsting|regioner)|(?-i:SKL|SKR)",
        "Sveriges Kommuner och Regioner",
        True,
    ),
    (r"diskrimineringsombudsmannen|(?-i:DO)", "Diskrimineringsombudsmannen", True),
    (
        r"(socialstyrelsen|boverket|arbetsförmedlingen|statskontoret|folkhälsomyndigheten|sametinget"
        r"|jämställdhetsmyndigheten|barnombudsmannen|lantmäteriet|kammarkollegiet|försäkringskassan"
        r"|skatteverket|justitiekanslern|regeringskansliet|regeringen|riksdagen)",
        lambda s: _cap(s.lower()),
        True,
    ),
    (r"kommunstyrelsen?|(?-i:KS)", "Kommunstyrelsen", True),
    (r"kommunfullmäktige|(?-i:KF)", "Kommunfullmäktige", True),
    (r"stadsledningskontoret", "Stadsledningskontoret", True),
    (r"kommunledningskontoret", "Kommunledningskontoret", True),
    (rf"{CAP}[\wåäö]+(?:-{CAP}[\wåäö]+)*s\s+stadsdelsnämnd", lambda s: " ".join(s.split()), True),
    (
        r"(?!om(?:nämnd|förvaltning))[\wåäö]{2,}?nämnd(?:erna|en|er)?",
        lambda s: _compound(s, "nämnd", "nämnderna"),
        True,
    ),
    (r"[\wåäö]{2,}?förvaltning(?:arna|en)?", lambda s: _compound(s, "förvaltning", "förvaltningarna"), True),
    (r"stadsdelarna", "Stadsdelsnämnderna", True),
    (rf"{CAP}[\wåäö]+s\s+(?-i:[Ss])tad", _named_city, True),
    (
        rf"(?!(?-i:En|Den|Denna|Varje|Vilken|Någon|Ingen|Samma|Hela|Sin|Din|Vår|Er)\s){CAP}[\wåäö]+\s+kommun",
        _named_city,
        True,
    ),
    (r"staden", "Staden", True),
    (r"kommunen", "Kommunen", True),
    (r"kommunerna|kommuner", "Kommunerna", True),
    (r"regionerna|regioner", "Regionerna", True),
    (r"landstingen|landsting", "Landstingen", True),
    (r"förvaltningsmyndigheterna|förvaltningsmyndigheter", "Förvaltningsmyndigheterna", True),
    (r"myndigheterna|myndigheter", "Myndigheterna", True),
    (r"myndigheten", ANAPHOR, True),
]

_FULL = [(re.compile(rf"(?:{p})", re.IGNORECASE), c) for p, c, _ in ENTRIES]
_SCAN_ENTRIES = [(p, c) for p, c, scan in ENTRIES if scan]
_SCAN = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(f"(?P<g{i}>{p})" for i, (p, _) in enumerate(_SCAN_ENTRIES))
    + r")(?P<gen>s)?(?![\w-])",
    re.IGNORECASE,
)

AGENCIES = frozenset(
    [LST, ISOF, MUCF]
    + "Skolverket|Kulturrådet|Socialstyrelsen|Boverket|Arbetsförmedlingen|Statskontoret|Folkhälsomyndigheten|"
    "Statens folkhälsoinstitut|Sametinget|Jämställdhetsmyndigheten|Diskrimineringsombudsmannen|"
    "Barnombudsmannen|"
    "Lantmäteriet|Kammarkollegiet|Försäkringskassan|Skatteverket|Justitiekanslern|Forum för levande historia|"
    "Kungliga biblioteket".split("|")
)


def _apply(canon: _Canon, text: str) -> str:
    return canon(text) if callable(canon) else canon


def _lookup(s: str) -> str | None:
    for rx, canon in _FULL:
        if rx.fullmatch(s):
            return _apply(canon, s)
    return None


def normalise_actor(name: str) -> str:
    """Canonical form of an actor name (see the module docstring for the rule)."""
    s = re.sub(r"\s+", " ", name).strip().strip(".,;:()")
    if s in ABBREVIATIONS:
        return ABBREVIATIONS[s]
    if s.endswith("s") and s[:-1] in ABBREVIATIONS:
        return ABBREVIATIONS[s[:-1]]
    found = _lookup(s)
    if found is None and s.lower().endswith("s"):
        found = _lookup(s[:-1])
    return found if found is not None else _cap(s)


def is_agency(actor: str) -> bool:
    return actor in AGENCIES or actor.startswith("Länsstyrelsen i ")


def is_municipal_body(actor: str) -> bool:
    return (
        actor.endswith(
            ("nämnden", "nämnderna", "nämnd", "förvaltningen", "förvaltningarna", "styrelsen", "kontoret")
        )
        or actor == "Kommunfullmäktige"
    )


@dataclass(frozen=True)
class Mention:
    """An actor mention in a text: [start, end) includes a genitive -s."""

    start: int
    end: int
    actor: str
    genitive: bool
    surface: str

    @property
    def head(self) -> str | None:
        """Compound head that elided list members share ('nämnden' in 'socialnämnden')."""
        low = self.surface.lower()
        if self.genitive:
            low = low[:-1]
        return next((h for h in HEADS if low.endswith(h) and len(low) > len(h)), None)


def find_mentions(text: str) -> list[Mention]:
    """Actor mentions in running text; a bare 'myndigheten' right before a name is dropped."""
    out: list[Mention] = []
    for m in _SCAN.finditer(text):
        idx = next(int(k[1:]) for k, v in m.groupdict().items() if v is not None and k != "gen")
        base = m.group(f"g{idx}")
        out.append(
            Mention(
                m.start(),
                m.end(),
                _apply(_SCAN_ENTRIES[idx][1], base),
                m.group("gen") is not None,
                m.group(0),
            )
        )
    kept = []
    for i, mn in enumerate(out):
        nxt = out[i + 1] if i + 1 < len(out) else None
        if mn.actor == ANAPHOR and not mn.genitive and nxt and text[mn.end : nxt.start].strip() == "":
            continue  # "myndigheten Forum för levande historia": keep the name only
        kept.append(mn)
    return kept


SEP = r"(?:\s*,\s*(?:och\s+|samt\s+)?|\s+(?:och|samt|respektive)\s+)"
_ELIDED_LEFT = re.compile(r"([\wåäöÅÄÖ]+-?)" + SEP + r"$")
_ELIDED_GAP = re.compile(SEP + r"((?:[\wåäöÅÄÖ]+-" + SEP + r")*)$")


def elided_span(before: str) -> tuple[list[str], int]:
    """Elided list members at the end of `before` (left to right) and where they start.

    'Arbetsmarknads-, kultur-, utbildnings och ' -> ['Arbetsmarknads', 'kultur', 'utbildnings'].
    A member without the hyphen (a common typo) is accepted only inside a hyphenated chain.
    """
    found: list[tuple[str, int]] = []
    pos = len(before)
    while m := _ELIDED_LEFT.search(before[:pos]):
        word = m.group(1)
        if not (word.endswith("-") or word.lower().endswith("s")):
            break
        found.append((word, m.start()))
        pos = m.start()
    found.reverse()
    while found and not found[0][0].endswith("-"):
        found.pop(0)
    if not found:
        return [], len(before)
    return [w.rstrip("-") for w, _ in found], found[0][1]


def elided_prefixes(before: str) -> list[str]:
    """Elided list members right before a compound actor (see :func:`elided_span`)."""
    return elided_span(before)[0]


def expand_joint_list(text: str) -> list[str]:
    """Canonical actors of a coordinated list, expanding Swedish hyphen elision.

    'Arbetsmarknads-, kultur-, utbildnings och socialnämnden samt stadsdelsnämnderna'
    -> ['Arbetsmarknadsnämnden', 'Kulturnämnden', 'Utbildningsnämnden', 'Socialnämnden',
    'Stadsdelsnämnderna'].
    Items that are not actors are dropped.
    """
    out: list[str] = []
    prev_end = 0
    for mn in find_mentions(text):
        before = text[prev_end : mn.start]
        if mn.head:
            for prefix in elided_prefixes(before):
                out.append(normalise_actor(prefix + mn.head))
        out.append(mn.actor)
        prev_end = mn.end
    return list(dict.fromkeys(out))


# ------------------------------------------- responsibility verb patterns (used by ingest.responsibility)
ADV = (
    r"(?:(?:också|även|särskilt|härvid|vidare|därför|dessutom|fortsättningsvis|nu|redan|alltid|gemensamt"
    r"|tillsammans|bland\s+annat|bl\.a\.|sedan\s+\d{4}|\d{4}(?:[–-]\d{4})?)\s+)*"
)
UPPDRAG = r"i\s+(?:särskilt\s+)?[\wåäö]*uppdrag\s+(?:om\s+)?att\b\s*"
# (name, regex matched right after the subject); order matters
TRIGGERS: list[tuple[str, re.Pattern[str]]] = [
    (n, re.compile(p, re.IGNORECASE))
    for n, p in [
        (
            "assign",
            r"\s+(?:har\s+fått|hade\s+fått|har\s+haft|hade\s+haft|bör\s+få|ska\s+få|skall\s+få|har|hade|får|fick"
            r"|ges|gavs|getts)(?:\s+(?!att\b)\S+){0,3}?\s+" + UPPDRAG,
        ),
        ("assign", r"\s+uppdras\s+(?:\S+\s+){0,2}?att\s+"),
        ("ansvar", r"\s+föreslås\s+ansvara\s+för\s+(?:att\s+)?"),
        ("ansvar", r"\s+(?:ansvarar|ansvarade)\s+" + ADV + r"för\s+(?:att\s+)?"),
        ("ansvar", r"\s+(?:ska|skall|bör)\s+" + ADV + r"ansvara\s+för\s+(?:att\s+)?"),
        (
            "ansvar",
            r"\s+(?:har|hade)\s+(?P<gap>(?:\S+\s+){0,6}?)(?:ansvar(?:et)?|skyldighet(?:en)?)"
            r"\s+(?:för|att)\s+(?:att\s+)?",
        ),
        ("ansvar", r"\s+(?:är|var)\s+" + ADV + r"(?:(?=ansvarig)|skyldig[a]?\s+(?:att\s+)?)"),
        ("ska", r"\s+kommer\s+" + ADV + r"att\s+"),
        ("ska", r"\s+föreslås\s+(?=\w)"),
        ("ska", r"\s+(?:ska|skall|bör)\b\s*" + ADV),
        ("utvecklar", r"\s+(?=utvecklar\b)"),
    ]
]
PRESENT = re.compile(r"\s+(?=[a-zåäö]+(?:ar|er|r)\b)")
INVERTED = re.compile(r"(?:^|\s)(ska|skall|bör|ansvarar|har|hade|får|fick|kommer|är)\s+$", re.IGNORECASE)
INVERTED_REST = {
    **dict.fromkeys(("ska", "skall", "bör"), r"\s*" + ADV),
    "ansvarar": r"\s+" + ADV + r"för\s+(?:att\s+)?",
    "har": r"\s+(?:\S+\s+){0,3}?(?:(?:fått|haft)\s+)?" + UPPDRAG,
    "hade": r"\s+(?:\S+\s+){0,3}?(?:haft\s+)?" + UPPDRAG,
    **dict.fromkeys(("får", "fick"), r"\s+(?:\S+\s+){0,2}?" + UPPDRAG),
    "kommer": r"\s+" + ADV + r"att\s+",
    "är": r"\s+" + ADV + r"(?:(?=ansvarig)|skyldig[a]?\s+(?:att\s+)?)",
}
RECIPIENT = [
    (re.compile(r"\buppdrar\s+(?:åt|till)\s+$", re.I), re.compile(r"\s*(?:\([^)]*\)\s*)?att\s+")),
    (
        re.compile(
            r"\b(?:ge|ger|gav|gett|givit)\s+(?:(?:vi|nu|därför|också|även|regeringen|härmed)\s+)*$", re.I
        ),
        re.compile(
            r"\s+(?:i\s+uppdrag(?:\s+att)?|(?:ett|detta|det|nytt|fortsatt|särskilt)\s+(?:\w+\s+)?uppdrag"
            r"(?:\s+att)?)\s*",
            re.I,
        ),
    ),
    (re.compile(r"\bskyldighet(?:en)?\s+för\s+$", re.I), re.compile(r"\s+att\s+")),
    (re.compile(r"\bkräver\s+att\s+$", re.I), re.compile(r"\s+(?=[a-zåäö]+(?:ar|er|r)\b)")),
]
GEN_ANSVAR = re.compile(r"\s+ansvar\s+(?:omfattar|innefattar|gäller|avser)\s+", re.I)
INGAR = re.compile(
    r"^I\s+(?:(\x01\d+\x02)\s+)?(?:uppdraget|uppdrag|insatsen|detta|det)\s+(?:har\s+)?(?:\S+\s+){0,2}?"
    r"(?:ingår|ingick|ingått)\s+(?:\S+\s+){0,2}?att\b\s*"
)
PRONOUN = re.compile(r"(?:^|\b(?:eftersom|då|och|men|att|som|när|så)\s)([Dd]e)(?=\s)")
PASSIVE = re.compile(r"\b(?:ska|skall)\s+" + ADV + r"([a-zåäö]{4,}s)\b")
ANTECEDENT = re.compile(r"(?:^|\s)((?:den|det|de|ett|en)\s+[^,\x01]*?)\s+som\s*$", re.I)
DEPONENT = frozenset(
    "finnas hoppas lyckas andas minnas trivas låtsas synas kännas märkas fattas umgås enas".split()
)
PREPS = frozenset(
    "med till av från för åt hos mellan om i på inom under enligt genom bland mot via vid kring efter "
    "utan än inför hos bakom ur".split()
)
QUANT = frozenset(
    "flera många några vissa andra övriga berörda flertal antal tiotal tjugotal dessa de vilka vilken "
    "vilket".split()
)
APPOSITION = re.compile(r"(?::|,?\s*(?:däribland|bland\s+annat|bl\.a\.|exempelvis|t\.ex\.|såsom))\s*$")
NUMERALS = frozenset("två tre fyra fem sex sju åtta nio tio".split())
