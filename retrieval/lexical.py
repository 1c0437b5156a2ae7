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


class Decompounder:
    """Splits Swedish compounds into parts that occur as words in the corpus
    ("socialnämnden" -> "social", "nämnden"; "brobyggarverksamhet" -> "brobyggar",
    "verksamhet"), so a question may use the parts or the whole."""

    def __init__(self, texts: Sequence[str], min_part: int = 4) -> None:
        counts: dict[str, int] = {}  # stems of the corpus's words
        for text in texts:
            for w in _WORD.findall(text.lower()):
                if len(w) >= min_part and not w.isdigit() and w not in STOPWORDS:
                    stem = _stem(w)
                    counts[stem] = counts.get(stem, 0) + 1
        self._words = counts
        self._min = min_part
        self._cache: dict[str, tuple[str, ...]] = {}

    def parts(self, word: str) -> tuple[str, ...]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        best: tuple[int, tuple[str, ...]] = (0, ())
        for i in range(self._min, len(word) - self._min + 1):
            left, right = _stem(word[:i]), _stem(word[i:])
            if left not in self._words and word[i - 1] == "s" and _stem(word[: i - 1]) in self._words:
                left = _stem(word[: i - 1])  # the linking s: "stadsdel" -> "stad" + "del"
            if left in self._words and right in self._words and len(left) >= 3 and len(right) >= 3:
                score = min(self._words[left], self._words[right])
                if score > best[0]:
                    best = (score, (left, right))
        self._cache[word] = best[1]
        return best[1]

    def analyze(self, text: str) -> list[str]:
        out = []
        for w in _WORD.findall(text.lower()):
            if w in STOPWORDS or len(w) < 2:
                continue
            out.append(_stem(w))
            if len(w) >= 2 * self._min:
                out.extend(self.parts(w))
        return out


class LexicalIndex:
    """A BM25 index over a fixed list of texts; rows are positions in that list."""

    def __init__(self, texts: Sequence[str], compounds: bool = True) -> None:
        self._bm25 = bm25s.BM25()
        self._decompounder = Decompounder(texts) if compounds else None
        self._analyze = self._decompounder.analyze if self._decompounder else analyze
        tokens = [self._analyze(t) or ["\u2205"] for t in texts]
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
        ids = [self._vocab[t] for t in self._analyze(query) if t in self._vocab]
        if not ids or not self.size:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
