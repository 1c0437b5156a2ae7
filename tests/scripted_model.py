"""Language models that write what a test tells them, in place of a real one, for the tests
of the generated answer, the follow-up rewriter and the generation benchmark (the HTTP
endpoint for the browser tests is tests/scripted_llm.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from core.llm import ChatMessage


class Scripted:
    """Writes the given pieces, then raises `fail` if given (with no pieces: at once), and
    keeps what it was sent, how many pieces were read and whether its stream was closed."""

    model_id = "skript"

    def __init__(self, pieces: Sequence[str] = (), fail: Exception | None = None) -> None:
        self.pieces = list(pieces)
        self.fail = fail
        self.sent: list[list[ChatMessage]] = []
        self.read = 0
        self.closed = False

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 400,
               temperature: float = 0.0) -> Iterator[str]:
        self.sent.append(list(messages))
        return self._pieces()

    def _pieces(self) -> Iterator[str]:
        try:
            for piece in self.pieces:
                self.read += 1
                yield piece
            if self.fail is not None:
                raise self.fail
        finally:
            self.closed = True


class Never:
    """A model that must not be asked."""

    model_id = "aldrig"

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 400,
               temperature: float = 0.0) -> Iterator[str]:
        raise AssertionError("the model was called")


def words_of(text: str) -> list[str]:
    """A text in pieces the size of a model's tokens."""
    return [w + " " for w in text.split(" ")]
