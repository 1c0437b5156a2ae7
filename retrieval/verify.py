"""Is a generated sentence supported by the passage it cites? The check every sentence of
a generated answer passes before staff see it (issue #15).

A sentence is supported when it carries a citation ("… [2]", "[1][3]", "[1, 3]") to a
passage that was shown to the model, and ONE sentence of a cited passage (core.sentences
is the splitter) holds all of it:

* its facts: every number (digits, "1 800 000", "2,5", "20 %", written "fyra"; "1,8
  miljoner" is 1 800 000), year and date (with its month), duration and amount unit after
  a number ("två år", "500 000 kronor"), named organisation, committee and authority
  ("Socialnämnden", "stadsdelsnämnderna", "Länsstyrelsen i Stockholms län"), law ("LVU",
  "SoL", "lag (2009:724)", "minoritetslagen") and person (capitalised words inside the
  sentence) occurs in that source sentence, inflection allowed (stems: "socialnämndens"
  is "Socialnämnden"; a source's hyphen elision "Arbetsmarknads-, kultur- och
  socialnämnden" names each committee);
* its negation: a negation word ("inte", "ej", "aldrig", "ingen", "inga", …) in one of the
  two and not in the other fails;
* its content: the share of its content words (stop words, numbers and negations aside)
  that the source sentence covers (same stem, a compound holding it or held by it, the
  parts of a compound, a derivation) is at least COVERAGE_THRESHOLD.

The facts must be in the same source sentence as the content (not elsewhere in the
passage), so the quote highlighted beside a generated sentence backs all of it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from core.dictionary import is_common_word
from core.lexical import STOPWORDS, Decompounder, analyze, derivations_of, words
from core.records import Passage
from core.sentences import split_sentences
from core.spelling import FOLD

# Chosen by bench/verify_calibration.py on eval/support.jsonl, fitting part (220 rows): the
# middle of the gap between the highest coverage of a perturbed sentence that holds every
# fact (0.50) and the lowest of a supported one (0.667), on a step of 0.05. At 0.55 all 78
# supported and none of the 335 perturbed rows pass, on the fitting and the held-out part
# alike (bench/README.md, "Verifying generated sentences").
COVERAGE_THRESHOLD = 0.55

REASONS = ("no_citation", "bad_citation", "missing_fact", "negation", "not_covered")

_CITATION = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_NUMBER = re.compile(r"(?<![\w,.])\d{1,3}(?:[ \u00a0]\d{3})+(?![\d])|\d+(?:,\d+)?")
_NEGATION = re.compile(r"\b(?:inte|ej|aldrig|ingen|inget|inga|ingenting|varken|icke)\b(?!-)", re.IGNORECASE)
_WRITTEN = {
    "noll": 0, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9,
    "tio": 10, "elva": 11, "tolv": 12, "tretton": 13, "fjorton": 14, "femton": 15, "sexton": 16,
    "sjutton": 17, "arton": 18, "nitton": 19, "tjugo": 20, "trettio": 30, "fyrtio": 40, "femtio": 50,
    "sextio": 60, "sjuttio": 70, "åttio": 80, "nittio": 90, "hundra": 100, "tusen": 1000,
}
_MULTIPLIER = {"tusen": 1e3, "miljon": 1e6, "miljoner": 1e6, "miljard": 1e9, "miljarder": 1e9}
_MONTHS = frozenset("januari februari mars april maj juni juli augusti september oktober november december".split())
# Units that make a number a duration or an amount; the source must use the same one.
_UNITS = {
    "år": "år", "åren": "år", "årig": "år", "åriga": "år", "månad": "månad", "månader": "månad",
    "månaders": "månad", "vecka": "vecka", "veckor": "vecka", "veckors": "vecka", "dag": "dag",
    "dagar": "dag", "dagars": "dag", "timme": "timme", "timmar": "timme", "kronor": "kronor",
    "kr": "kronor", "mnkr": "kronor", "tkr": "kronor", "procent": "procent", "%": "procent",
}
# Heads of the names of bodies: a word ending in one is a named organisation, in any case
# ("socialnämnden", "stadsdelsnämnderna", "kommunstyrelsens", "Skolverket").
_BODY = re.compile(
    r"(?:nämnd|styrelse|förvaltning|fullmäktige|kontor|verk|myndighet|ombudsman|departement|kansli|"
    r"riksdag|regering|delegation|kommission|råd|institut|center|centrum|förmedling|kassa|inspektion)(?:en|et|erna|arna|er|ar|s|ens|ets|"
    r"ernas|arnas|ns|n|a|r|rna|rnas)?$", re.IGNORECASE)
_LAW = re.compile(r"\w{3,}(?:lag|lagen|lagens|lagar|lagarna|balk|balken|förordning|förordningen|konvention|"
                  r"konventionen)$", re.IGNORECASE)
_ELIDED = re.compile(r"(\w+)-(?=,|\s+(?:och|eller|samt)\b)")
_HEAD = re.compile(r"(nämnd|förvaltning|styrelse)(\w*)$")
_PLACE_HEADS = frozenset({"kommun", "kommuns", "stad", "stads", "län", "läns", "region", "regions"})
_TOKEN = re.compile(r"\w+|%", re.UNICODE)


@dataclass(frozen=True)
class Support:
    """The verdict on one generated sentence. When `ok`, `n` is the cited passage (1-based)
    and `start`/`end` the supporting sentence's offsets into its chunk's text (to highlight
    it). When not, `reason` is one of REASONS and `fact` the missing fact (as written in the
    generated sentence) or the citation that is not a passage; `n`/`start`/`end` then point
    at the nearest source sentence, if any."""

    ok: bool
    n: int | None
    start: int
    end: int
    score: float
    reason: str | None = None
    fact: str | None = None


@dataclass(frozen=True)
class Facts:
    numbers: frozenset[float]
    units: frozenset[str]
    months: frozenset[str]
    names: tuple[tuple[str, str], ...]  # (as written, folded stem), each time it is named
    negated: bool


def citations(sentence: str) -> list[int]:
    """The passage numbers a sentence cites, in order, each once."""
    found = chain.from_iterable(re.split(r"\s*[,;]\s*", m.group(1)) for m in _CITATION.finditer(sentence))
    return list(dict.fromkeys(int(x) for x in found))


def without_citations(sentence: str) -> str:
    return re.sub(r"\s+([.!?,;:])", r"\1", _CITATION.sub("", sentence)).strip()


def _stem(word: str) -> str:
    found = analyze(word)
    return found[0] if found else word.lower().translate(FOLD)


def _value(text: str) -> float:
    return float(re.sub(r"[ \u00a0]", "", text).replace(",", "."))


def facts(text: str) -> Facts:
    """The facts of a sentence (see the module's text)."""
    tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]
    numbers: set[float] = set()
    units: set[str] = set()
    for m in _NUMBER.finditer(text):
        value = _value(m.group(0))
        after = re.match(r"[\s-]*(\w+|%)", text[m.end():])
        word = after.group(1).lower() if after else ""
        if word in _MULTIPLIER:
            value *= _MULTIPLIER[word]
        numbers.add(round(value, 6))
        if word in _UNITS:
            units.add(_UNITS[word])
    lowered = [(w.lower(), pos) for w, pos in tokens]
    for i, (w, _) in enumerate(lowered):
        prev = lowered[i - 1][0] if i else ""
        if w in _WRITTEN and not (w in ("hundra", "tusen") and (prev.isdigit() or prev in _WRITTEN)):
            nxt = lowered[i + 1][0] if i + 1 < len(lowered) else ""
            value = _WRITTEN[w] * _MULTIPLIER.get(nxt, 1.0)
            numbers.add(float(value))
            if nxt in _UNITS:
                units.add(_UNITS[nxt])
    months = frozenset(w for w, _ in lowered if w in _MONTHS)
    names: list[tuple[str, str]] = []
    for i, (word, pos) in enumerate(tokens):
        if word.isdigit() or word == "%" or len(word) < 2:
            continue
        starts = i == 0 or _after_stop(text, pos)
        nxt = lowered[i + 1][0] if i + 1 < len(lowered) else ""
        capital = word[0].isupper() and (not starts or nxt in _PLACE_HEADS or not _common(word))
        abbreviation = sum(c.isupper() for c in word) >= 2  # "LVU", "SoL", "MUCF"
        if capital or abbreviation or _BODY.search(word) and len(word) > 5 or _LAW.fullmatch(word):
            if word.lower() not in STOPWORDS or abbreviation:
                names.append((word, _stem(word)))
    return Facts(frozenset(numbers), frozenset(units), months, tuple(names),
                 bool(_NEGATION.search(text)))


def _common(word: str) -> bool:
    """A sentence's first word is a name unless it is a common word too (Hunspell)."""
    try:
        return is_common_word(word)
    except (FileNotFoundError, ImportError):
        return True


def _after_stop(text: str, pos: int) -> bool:
    """A capital after ':' or an opening quote starts a sentence of its own."""
    before = text[:pos].rstrip()
    return before.endswith((":", "\"", "”", "«", "(", "–", "—"))


def _elided(text: str) -> list[str]:
    """The names a hyphen elision abbreviates: "Arbetsmarknads-, kultur- och
    socialnämnden" -> "arbetsmarknadsnämnden", "kulturnämnden"."""
    out = []
    for m in _ELIDED.finditer(text):
        rest = text[m.end(): m.end() + 120]
        head = next((_HEAD.search(w) for w in re.findall(r"\w+", rest) if _HEAD.search(w)), None)
        if head:
            out.append(m.group(1) + head.group(0))
    return out


class _Source:
    """One sentence of a cited passage, analysed once."""

    def __init__(self, text: str, decompounder: Decompounder) -> None:
        self.facts = facts(text)
        ws = words(text) + [w.lower() for w in _elided(text)]
        self.stem_list = [_stem(w) for w in ws]
        self.stems = set(self.stem_list)
        self.tokens = set(chain.from_iterable(decompounder.tokens(w) for w in ws)) | self.stems
        self.long = [t for t in self.tokens if len(t) >= 5]

    def names(self, stem: str) -> int:
        """How often the sentence names `stem` (a compound holding it counts)."""
        return sum(stem == t or (len(stem) >= 4 and stem in t) for t in self.stem_list)

    def covers(self, stem: str, parts: Sequence[str]) -> bool:
        if stem in self.tokens or any(d in self.tokens for d in derivations_of(stem)):
            return True
        if len(stem) >= 5 and any(stem in t or (t in stem and len(t) >= 0.6 * len(stem)) for t in self.long):
            return True
        return bool(parts) and all(p in self.tokens for p in parts)


def _missing(claim: Facts, source: _Source) -> str | None:
    for value in sorted(claim.numbers):
        if value not in source.facts.numbers:
            return f"{value:g}"
    for unit in sorted(claim.units):
        if unit not in source.facts.units:
            return unit
    for month in sorted(claim.months):
        if month not in source.facts.months:
            return month
    named = Counter(stem for _, stem in claim.names)
    for written, stem in claim.names:  # a name said twice where the source says it once has a wrong role
        if source.names(stem) < named[stem]:
            return written
    return None


def _content(text: str, decompounder: Decompounder) -> list[tuple[str, tuple[str, ...]]]:
    """The content words of a sentence: (stem, parts of the compound) of each word that
    is no stop word, number or negation."""
    out = []
    for w in dict.fromkeys(words(text)):
        if w.isdigit() or w in _WRITTEN or _NEGATION.fullmatch(w) or len(w) < 2 or w in STOPWORDS:
            continue
        tokens = decompounder.tokens(w)
        if tokens:
            out.append((tokens[0], tuple(tokens[1:])))
    return out


def coverage(content: Sequence[tuple[str, tuple[str, ...]]], source: _Source) -> float:
    """The share of the content words the source sentence covers."""
    if not content:
        return 0.0
    return sum(source.covers(stem, parts) for stem, parts in content) / len(content)


def verify(sentence: str, passages: Sequence[Passage], threshold: float = COVERAGE_THRESHOLD) -> Support:
    """The verdict on one generated sentence against the passages shown to the model
    (numbered from 1 in the order given)."""
    cited = citations(sentence)
    if not cited:
        return Support(False, None, 0, 0, 0.0, "no_citation")
    bad = next((n for n in cited if not 1 <= n <= len(passages)), None)
    if bad is not None:
        return Support(False, None, 0, 0, 0.0, "bad_citation", f"[{bad}]")
    claim_text = without_citations(sentence)
    texts = [passages[n - 1].chunk.text for n in cited]
    decompounder = Decompounder([*texts, claim_text])
    claim = facts(claim_text)
    content = _content(claim_text, decompounder)
    best: Support | None = None
    for n, text in zip(cited, texts, strict=True):
        for start, end in split_sentences(text):
            source = _Source(text[start:end], decompounder)
            score = coverage(content, source)
            missing = _missing(claim, source)
            if missing is not None:
                verdict = Support(False, n, start, end, score, "missing_fact", missing)
            elif claim.negated != source.facts.negated:
                verdict = Support(False, n, start, end, score, "negation")
            elif score < threshold:
                verdict = Support(False, n, start, end, score, "not_covered")
            else:
                verdict = Support(True, n, start, end, score)
            if best is None or (verdict.ok, verdict.score) > (best.ok, best.score):
                best = verdict
    return best or Support(False, cited[0], 0, 0, 0.0, "not_covered")
