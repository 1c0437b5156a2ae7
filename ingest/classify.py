"""A document's kind group and issuer group (core/groups.py), for the filters staff
narrow a question with. A pure function of what the index knows at ingest: the
manifest's `kind`, `issuer` and `source`, and the title.

The signals, strongest first:
1. the manifest's `kind` / `issuer` when it names a group ("strategi", "remissvar",
   "Stockholms stad"); a provenance word such as "utdrag" names none;
2. the source when it is one address: its host (regeringen.se, lansstyrelsen.se …)
   and path (/regeringsuppdrag/, /proposition/ …), or a source written as text
   ("Stockholms stad, socialförvaltningen");
3. the title. A part of a collection ("Länsstyrelsen i Stockholms län – uppföljning …
   – minoritet.se, "Nulägesbeskrivningar"") is titled by the collection and then its
   own name: the part's own words count first, then the collection's first segment.
   Quoted names are left out when the issuer is read ("Socialstyrelsen besökte
   Helsingborg" is a page of Helsingborg, not of Socialstyrelsen);
4. a regeringsuppdrag, proposition, skrivelse or law is issued by the government or
   parliament; otherwise "ovrigt" / "okand".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlparse

from core.groups import ISSUER_GROUPS, KIND_GROUPS
from core.records import DocInfo

_I = re.IGNORECASE
# Title words of each kind, in order of precedence within one piece of a title.
_KIND_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("yttrande", re.compile(r"tjänsteutlåtande|remissvar|remissyttrande|\byttrande", _I)),
    ("lag", re.compile(r"^lag\b|\blag \(\d{4}:\d+\)|förordning \(\d{4}:\d+\)|\bSFS\b", _I)),
    ("uppdrag", re.compile(r"^(ändring av beslut om )?uppdrag till|regeringsuppdrag", _I)),
    ("proposition", re.compile(r"\bprop\.|proposition|\bskr\.|skrivelse", _I)),
    ("rapport", re.compile(r"rapport|utvärdering|uppföljning|nulägesbeskrivning|nuläget|utveckling \d{4}|"
                           r"sammanfattning", _I)),
    ("ovrigt", re.compile(r"web page|webbsida|press release|pressmeddelande|fact sheet|"
                          r"minoritet\.se|start\.stockholm|gov\.se|kunskapsguiden", _I)),
    ("riktlinjer", re.compile(r"riktlinje", _I)),
    ("strategi", re.compile(r"strategi|program\b|programmet|handlingsplan", _I)),
)
# Words of each issuer; within one piece of text the earliest mention wins.
_ISSUER_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lansstyrelsen", re.compile(r"länsstyrelse|lansstyrelsen\.se|minoritet\.se", _I)),
    ("stockholm", re.compile(r"stockholms stad|stockholms kommun|start\.stockholm|stockholm\.se|"
                             r"socialförvaltningen|stadsdelsnämnd", _I)),
    ("regeringen", re.compile(r"regeringen|regeringens|riksdagen|\bgov\.se|\bskr\.|\bprop\.|departement|"
                              r"\bSFS\b|^lag \(", _I)),
    ("myndighet", re.compile(r"socialstyrelsen|kunskapsguiden|statskontoret|skolverk|boverket|"
                             r"arbetsförmedlingen|myndigheten för|\bMUCF\b|sametinget|institutet för|"
                             r"kulturrådet|diskrimineringsombudsmannen|försäkringskassan", _I)),
    ("kommun", re.compile(r"\bkommun(en|er|erna|ers|s)?\b|\b(?!stockholms?\b)[a-zåäö]{3,}s? stad(s|en)?\b", _I)),
)
# The manifest's own words for a kind ("kind" in sources.toml, or the metadata form).
_KIND_NAMES = {
    "strategi": "strategi", "program": "strategi", "handlingsplan": "strategi", "policy": "strategi",
    "plan": "strategi", "riktlinjer": "riktlinjer", "riktlinje": "riktlinjer", "lag": "lag",
    "förordning": "lag", "författning": "lag", "föreskrift": "lag", "föreskrifter": "lag",
    "regeringsuppdrag": "uppdrag", "uppdrag": "uppdrag", "proposition": "proposition",
    "skrivelse": "proposition", "rapport": "rapport", "uppföljning": "rapport", "utvärdering": "rapport",
    "årsrapport": "rapport", "tjänsteutlåtande": "yttrande", "remissvar": "yttrande",
    "remissyttrande": "yttrande", "yttrande": "yttrande", "webbsida": "ovrigt", "pressmeddelande": "ovrigt",
    "annat": "ovrigt", "övrigt": "ovrigt",
}
# Hosts of a single-address source.
_HOSTS: tuple[tuple[str, str], ...] = (
    ("regeringen.se", "regeringen"), ("riksdagen.se", "regeringen"), ("gov.se", "regeringen"),
    ("lansstyrelsen.se", "lansstyrelsen"), ("minoritet.se", "lansstyrelsen"),
    ("stockholm.se", "stockholm"), ("start.stockholm", "stockholm"),
    ("socialstyrelsen.se", "myndighet"), ("kunskapsguiden.se", "myndighet"), ("skolverket.se", "myndighet"),
    ("boverket.se", "myndighet"), ("statskontoret.se", "myndighet"), ("mucf.se", "myndighet"),
)
_PATHS: tuple[tuple[str, str], ...] = (
    ("regeringsuppdrag", "uppdrag"), ("proposition", "proposition"), ("skrivelse", "proposition"),
    ("sfst", "lag"), ("forfattning", "lag"), ("pressmeddelande", "ovrigt"), ("artiklar", "ovrigt"),
)
_BY_GOVERNMENT = frozenset({"uppdrag", "proposition", "lag"})
_URL = re.compile(r"https?://\S+", _I)
_SEPARATOR = " – "
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|”[^”]*”")


@dataclass(frozen=True)
class DocFacts:
    kind_group: str  # a key of KIND_GROUPS
    issuer_group: str  # a key of ISSUER_GROUPS


def classify(title: str, kind: str | None = None, issuer: str | None = None, source: str | None = None,
             other_titles: Iterable[str] = ()) -> DocFacts:
    """The groups of one document; `other_titles`: the titles of the other documents of
    the index, to tell a collection's part from the collection."""
    collection, part = split_title(title, other_titles)
    pieces = [part, collection]
    url = _single_url(source)
    kind_group = (
        _named(kind, _KIND_NAMES, KIND_GROUPS)
        or (_url_kind(url) if url else None)
        or _first(_kind_in, pieces)
        or "ovrigt"
    )
    issuer_group = (
        _named_issuer(issuer)
        or (_host_issuer(url) if url else None)
        or (_issuer_in(source) if source and not _URL.search(source) else None)
        or ("regeringen" if kind_group in _BY_GOVERNMENT else None)
        or _first(_issuer_in, [_QUOTED.sub(" ", p) for p in pieces])
        or "okand"
    )
    return DocFacts(kind_group, issuer_group)


def with_groups(documents: Mapping[str, DocInfo]) -> dict[str, DocInfo]:
    """Every document with its groups as the rules give them now (each title read
    against the others, for collections)."""
    titles = [info.title for info in documents.values()]
    out = {}
    for name, info in documents.items():
        facts = classify(info.title, info.kind, info.issuer, info.source, titles)
        same = (info.kind_group, info.issuer_group) == (facts.kind_group, facts.issuer_group)
        out[name] = info if same else replace(info, kind_group=facts.kind_group, issuer_group=facts.issuer_group)
    return out


def split_title(title: str, other_titles: Iterable[str] = ()) -> tuple[str, str]:
    """(the collection's first segment, the part's own name) when the title begins with
    segments (" – ", outside quotes) it shares with another title; else ("", title)."""
    own = _segments(title)
    shared = 0
    for other in other_titles:
        if other == title:
            continue
        theirs = _segments(other)
        n = 0
        while n < min(len(own), len(theirs)) - 1 and own[n] == theirs[n]:
            n += 1
        shared = max(shared, n)
    if shared == 0:
        return "", title
    return own[0], _SEPARATOR.join(own[shared:])


def _segments(title: str) -> list[str]:
    out, start, quoted = [], 0, False
    i = 0
    while i < len(title):
        ch = title[i]
        if ch in "\"“”":
            quoted = not quoted
        elif not quoted and title.startswith(_SEPARATOR, i):
            out.append(title[start:i].strip())
            start = i + len(_SEPARATOR)
            i = start
            continue
        i += 1
    out.append(title[start:].strip())
    return out


def _named(value: str | None, names: dict[str, str], groups: dict[str, str]) -> str | None:
    """The group a manifest value names: one of `names`, a group key or a group label."""
    if not value:
        return None
    text = value.strip().casefold()
    if text in names:
        return names[text]
    for key, label in groups.items():
        if text in (key, label.casefold()):
            return key
    return None


def _named_issuer(issuer: str | None) -> str | None:
    return (_named(issuer, {}, ISSUER_GROUPS) or _issuer_in(issuer)) if issuer else None


def _single_url(source: str | None) -> str | None:
    found = _URL.findall(source or "")
    return found[0].rstrip(").,;") if len(found) == 1 else None


def _url_kind(url: str) -> str | None:
    path = urlparse(url).path.casefold()
    return next((kind for word, kind in _PATHS if word in path), None)


def _host_issuer(url: str) -> str | None:
    host = (urlparse(url).hostname or "").casefold()
    return next((group for suffix, group in _HOSTS if host == suffix or host.endswith("." + suffix)), None)


def _kind_in(text: str) -> str | None:
    return next((kind for kind, pattern in _KIND_WORDS if pattern.search(text)), None)


def _issuer_in(text: str) -> str | None:
    best: tuple[int, str] | None = None
    for group, pattern in _ISSUER_WORDS:
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), group)
    return best[1] if best else None


def _first(find: Callable[[str], str | None], pieces: list[str]) -> str | None:
    return next((found for piece in pieces if piece and (found := find(piece))), None)
