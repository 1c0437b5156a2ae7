"""Statements of responsibility: who (an actor) is to do what (a measure).

Rules (all Swedish surface patterns, no model):

* The actor is the grammatical subject of a responsibility verb phrase ("ska",
  "kommer att", "ansvarar för", "har (ett) ansvar/skyldighet för", "är ansvariga",
  "är skyldig att",
  "föreslås ansvara för", "har/får/fick/ges/gavs/bör få i uppdrag att",
  "uppdras att", "utvecklar") — straight ("Socialnämnden ska ...") or inverted
  ("Dessutom ansvarar Isof för ..."), also inside a subordinate or relative clause
  ("... som kommunstyrelsen föreslås ta fram"); or the recipient of an assignment
  ("uppdrar åt X att", "ge X i uppdrag", "skyldighet för X att"). A quantified
  subject counts only through the actors it names ("Två myndigheter har ansvar
  för ...: A och B", "Ett flertal myndigheter ..., däribland A").
* A joint subject gives one row per actor, expanding hyphen elision.
* Inherited actors: "I uppdraget ingår att ..." belongs to the holder of the
  document's last assignment; the items of a list introduced by "X ska:" belong
  to X; an agentless passive "ska spridas" belongs to X inside such a list or under
  a heading "Xs ansvar". "myndigheten" and a subject "de" are resolved to the
  agency / actors just named.
* In a list item led by a municipal body any present-tense verb counts
  ("→ Utbildningsnämnden stärker ...").
* Not counted: actor-less "ska" ("Arbetet ska vara ..."), an actor after a
  preposition ("i samverkan med Socialstyrelsen"), genitives, quantified subjects
  ("ett flertal myndigheter"), passives with an actor subject.

Sentences are found on the original text by the one sentence splitter,
`core.sentences` (the quotes of an answer use it too); `start`/`end` index the input text.
`measure` is whitespace-collapsed; `sentence` is verbatim (may hold newlines).

The analysis of one sentence grows with the square of its length (every actor
mention looks at the text before it), so a sentence longer than
MAX_SENTENCE_CHARS (no real sentence is: the longest in the corpus has 1,783
characters, the longest with a statement 355) is skipped and its span reported;
the rest is linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from core.sentences import display, split_unit, units
from ingest import actors as lx
from ingest.actors import ANAPHOR, expand_joint_list, find_mentions, is_agency, normalise_actor

__all__ = [
    "MAX_SENTENCE_CHARS", "Responsibility", "expand_joint_list", "extract_responsibilities", "normalise_actor",
]

MAX_SENTENCE_CHARS = 1000


@lru_cache(maxsize=64)
def _mentions(ns: str) -> tuple[lx.Mention, ...]:
    """The mentions of one sentence, found once (masking, unmasking and the context use them)."""
    return tuple(find_mentions(ns))


@dataclass(frozen=True)
class Responsibility:
    actor: str
    measure: str
    sentence: str
    start: int
    end: int

    @property
    def sentence_display(self) -> str:
        return display(self.sentence)


@dataclass
class _Group:
    start: int
    end: int
    actors: list[str]
    genitive: bool


@dataclass
class _Ctx:
    holder: list[str] = field(default_factory=list)
    last_agency: str | None = None  # last agency with a row
    last_mentioned: str | None = None  # last agency named anywhere before
    prev_actors: list[str] = field(default_factory=list)

    def resolve(self, actor: str) -> str | None:
        return (self.last_agency or self.last_mentioned) if actor == ANAPHOR else actor


def _mask(ns: str, ctx: _Ctx) -> tuple[str, list[_Group]]:
    mentions = _mentions(ns)
    parts, pos = [], 0
    for i, m in enumerate(mentions):
        parts += [ns[pos : m.start], f"\x01{i}\x02"]
        pos = m.end
    ms = "".join(parts) + ns[pos:]
    spans = [(mm.start(), mm.end()) for mm in re.finditer(r"\x01\d+\x02", ms)]
    gap_rx = re.compile(lx.SEP + r"((?:[\wåäöÅÄÖ]+-" + lx.SEP + r")*)")
    groups: list[_Group] = []
    for m, (ps, pe) in zip(mentions, spans, strict=True):
        actor = ctx.resolve(m.actor)
        cur = groups[-1] if groups else None
        gap = gap_rx.fullmatch(ms[cur.end : ps]) if cur and not cur.genitive else None
        prefixes, start = lx.elided_span(ms[:ps]) if m.head else ([], ps)
        if gap:
            prefixes = [w.rstrip("-") for w in re.findall(r"[\wåäöÅÄÖ]+-", gap.group(1))] if m.head else []
        new = [normalise_actor(p + m.head) for p in prefixes if m.head] + ([actor] if actor else [])
        if gap and cur:
            cur.actors += new
            cur.end, cur.genitive = pe, m.genitive
        else:
            groups.append(_Group(start, pe, new, m.genitive))
    for g in groups:
        g.actors = list(dict.fromkeys(g.actors))
    return ms, groups


def _unmask(s: str, ns: str) -> str:
    mentions = _mentions(ns)
    return re.sub(r"\x01(\d+)\x02", lambda m: mentions[int(m.group(1))].surface, s)


def _measure(rest: str, ns: str) -> str:
    text = _unmask(rest, ns).strip()
    text = re.split(r",\s+att\s", text)[0]
    text = re.sub(r"^att\s+", "", text)
    return text.rstrip(" .;:").strip()


def _is_passive(measure: str) -> bool:
    first = measure.split()[0].lower() if measure.split() else ""
    return len(first) >= 4 and first.endswith("s") and first not in lx.DEPONENT


Row = tuple[str, str, str]  # actor, measure, kind


def _analyse(ns: str, ctx: _Ctx, item_first: bool) -> tuple[list[Row], list[str] | None]:
    """Rows of one whitespace-normalised sentence, and the actors of a list lead-in ("X ska:")."""
    ms, groups = _mask(ns, ctx)
    rows: list[Row] = []
    leadin: list[str] | None = None

    def emit(actors: list[str], rest: str, kind: str, check_passive: bool = False) -> None:
        nonlocal leadin
        measure = _measure(rest, ns)
        if not measure:
            leadin = actors
            return
        if (check_passive and _is_passive(measure)) or re.match(r"(?:inte|ej|aldrig)\b", measure, re.I):
            return  # a passive subject is not the agent; a negated duty is no responsibility
        rows.extend((a, measure, kind) for a in actors)

    for g in groups:
        if not g.actors:
            continue
        left, rest = ms[: g.start], ms[g.end :]
        if g.genitive:
            if m := lx.GEN_ANSVAR.match(rest):
                emit(g.actors, rest[m.end() :], "ansvar")
            continue
        rec = next((rm for lrx, rrx in lx.RECIPIENT if lrx.search(left) and (rm := rrx.match(rest))), None)
        if rec is not None:
            emit(g.actors, rest[rec.end() :], "assign")
            continue
        inv = lx.INVERTED.search(left)
        if inv and left[: inv.start()].strip():
            verb = inv.group(1).lower()
            if m := re.match(lx.INVERTED_REST[verb], rest, re.I):
                kind = "assign" if "uppdrag" in m.group(0) else "ska"
                emit(g.actors, rest[m.end() :], kind, check_passive=verb in ("ska", "skall", "bör"))
                continue
        words = left.split()
        prev = words[-1].lower().strip('("“') if words else ""
        rel = re.match(r"\s*(?:\([^)]*\))?\s*,?\s*som(?=\s)", rest)
        body = rest[rel.end() :] if rel else re.sub(r"^\s*\([^)]*\)", "", rest)
        body = re.sub(r"^(?:\s+(?:också|även|dessutom|därför|redan|nu))+(?=\s)", "", body)
        quantified = prev in lx.QUANT or prev in lx.NUMERALS
        if quantified and prev in ("de", "dessa"):
            continue  # "De kommuner som ...": a determiner, no appositive list follows
        if not rel and not quantified and (prev in lx.PREPS or left.rstrip().endswith("(")):
            continue
        actors = g.actors
        for kind, rx in lx.TRIGGERS:
            m = rx.match(body)
            if not m:
                continue
            tail = body[m.end() :]
            if quantified:  # "Två myndigheter har ansvar för X: A och B." / "Ett flertal ..., däribland A"
                named = (h for h in groups if h.start > g.end and lx.APPOSITION.search(ms[: h.start]))
                after = next(named, None)
                if after is None:
                    break
                actors = after.actors
                tail = tail[: len(tail) - len(ms[after.start :])]
                tail = lx.APPOSITION.sub("", tail.rstrip())
            if kind == "ansvar" and m.groupdict().get("gap"):
                limit = g.end + len(rest) - len(body) + m.end()  # "har tillsammans med X ett ansvar"
                co = [
                    h for h in groups if g.end < h.start < limit and "tillsammans med" in ms[g.end : h.start]
                ]
                actors = actors + [a for h in co for a in h.actors]
            if prev == "som" and len(tail.split()) <= 3 and (ante := lx.ANTECEDENT.search(left)):
                tail = f"{tail.rstrip(' .')} {ante.group(1)}"  # "den årsrapport som KS föreslås ta fram"
            emit(actors, tail, kind, check_passive=kind == "ska")
            break
        else:
            municipal = all(lx.is_municipal_body(a) for a in actors)
            if item_first and g.start == 0 and municipal and (m := lx.PRESENT.match(body)):
                emit(actors, body[m.end() :], "ska")  # "→ Utbildningsnämnden stärker ..."
    for m in lx.PRONOUN.finditer(ms):
        body = ms[m.end(1) :]
        trig = next((tm for _, rx in lx.TRIGGERS if (tm := rx.match(body))), None)
        if not trig:
            continue
        first = groups[0] if groups and groups[0].start == 0 and not groups[0].genitive else None
        actors = first.actors if first and first.end <= m.start(1) else ctx.prev_actors
        if actors and not any(r[0] in actors for r in rows):
            emit(actors, body[trig.end() :], "ska")
    if not rows and (m := lx.INGAR.match(ms)):
        owner = next((g.actors for g in groups if m.group(1) and g.start == m.start(1)), None)
        fallback = ctx.holder or ctx.prev_actors or [a for a in [ctx.last_agency] if a]
        emit(owner or fallback, ms[m.end() :], "ingar")
    return rows, leadin


def extract_responsibilities(text: str, skipped: list[tuple[int, int]] | None = None) -> list[Responsibility]:
    """One Responsibility per (actor, sentence) stating what the actor is to do. The
    spans of sentences too long to analyse (MAX_SENTENCE_CHARS) are appended to `skipped`."""
    ctx = _Ctx()
    out: list[Responsibility] = []
    list_scope: list[str] | None = None
    section_scope: list[str] | None = None
    for unit in units(text):
        if unit.kind != "item":
            list_scope = None if unit.kind == "heading" else list_scope
        if unit.kind == "heading":
            section_scope = None
            heading = " ".join(text[unit.start : unit.end].split())
            mentions = find_mentions(heading)
            first = mentions[0] if len(mentions) == 1 else None
            owner_heading = heading[first.end :].strip().lower() == "ansvar" if first else False
            if first and first.start == 0 and first.genitive and owner_heading:
                section_scope = [mentions[0].actor]
                continue
        new_scope: list[str] | None = None
        for j, (s, e) in enumerate(split_unit(text, unit)):
            if e - s > MAX_SENTENCE_CHARS:
                if skipped is not None:
                    skipped.append((s, e))
                ctx.prev_actors = []
                continue
            ns = " ".join(text[s:e].split())
            rows, leadin = _analyse(ns, ctx, unit.kind == "item" and j == 0)
            if leadin and not rows:
                new_scope = [a for a in leadin if a]
            scope = list_scope if unit.kind == "item" else section_scope
            if not rows and scope:
                passive = lx.PASSIVE.search(ns)
                if (unit.kind == "item" and j == 0) or (passive and passive.group(1) not in lx.DEPONENT):
                    rows = [(a, ns.rstrip(" ."), "scope") for a in scope]
            seen: set[str] = set()
            for actor, measure, _kind in rows:
                if actor in seen:
                    continue
                seen.add(actor)
                out.append(Responsibility(actor, measure, text[s:e], s, e))
                if is_agency(actor):
                    ctx.last_agency = actor
            named = [m.actor for m in _mentions(ns) if is_agency(m.actor)]
            ctx.last_mentioned = named[-1] if named else ctx.last_mentioned
            if rows:
                ctx.prev_actors = list(dict.fromkeys(r[0] for r in rows))
                if any(k == "assign" for *_, k in rows):
                    ctx.holder = [a for a, _, k in rows if k == "assign"]
            else:
                ctx.prev_actors = []
        if unit.kind != "item":
            list_scope = new_scope
        elif new_scope:
            list_scope = new_scope
    return out
