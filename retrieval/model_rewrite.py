"""Follow-ups rewritten by a language model (issue #15), the rule as fallback.

With a model configured and ASSISTANT_LLM_REWRITE on, a follow-up ("Och vem utser
dem?") is given to the model with the earlier questions, all masked already
(conversation.understand masks every turn before a Rewriter sees it), in one user message
(some chat formats, Gemma's among them, drop system messages), asking for one complete
standalone Swedish question. Only the first line of its answer is read (the stream is
closed there), stripped of quotes and prefixes such as "Fråga:", and used only when it is
sane:

* 3 to MAX_WORDS words, ending with "?";
* not the follow-up itself, not one of the earlier questions, not the prompt's example;
* about the conversation: a topic word (conversation.topic_words) of the follow-up or
  the earlier questions is in it;
* nothing made up: no "[" (a masked placeholder or a citation) and no number that is in
  neither the follow-up nor the earlier questions.

A model that fails (core.errors.ModelError) or writes anything else gives None, and
conversation.understand falls back to the deterministic rule. Nothing here logs, prints
or writes the questions or the model's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from core.errors import ModelError
from core.llm import ChatMessage, LanguageModel
from core.settings import Settings
from retrieval.conversation import Rewriter, topic_words

MIN_WORDS = 3
MAX_WORDS = 30
INSTRUCTIONS = (
    "Skriv om följdfrågan till en enda fullständig fråga på svenska som går att förstå utan "
    "de tidigare frågorna. Ta med det som följdfrågan syftar på från de tidigare frågorna. "
    "Svara bara med frågan, på en rad."
)
# One worked example (from no document of ours), for models that need to see the form.
EXAMPLE = (
    ("Hur mycket kostar ett boendeparkeringstillstånd?",),
    "Och hur länge gäller det?",
    "Hur länge gäller ett boendeparkeringstillstånd?",
)
_PREFIX = re.compile(
    r"^(?:[-*•>#]+\s*|\d{1,2}[.)]\s+|(?:fullständig|omskriven|fristående|ny)?\s*fråga\s*:\s*|svar\s*:\s*)",
    re.IGNORECASE,
)
_QUOTES = "\"'«»“”„‘’`*_"
_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+")


def _block(previous: Sequence[str], question: str) -> str:
    earlier = "\n".join(f"- {p}" for p in previous)
    return f"Tidigare frågor:\n{earlier}\nFöljdfråga: {question}\nFullständig fråga:"


def prompt_messages(question: str, previous: Sequence[str]) -> list[ChatMessage]:
    """The one user message: instructions, the example, then this conversation, ending
    where the complete question is to come. Everything in it must be masked already."""
    shown, asked, rewritten = EXAMPLE
    example = f"{_block(shown, asked)} {rewritten}"
    return [ChatMessage("user", f"{INSTRUCTIONS}\n\nExempel:\n{example}\n\n{_block(previous, question)}")]


def first_line(text: str) -> str:
    """The answer's first non-empty line, without list marks, prefixes ("Fråga:") and quotes."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "").strip()
    while True:
        cleaned = _PREFIX.sub("", line, count=1).strip().strip(_QUOTES).strip()
        if cleaned == line:
            return line
        line = cleaned


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def sane_rewrite(candidate: str, question: str, previous: Sequence[str]) -> str | None:
    """`candidate` (one line, cleaned) when it passes the rules above, else None."""
    words = _WORD.findall(candidate)
    if "\n" in candidate or not MIN_WORDS <= len(words) <= MAX_WORDS or not candidate.endswith("?"):
        return None
    if "[" in candidate:
        return None
    known = [question, *previous]
    if any(_same(candidate, q) for q in [*known, *EXAMPLE[0], EXAMPLE[1], EXAMPLE[2]]):
        return None
    topics = {w for q in known for w in topic_words(q)}
    if not topics & set(topic_words(candidate)):
        return None
    numbers = {n for q in known for n in _NUMBER.findall(q)}
    if any(n not in numbers for n in _NUMBER.findall(candidate)):
        return None
    return candidate


def model_text(model: LanguageModel, question: str, previous: Sequence[str], *, max_tokens: int = 60) -> str:
    """What the model writes up to the end of its first non-empty line (the stream is
    closed there); raises the model's ModelError."""
    pieces = model.stream(prompt_messages(question, previous), max_tokens=max_tokens, temperature=0.0)
    text = ""
    try:
        for piece in pieces:
            text += piece
            if "\n" in text.lstrip():
                break
    finally:
        _close(pieces)
    return text


def _close(pieces: Iterator[str]) -> None:
    close = getattr(pieces, "close", None)
    if callable(close):
        close()


def model_rewriter(model: LanguageModel, *, max_tokens: int = 60) -> Rewriter:
    """A conversation.Rewriter asking `model`; None (the rule takes over) when the model
    fails or its first line is not a sane complete question."""

    def rewrite(question: str, previous: Sequence[str]) -> str | None:
        try:
            text = model_text(model, question, previous, max_tokens=max_tokens)
        except ModelError:
            return None
        return sane_rewrite(first_line(text), question, previous)

    return rewrite


def rewriter_for(settings: Settings, model: LanguageModel | None) -> Rewriter | None:
    """The model's Rewriter when a model is configured and ASSISTANT_LLM_REWRITE is on;
    otherwise None (follow-ups are rewritten by the rule alone)."""
    if model is None or not settings.llm_rewrite:
        return None
    return model_rewriter(model)
