"""Lexical retrieval: BM25 (bm25s) over Swedish-stemmed, stop-word-free tokens.

Tokens are folded to ASCII after stemming (å, ä → a; ö → o) so that questions typed
without Swedish letters still match.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import chain
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

from core.dictionary import is_swedish_word
from core.spelling import FOLD as _FOLD
from core.spelling import Correction, QueryCorrection, Speller

_WORD = re.compile(r"\w+", re.UNICODE)
_BASE_STOPWORDS = set(STOPWORDS_SWEDISH) | {"ska", "vad", "vem", "vilka", "vilken", "vilket", "hur", "finns"}
# Also the folded forms, so "for" (för typed without ö) is dropped like "för".
STOPWORDS = frozenset(_BASE_STOPWORDS | {w.translate(_FOLD) for w in _BASE_STOPWORDS})
# BM25 saturates term frequency early (k1) and normalises length mildly (b): chosen on
# eval/calibration.jsonl and SweFAQ, checked on eval/shared.jsonl (bench/README.md).
K1 = 0.6
B = 0.4
# Extra query tokens count less than the words asked (bench/README.md, "Lexical expansions").
SPELLING_WEIGHT = 1.0
DERIVATION_WEIGHT = 0.5
# Verb particles: "följa upp" is written "uppföljning" as a noun.
PARTICLES = frozenset({"upp", "ut", "in", "av", "till", "om", "över", "på", "fram", "bort", "ner", "med", "under"})
# Derivations on (folded) Snowball stems, verb stem ending -> noun stem ending:
# samordn/samordning, utbild/utbildning, diskriminer/diskriminering,
# informer/information, kommunicer/kommunikation.
DERIVATIONS = (("", "ing"), ("", "ning"), ("er", "ation"), ("cer", "kation"))
_MIN_ROOT = 4
SAVED_FORMAT = 2  # of LexicalIndex.save; a reader of another format builds the index anew
_stemmer_lock = threading.Lock()
_stemmer = Stemmer.Stemmer("swedish")
_stems: dict[str, str] = {}  # word -> stem; a plain dict: reads need no lock
_MAX_STEMS = 500_000


def _stem(word: str) -> str:
    hit = _stems.get(word)
    if hit is None:
        with _stemmer_lock:
            hit = _stemmer.stemWord(word).translate(_FOLD)
        if len(_stems) < _MAX_STEMS:
            _stems[word] = hit
    return hit


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _plain_tokens(word: str) -> tuple[str, ...]:
    return () if len(word) < 2 or word in STOPWORDS else (_stem(word),)


def analyze(text: str) -> list[str]:
    """Lower-case words, without Swedish stop words, stemmed and folded."""
    return list(chain.from_iterable(map(_plain_tokens, words(text))))


def covers(term: str, tokens: set[str]) -> bool:
    """A question term is covered by a text's tokens when one of them is the term or,
    for terms of five letters or more, holds it (Swedish compounds and derivations:
    "brobyggare" in "brobyggarutbildningen", "aterrapporter" in "aterrapportering")."""
    return term in tokens or (len(term) >= 5 and any(term in t for t in tokens))


class Decompounder:
    """Splits Swedish compounds into parts that occur as words in the corpus
    ("socialnämnden" -> "social", "nämnden"; "brobyggarverksamhet" -> "brobyggar",
    "verksamhet"), so a question may use the parts or the whole."""

    def __init__(self, texts: Sequence[str], min_part: int = 4) -> None:
        counted: Counter[str] = Counter()
        for text in texts:
            counted.update(words(text))
        self._init(counted, min_part)

    @classmethod
    def from_counts(cls, word_counts: Mapping[str, int], min_part: int = 4) -> Decompounder:
        """From the corpus's words already counted (as `words` splits them)."""
        self = cls.__new__(cls)
        self._init(word_counts, min_part)
        return self

    def _init(self, word_counts: Mapping[str, int], min_part: int) -> None:
        counts: dict[str, int] = {}  # stems of the corpus's words
        for w, n in word_counts.items():
            if len(w) >= min_part and w not in STOPWORDS and not w.isdigit():
                stem = _stem(w)
                counts[stem] = counts.get(stem, 0) + n
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
        return list(chain.from_iterable(map(self.tokens, words(text))))

    def tokens(self, word: str) -> tuple[str, ...]:
        """What one word of the text becomes: nothing (a stop word), its stem, or its
        stem and the stems of its parts."""
        if len(word) < 2 or word in STOPWORDS:
            return ()
        if len(word) >= 2 * self._min:
            return (_stem(word), *self.parts(word))
        return (_stem(word),)


class LexicalIndex:
    """A BM25 index over a fixed list of texts; rows are positions in that list.

    `spelling`: a question word the index lacks and Swedish does not know is also
    searched as its closest words of the index (core.spelling). `derivations`: a
    verb and its particle ("följa upp") also search the particle-first compound of the
    index ("uppföljning"), and a stem also searches its derivation the index has
    ("kommunicera" / "kommunikation", "utbilda" / "utbildning"); both weighted lower."""

    def __init__(self, texts: Sequence[str], compounds: bool = True, k1: float = K1, b: float = B,
                 spelling: bool = True, derivations: bool = True) -> None:
        bm25 = bm25s.BM25(k1=k1, b=b)
        # Each distinct word is analysed once; the texts are then mapped word by word.
        word_lists = [words(t) for t in texts]
        counted: Counter[str] = Counter()
        for ws in word_lists:
            counted.update(ws)
        decompounder = Decompounder.from_counts(counted) if compounds else None
        per_word = decompounder.tokens if decompounder else _plain_tokens
        table = {w: per_word(w) for w in counted}
        tokens = [list(chain.from_iterable(map(table.__getitem__, ws))) or ["\u2205"] for ws in word_lists]
        if texts:
            bm25.index(tokens, show_progress=False)
        vocab: dict[str, int] = dict(bm25.vocab_dict) if texts else {}
        doc_freq = np.zeros(len(vocab), dtype=np.int32)
        for tok, n in Counter(chain.from_iterable(map(set, tokens))).items():
            doc_freq[vocab[tok]] = n
        self._setup(bm25, len(texts), vocab, doc_freq, dict(counted), decompounder, spelling, derivations)

    def _setup(self, bm25: bm25s.BM25, size: int, vocab: dict[str, int], doc_freq: np.ndarray,
               word_counts: dict[str, int], decompounder: Decompounder | None, spelling: bool | Speller,
               derivations: bool) -> None:
        self._bm25 = bm25
        self.size = size
        self._vocab = vocab
        self._doc_freq = doc_freq
        self._word_counts = word_counts  # the corpus's words as `words` splits them: what save() keeps
        self._decompounder = decompounder
        self._analyze = decompounder.analyze if decompounder else analyze
        self._speller = spelling if isinstance(spelling, Speller) else Speller(word_counts) if spelling else None
        self._derivations = derivations
        self._sorted_vocab = sorted(vocab) if derivations else []
        self._corrections: dict[str, QueryCorrection] = {}

    def save(self, folder: Path) -> None:
        """Write the index to `folder` (which must not exist yet) for `load`: BM25's
        matrices as .npy files (read memory-mapped), the vocabulary and the corpus's word
        counts as JSON."""
        folder.mkdir(parents=True)
        if self.size:
            self._bm25.save(str(folder / "bm25"), show_progress=False)
        np.save(folder / "doc_freq.npy", np.asarray(self._doc_freq, dtype=np.int32))
        params = {"format": SAVED_FORMAT, "size": self.size, "compounds": self._decompounder is not None,
                  "spelling": self._speller is not None, "derivations": self._derivations,
                  "k1": float(self._bm25.k1), "b": float(self._bm25.b)}
        (folder / "params.json").write_text(json.dumps(params), encoding="utf-8")
        (folder / "words.json").write_text(json.dumps(self._word_counts, ensure_ascii=False), encoding="utf-8")
        if self._speller is not None:
            self._speller.save(folder / "speller")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The index `save` wrote; its BM25 matrices memory-mapped (shared between the
        processes of a machine by the page cache). ValueError when it is not one."""
        params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
        if params.get("format") != SAVED_FORMAT:
            raise ValueError(f"lexical index format {params.get('format')!r}, not {SAVED_FORMAT}")
        size = int(params["size"])
        if size:
            bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
            vocab = dict(bm25.vocab_dict)
        else:
            bm25, vocab = bm25s.BM25(k1=params["k1"], b=params["b"]), {}
        doc_freq = np.load(folder / "doc_freq.npy", mmap_mode="r")
        if len(doc_freq) != len(vocab):
            raise ValueError("lexical index: vocabulary and document frequencies differ in length")
        word_counts = json.loads((folder / "words.json").read_text(encoding="utf-8"))
        decompounder = Decompounder.from_counts(word_counts) if params["compounds"] else None
        self = cls.__new__(cls)
        speller = Speller.load(folder / "speller", word_counts) if params["spelling"] else False
        self._setup(bm25, size, vocab, doc_freq, word_counts, decompounder, speller, params["derivations"])
        return self

    def idf(self, token: str) -> float:
        idx = self._vocab.get(token)
        df = int(self._doc_freq[idx]) if idx is not None else 0
        return float(np.log(1 + (self.size - df + 0.5) / (df + 0.5)))

    def correct(self, query: str) -> QueryCorrection:
        """The question's words that the index lacks and Swedish does not know, each with
        its closest words of the index; `corrected` is the question with the best ones."""
        hit = self._corrections.get(query)
        if hit is not None:
            return hit
        corrections: list[Correction] = []
        corrected = query
        if self._speller is not None:
            for word in dict.fromkeys(words(query)):
                if len(word) < 2 or word in STOPWORDS or _stem(word) in self._vocab or is_swedish_word(word):
                    continue
                suggestions = self._speller.suggest(word)
                if suggestions:
                    corrections.append(Correction(word, suggestions))
                    corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", suggestions[0], corrected,
                                       count=1, flags=re.IGNORECASE)
        out = QueryCorrection(query, corrected, tuple(corrections))
        if len(self._corrections) < 10_000:
            self._corrections[query] = out
        return out

    def expansions(self, query: str) -> dict[str, float]:
        """Extra query tokens of the index and their weights: the stems of the spelling
        suggestions, particle-first compounds, derivations."""
        asked = set(self._analyze(query))
        extra: dict[str, float] = {}

        def add(token: str, weight: float) -> None:
            if token in self._vocab and token not in asked:
                extra[token] = max(extra.get(token, 0.0), weight)

        for c in self.correct(query).corrections:
            for token in chain.from_iterable(self._analyze(s) for s in c.suggestions):
                add(token, SPELLING_WEIGHT)
        if self._derivations:
            ws = words(query)
            for verb, particle in zip(ws, ws[1:], strict=False):
                if particle in PARTICLES and verb not in STOPWORDS and len(verb) > 2:
                    for token in self._compounds_with(particle.translate(_FOLD) + _stem(verb)):
                        add(token, DERIVATION_WEIGHT)
            for token in asked | set(extra):
                for derived in derivations_of(token):
                    add(derived, DERIVATION_WEIGHT)
        return extra

    def _compounds_with(self, prefix: str, limit: int = 2) -> list[str]:
        """The index's most frequent tokens that are `prefix` or a derivation of it."""
        i = bisect.bisect_left(self._sorted_vocab, prefix)
        found = []
        while i < len(self._sorted_vocab) and self._sorted_vocab[i].startswith(prefix):
            tok = self._sorted_vocab[i]
            if len(tok) <= len(prefix) + 5:
                found.append(tok)
            i += 1
        found.sort(key=lambda t: -int(self._doc_freq[self._vocab[t]]))
        return found[:limit]

    def search(self, query: str, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The best `k` rows with a positive score; of the rows where the mask `rows` is
        true only, when given."""
        ids = [self._vocab[t] for t in self._analyze(query) if t in self._vocab]
        extra = self.expansions(query) if self._speller is not None or self._derivations else {}
        if (not ids and not extra) or not self.size:
            return []
        scores = self._bm25.get_scores_from_ids(ids) if ids else np.zeros(self.size, dtype=np.float32)
        by_weight: dict[float, list[int]] = {}
        for token, weight in extra.items():
            by_weight.setdefault(weight, []).append(self._vocab[token])
        for weight, extra_ids in by_weight.items():
            scores = scores + weight * self._bm25.get_scores_from_ids(extra_ids)
        if rows is not None:
            scores = np.where(rows, scores, 0.0)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def derivations_of(stem: str) -> list[str]:
    """The stems a (folded) stem may be derived from or into (DERIVATIONS), both ways."""
    out = []
    for verb_end, noun_end in DERIVATIONS:
        if stem.endswith(verb_end) and len(stem) - len(verb_end) >= _MIN_ROOT:
            out.append(stem[: len(stem) - len(verb_end)] + noun_end)
        if stem.endswith(noun_end) and len(stem) - len(noun_end) >= _MIN_ROOT:
            out.append(stem[: len(stem) - len(noun_end)] + verb_end)
    return out
