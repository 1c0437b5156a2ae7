"""Evaluation sets: loading, checking the phrases against the documents, and deciding
relevance.

One question per JSON line: {"id", "question", "relevant": [{"doc", "contains"}],
"type" (optional), "answer" (optional), "previous" (optional)}.

A follow-up carries the earlier questions of its conversation, oldest first:
`"previous": ["Vad gäller för romska barn som omhändertas enligt LVU?"]`; it is
reported as its own type, "uppföljning" (FOLLOW_UP), whatever its "type" says.

A retrieved passage is relevant to a spec when it comes from the spec's document and
contains the spec's phrase once all whitespace is collapsed to single spaces, compared
case-insensitively. `"relevant": []` marks a question the documents do not answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from core.errors import AssistantError
from core.records import Chunk
from core.settings import load_settings
from evaluation.documents import Missing, corpus_text, indexed_texts

_FIELDS = ("id", "question", "relevant", "type", "answer", "previous")
FOLLOW_UP = "uppföljning"
_SPEC_FIELDS = ("doc", "contains")


@dataclass(frozen=True)
class RelevantSpec:
    doc: str
    contains: str


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    relevant: tuple[RelevantSpec, ...]
    type: str | None = None
    answer: str | None = None
    previous: tuple[str, ...] = ()  # a follow-up's earlier questions, oldest first

    @property
    def answerable(self) -> bool:
        return bool(self.relevant)

    @property
    def reported_type(self) -> str | None:
        """The type a report groups the question under: follow-ups are their own type."""
        return FOLLOW_UP if self.previous else self.type


class EvalSetError(AssistantError):
    """The evaluation file has one or more invalid lines; `problems` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)

    def swedish_message(self) -> str:
        lines = "".join(f"\n- {problem}" for problem in self.problems)
        return f"Utvärderingsfilen är felaktig:{lines}"


def collapse(text: str) -> str:
    """Every run of whitespace (newlines included) becomes one space; ends trimmed."""
    return " ".join(text.split())


def _normalise(text: str) -> str:
    return collapse(text).casefold()


def is_relevant(doc: str, text: str, spec: RelevantSpec) -> bool:
    return doc == spec.doc and _normalise(spec.contains) in _normalise(text)


def relevant_ranks(q: EvalQuestion, ranked: Sequence[tuple[str, str]]) -> list[int]:
    """1-based ranks of the passages that match any of the question's specs."""
    return [rank for rank, matched in enumerate(_matches(q, ranked), 1) if matched]


def first_match_ranks(
    q: EvalQuestion, ranked: Sequence[tuple[str, str]]
) -> list[int | None]:
    """Per spec, the 1-based rank of the first passage matching it, else None."""
    firsts: list[int | None] = [None] * len(q.relevant)
    for rank, matched in enumerate(_matches(q, ranked), 1):
        for index in matched:
            if firsts[index] is None:
                firsts[index] = rank
    return firsts


def _matches(q: EvalQuestion, ranked: Sequence[tuple[str, str]]) -> list[list[int]]:
    phrases = [(spec.doc, _normalise(spec.contains)) for spec in q.relevant]
    result: list[list[int]] = []
    for doc, text in ranked:
        normal = _normalise(text)
        result.append(
            [i for i, (d, p) in enumerate(phrases) if d == doc and p in normal]
        )
    return result


def load_eval_set(path: Path) -> list[EvalQuestion]:
    """Read and validate a JSONL evaluation set; EvalSetError lists every problem."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise EvalSetError([f"filen {path} finns inte"]) from None
    except UnicodeDecodeError as exc:
        raise EvalSetError(
            [f"filen {path} är inte giltig UTF-8 ({exc.reason})"]
        ) from None
    except OSError as exc:
        raise EvalSetError([f"filen {path} kan inte läsas ({exc.strerror})"]) from None

    questions: list[EvalQuestion] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(
                f"rad {number}: ogiltig JSON ({exc.msg}, kolumn {exc.colno})"
            )
            continue
        line_problems: list[str] = []
        question = _parse(record, line_problems)
        problems.extend(f"rad {number}: {problem}" for problem in line_problems)
        if question is None:
            continue
        if question.id in seen:
            first = seen[question.id]
            problems.append(
                f"rad {number}: id '{question.id}' finns redan på rad {first}"
            )
            continue
        seen[question.id] = number
        questions.append(question)
    if problems:
        raise EvalSetError(problems)
    if not questions:
        raise EvalSetError([f"filen {path} innehåller inga frågor"])
    return questions


def _parse(record: Any, problems: list[str]) -> EvalQuestion | None:
    if not isinstance(record, dict):
        problems.append(f"raden är inte ett JSON-objekt utan {_kind(record)}")
        return None
    problems.extend(f"okänt fält '{n}'" for n in sorted(set(record) - set(_FIELDS)))
    qid = _text(record, "id", "", problems, required=True)
    question = _text(record, "question", "", problems, required=True)
    qtype = _text(record, "type", "", problems, required=False)
    answer = _text(record, "answer", "", problems, required=False)
    specs = _specs(record, problems)
    previous = _previous(record, problems)
    if problems or qid is None or question is None or specs is None or previous is None:
        return None
    return EvalQuestion(qid, question, specs, qtype, answer, previous)


def _previous(record: dict[str, Any], problems: list[str]) -> tuple[str, ...] | None:
    """A follow-up's earlier questions: a non-empty list of non-empty texts."""
    if "previous" not in record:
        return ()
    items = record["previous"]
    if not isinstance(items, list):
        problems.append(f"fältet 'previous' ska vara en lista med de tidigare frågorna, inte {_kind(items)}")
        return None
    if not items:
        problems.append("fältet 'previous' är en tom lista (utelämna fältet för en fråga utan tidigare frågor)")
        return None
    out: list[str] = []
    for position, item in enumerate(items, 1):
        if not isinstance(item, str):
            problems.append(f"previous[{position}]: ska vara en text, inte {_kind(item)}")
        elif not collapse(item):
            problems.append(f"previous[{position}]: frågan är tom")
        else:
            out.append(item)
    return tuple(out) if len(out) == len(items) else None


def _text(
    record: dict[str, Any],
    name: str,
    where: str,
    problems: list[str],
    *,
    required: bool,
) -> str | None:
    value = record.get(name)
    if value is None and not (required and name in record):
        if required:
            problems.append(f"{where}fältet '{name}' saknas")
        return None
    if not isinstance(value, str):
        problems.append(f"{where}fältet '{name}' ska vara en text, inte {_kind(value)}")
        return None
    if not collapse(value):
        problems.append(f"{where}fältet '{name}' är tomt")
        return None
    return value


def _specs(
    record: dict[str, Any], problems: list[str]
) -> tuple[RelevantSpec, ...] | None:
    items = record.get("relevant")
    if not isinstance(items, list):
        what = "saknas" if items is None else f"ska vara en lista, inte {_kind(items)}"
        problems.append(f"fältet 'relevant' {what}")
        return None
    specs: list[RelevantSpec] = []
    for position, item in enumerate(items, 1):
        where = f"relevant[{position}]: "
        if not isinstance(item, dict):
            problems.append(f"{where}ska vara ett objekt, inte {_kind(item)}")
            continue
        unknown = sorted(set(item) - set(_SPEC_FIELDS))
        problems.extend(f"{where}okänt fält '{name}'" for name in unknown)
        doc = _text(item, "doc", where, problems, required=True)
        contains = _text(item, "contains", where, problems, required=True)
        if doc is not None and not _inside_corpus(doc):
            problems.append(f"{where}'doc' ska vara ett filnamn i korpusmappen: {doc}")
        elif doc is not None and contains is not None:
            specs.append(RelevantSpec(doc, contains))
    if len(specs) != len(items):
        return None
    if len(set(specs)) != len(specs):
        problems.append("fältet 'relevant' innehåller samma post två gånger")
        return None
    return tuple(specs)


def _inside_corpus(doc: str) -> bool:
    path = PurePosixPath(doc)
    return not path.is_absolute() and ".." not in path.parts


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "ett sanningsvärde"
    if isinstance(value, int | float):
        return "ett tal"
    names: dict[type, str] = {dict: "ett objekt", list: "en lista", str: "en text"}
    return names.get(type(value), type(value).__name__)


def check_phrases(
    questions: Iterable[EvalQuestion], corpus_dir: Path, max_bytes: int | None = None
) -> list[str]:
    """Problems (in Swedish) for specs whose document is missing from the corpus folder,
    cannot be read, or lacks the phrase. Documents are read as ingest reads them (PDFs
    too); `max_bytes` defaults to the configured file size limit."""
    limit = load_settings().max_file_bytes if max_bytes is None else max_bytes
    return phrase_problems(questions, lambda doc: corpus_text(corpus_dir, doc, limit), f"i {corpus_dir}")


def check_indexed_phrases(questions: Iterable[EvalQuestion], chunks: Iterable[Chunk]) -> list[str]:
    """Problems (in Swedish) for specs whose document is not among the index's `chunks`
    or whose phrase is in none of its indexed text."""
    texts = indexed_texts(chunks)
    return phrase_problems(questions, lambda doc: texts.get(doc, Missing()), "i indexet")


def phrase_problems(
    questions: Iterable[EvalQuestion], text_of: Callable[[str], str | Missing], where: str
) -> list[str]:
    """Check every spec against `text_of(doc)`: a document's text, or why there is none."""
    problems: list[str] = []
    texts: dict[str, str | Missing] = {}
    for q in questions:
        for spec in q.relevant:
            if spec.doc not in texts:
                found = text_of(spec.doc)
                texts[spec.doc] = found if isinstance(found, Missing) else _normalise(found)
            text = texts[spec.doc]
            if isinstance(text, Missing):
                reason = f"kan inte läsas ({text.reason})" if text.reason else f"finns inte {where}"
                problems.append(f"fråga '{q.id}': dokumentet '{spec.doc}' {reason}")
            elif _normalise(spec.contains) not in text:
                problems.append(f"fråga '{q.id}': frasen '{spec.contains}' finns inte i '{spec.doc}'")
    return problems
