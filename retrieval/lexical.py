"""Lexical retrieval: BM25 (bm25s) over Swedish-stemmed, stop-word-free tokens.

Tokens are folded to ASCII after stemming (å, ä → a; ö → o) so that questions typed
without Swedish letters still match.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

_WORD = re.compile(r"\w+", re.UNICODE)
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
_BASE_STOPWORDS = set(STOPWORDS_SWEDISH) | {"ska", "vad", "vem", "vilka", "vilken", "vilket", "hur", "finns"}
# Also the folded forms, so "for" (för typed without ö) is dropped like "för".
STOPWORDS = frozenset(_BASE_STOPWORDS | {w.translate(_FOLD) for w in _BASE_STOPWORDS})
_stemmer_lock = threading.Lock()
_stemmer = Stemmer.Stemmer("swedish")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    with _stemmer_lock:
        return _stemmer.stemWord(word).translate(_FOLD)


def analyze(text: str) -> list[str]:
    """Lower-case words, without Swedish stop words, stemmed and folded."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


class LexicalIndex:
    """A BM25 index over a fixed list of texts; rows are positions in that list."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._bm25 = bm25s.BM25()
        tokens = [analyze(t) or ["\u2205"] for t in texts]
        self.size = len(texts)
        if self.size:
            self._bm25.index(tokens, show_progress=False)
        self._vocab: dict[str, int] = dict(self._bm25.vocab_dict) if self.size else {}
        self._doc_freq = np.zeros(len(self._vocab), dtype=np.int32)
        for toks in tokens:
            for tok in set(toks):
                self._doc_freq[self._vocab[tok]] += 1

    def idf(self, token: str) -> float:
        idx = self._vocab.get(token)
        df = int(self._doc_freq[idx]) if idx is not None else 0
        return float(np.log(1 + (self.size - df + 0.5) / (df + 0.5)))

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        ids = [self._vocab[t] for t in analyze(query) if t in self._vocab]
        if not ids or not self.size:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
