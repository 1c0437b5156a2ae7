"""Generated answers, every sentence checked before staff see it (issue #15).

The extractive answer (retrieval/answer.py) comes first. When it is a refusal no model is
called. Otherwise the configured language model (core/llm.py) gets the masked question
and the numbered passages, nothing else, and is asked to answer in Swedish from them only,
with a [n] on every sentence. Its answer is read as it streams; each sentence, once it is
complete, goes through retrieval/verify.py and a few plain rules of its own:

* it cites a passage shown and one sentence of that passage holds all of it (verify);
* it says something: at least MIN_WORDS words that are no stop words ("Ansvarsfördelning
  [1]" is a heading, not an answer);
* it is about the question: a word of the question (stemmed) is in it or in the source
  sentence that supports it;
* it is new: not the same sentence again, not backed by the same source sentence again.

A sentence that passes is yielded at once (the chat shows it); one that fails is dropped
and counted. At most MAX_SENTENCES are shown, then the stream is closed (the server stops
generating). The end decides what staff see:

* sentences passed: the generated answer, each sentence with its quote, and a note when
  some were dropped;
* the model said the passages do not answer (and passed nothing), while our evidence is
  strong (we did not refuse): the extractive answer, with a note;
* nothing passed: the extractive answer, with a note;
* the model failed (down, slow, garbage; core.errors.ModelError), even midway: the
  extractive answer, with the error's Swedish note, and no generated sentence at all.

Nothing here logs, prints or writes the prompt or the model's text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from core.errors import ModelError
from core.lexical import STOPWORDS, analyze, words
from core.llm import ChatMessage, LanguageModel
from core.records import Claim, Passage
from core.sentences import split_sentences
from retrieval.answer import Answer
from retrieval.quotes import Quote
from retrieval.verify import verify, without_citations

MAX_SENTENCES = 4  # shown at most; then the stream is closed
MIN_WORDS = 3  # words that are no stop words a sentence needs to say something
MAX_TOKENS = 300
PASSAGES = 3  # the top passages shown to the model (ASSISTANT_LLM_PASSAGES): each costs prompt time

OUTCOMES = ("generated", "not_called", "no_support", "model_no_answer", "model_error")

NOTE_DROPPED = "{n} av språkmodellens meningar visas inte: de stöds inte av källorna."
NOTE_NO_SUPPORT = ("Språkmodellens svar stöds inte av källorna och visas inte; "
                   "svaret nedan är citat ur dokumenten.")
NOTE_MODEL_NO_ANSWER = ("Språkmodellen fann inget svar i avsnitten, men sökningen hittade avsnitt som "
                        "stämmer väl med frågan; svaret nedan är citat ur dokumenten.")
WRITING_NOTE = "Språkmodellen skriver ett svar; varje mening kontrolleras mot dokumenten innan den visas …"
GENERATED_LABEL = "Genererat av språkmodellen – varje mening är kontrollerad mot citatet under den"

_CITATION_AFTER_STOP = re.compile(r"([.!?…])((?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+)")
_CITATION_END = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\][.!?…]?(?=\s+[\"“«(\[]?[A-ZÅÄÖ0-9])")
_NO_ANSWER = re.compile(
    r"\b(?:svarar\s+inte|besvarar\s+inte|framgår\s+inte|kan\s+inte\s+(?:svara|besvara)|"
    r"finns\s+(?:inget|ingen|inte)\s+(?:svar|information|uppgift)|saknar\s+(?:svar|information|uppgift))",
    re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")

INSTRUCTIONS = (
    "Svara på frågan med en eller två meningar på svenska, bara utifrån avsnitten ovan. "
    "Varje mening i avsnitten slutar med avsnittets nummer inom hakparentes. Skriv på samma sätt "
    "numret på det avsnitt som stöder meningen efter varje mening du skriver, till exempel [2]. "
    "Skriv inget som inte står i avsnitten. Om avsnitten inte svarar på frågan, skriv bara: "
    "Avsnitten svarar inte på frågan."
)


@dataclass(frozen=True)
class Generation:
    """How a generated answer went. `claims`: the sentences shown (none unless the outcome
    is "generated"); `dropped`: the reason each other sentence was not shown (verify's
    REASONS, or "too_short", "off_topic", "repeated"); `note`: Swedish, shown with the
    answer; `first_piece_s`/`total_s`: seconds to the model's first piece and to the end
    of its use (None/0 when it was not called)."""

    model_id: str
    outcome: str
    claims: tuple[Claim, ...] = ()
    dropped: tuple[str, ...] = ()
    note: str = ""
    first_piece_s: float | None = None
    total_s: float = 0.0
    error: str = ""  # the ModelError's class name

    @property
    def called(self) -> bool:
        return self.outcome != "not_called"

    @property
    def sentences(self) -> int:
        """Complete sentences the model wrote, shown or not."""
        return len(self.claims) + len(self.dropped)


def prompt_messages(question: str, passages: Sequence[Passage]) -> list[ChatMessage]:
    """One user message (some chat formats, Gemma's among them, drop system messages): the
    passages, every sentence of each ending with its number, then the instructions and the
    question. `question` must be masked already."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        text = p.chunk.text
        sentences = " ".join(f"{' '.join(text[a:b].split())} [{n}]" for a, b in split_sentences(text))
        blocks.append(f"[{n}] {' '.join(p.chunk.title.split())}\n{sentences}")
    body = "\n\n".join(blocks)
    return [ChatMessage("user", f"{body}\n\n{INSTRUCTIONS}\n\nFråga: {question}")]


def _normalised(text: str) -> str:
    """"… strategin. [1]" is "… strategin [1].": the marker goes with the sentence before it."""
    return _CITATION_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), text)


def split_generated(text: str, final: bool) -> tuple[list[str], int]:
    """The complete sentences of a model's text so far, and how many characters of the
    (normalised) text they take. A sentence ends at a citation marker or a sentence
    boundary before the next sentence (a stray marker with no words is no sentence); it
    is complete once a letter of the next one has come (so a marker after its full stop
    is still its own), or when `final`."""
    norm = _normalised(text)
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _CITATION_END.finditer(norm):
        spans.extend((pos + a, pos + b) for a, b in split_sentences(norm[pos:m.end()]))
        pos = m.end()
    spans.extend((pos + a, pos + b) for a, b in split_sentences(norm[pos:]))
    done = spans if final else [s for i, s in enumerate(spans) if any(
        _LETTER.search(without_citations(norm[a:b])) for a, b in spans[i + 1:])]
    used = done[-1][1] if done else 0
    return [norm[a:b] for a, b in done if _LETTER.search(without_citations(norm[a:b]))], used


def _content_words(text: str) -> int:
    return sum(1 for w in words(text) if w not in STOPWORDS and len(w) > 1)


class _Checker:
    """The rules for one answer (see the module's text), and what they let through so far."""

    def __init__(self, question: str, passages: Sequence[Passage]) -> None:
        self.passages = passages
        self.topic = set(analyze(question))
        self.seen: set[str] = set()
        self.backed: set[tuple[int, int]] = set()
        self.claims: list[Claim] = []
        self.dropped: list[str] = []  # the reason for each sentence that did not pass
        self.said_no = False  # a dropped sentence said that the passages do not answer

    def judge(self, sentence: str) -> Claim | None:
        """The sentence as a Claim if it passes, else None (and its reason kept)."""
        verdict = self._check(sentence)
        if isinstance(verdict, Claim):
            self.claims.append(verdict)
            return verdict
        self.dropped.append(verdict)
        self.said_no = self.said_no or bool(_NO_ANSWER.search(sentence))
        return None

    def _check(self, sentence: str) -> Claim | str:
        support = verify(sentence, self.passages)
        if not support.ok or support.n is None:
            return support.reason or "not_covered"
        shown = " ".join(without_citations(sentence).split())
        if _content_words(shown) < MIN_WORDS:
            return "too_short"
        text = self.passages[support.n - 1].chunk.text
        source = text[support.start:support.end]
        if self.topic and not self.topic & (set(analyze(shown)) | set(analyze(source))):
            return "off_topic"
        key = shown.lower().rstrip(".!? ")
        if key in self.seen or (support.n, support.start) in self.backed:
            return "repeated"
        self.seen.add(key)
        self.backed.add((support.n, support.start))
        return Claim(shown, support.n, support.start, support.end, " ".join(source.split()), support.score)


def generate(answer: Answer, model: LanguageModel | None, *, passages: int = PASSAGES,
             max_sentences: int = MAX_SENTENCES, max_tokens: int = MAX_TOKENS,
             clock: Callable[[], float] = time.monotonic) -> Iterator[Claim | Generation]:
    """Each sentence that passes, as soon as it is complete, then the Generation (always
    last). The model sees the answer's top `passages` passages, numbered as the answer
    numbers them. A refusal, or no model, is "not_called": the model is never asked."""
    model_id = getattr(model, "model_id", "") if model is not None else ""
    if model is None or answer.refused or not answer.passages:
        yield Generation(model_id, "not_called")
        return
    shown = answer.passages[:max(1, passages)]
    checker = _Checker(answer.question, shown)

    def passing(sentences: list[str]) -> Iterator[Claim]:
        for sentence in sentences:
            if len(checker.claims) >= max_sentences:
                return
            claim = checker.judge(sentence)
            if claim is not None:
                yield claim

    start = clock()
    first: float | None = None
    text = ""  # what has come and is not yet a complete sentence
    pieces = model.stream(prompt_messages(answer.question, shown), max_tokens=max_tokens)
    try:
        try:
            for piece in pieces:
                if first is None:
                    first = clock() - start
                text += piece
                sentences, end = split_generated(text, final=False)
                if sentences:
                    text = _normalised(text)[end:]
                    yield from passing(sentences)
                if len(checker.claims) >= max_sentences:
                    break
            else:
                yield from passing(split_generated(text, final=True)[0])
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops the reader: the server stops generating
    except ModelError as err:
        yield Generation(model_id, "model_error", (), tuple(checker.dropped), err.swedish_message(), first,
                         clock() - start, type(err).__name__)
        return
    total = clock() - start
    claims, dropped = tuple(checker.claims), tuple(checker.dropped)
    if claims:
        note = NOTE_DROPPED.format(n=len(dropped)) if dropped else ""
        yield Generation(model_id, "generated", claims, dropped, note, first, total)
    elif checker.said_no:
        yield Generation(model_id, "model_no_answer", (), dropped, NOTE_MODEL_NO_ANSWER, first, total)
    else:
        yield Generation(model_id, "no_support", (), dropped, NOTE_NO_SUPPORT, first, total)


def run_generation(answer: Answer, model: LanguageModel | None, on_claim: Callable[[Claim], None] | None = None,
                   *, passages: int = PASSAGES, max_sentences: int = MAX_SENTENCES,
                   max_tokens: int = MAX_TOKENS, clock: Callable[[], float] = time.monotonic) -> Generation:
    """`generate` to its end; `on_claim` sees each sentence as it passes."""
    events = generate(answer, model, passages=passages, max_sentences=max_sentences, max_tokens=max_tokens,
                      clock=clock)
    for event in events:
        if isinstance(event, Generation):
            return event
        if on_claim is not None:
            on_claim(event)
    raise AssertionError("generate ends with a Generation")


def with_generation(answer: Answer, generation: Generation) -> Answer:
    """The answer staff see: the generated sentences with the quotes that back them when
    any passed, else the extractive answer; with the generation's note either way."""
    notes = [generation.note] if generation.note else []
    if generation.outcome != "generated":
        return replace(answer, model_notes=tuple(notes), model_id=generation.model_id if generation.called else "")
    quotes = [Quote(c.n, c.quote, answer.passages[c.n - 1].chunk.id, c.start, c.end, c.score)
              for c in generation.claims]
    text = " ".join(f"{c.text} [{c.n}]" for c in generation.claims)
    return replace(answer, text=text, quotes=quotes, generated=generation.claims, model_notes=tuple(notes),
                   model_id=generation.model_id)
