"""Misspelling tolerance against the index's own vocabulary.

A question word that the index lacks and that the Swedish Hunspell dictionary
(hunspell-sv, read with chunspell) does not know is matched to the closest words of
the index: edit distance 1, or 2 for words of eight letters or more, the same first
letter (or the first two swapped, or a known confusion), frequent words first. The
neighbours are found through a deletion index (SymSpell): each word of the index and
each of its one-letter deletions point to the word, so a query word's own deletions
find every word one or two edits away without comparing it with the whole vocabulary.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
MIN_LENGTH = 5  # shorter words have too many neighbours to guess from
_FIRST_LETTER_SWAPS = frozenset({("c", "k"), ("k", "c"), ("q", "k"), ("w", "v"), ("v", "w"), ("z", "s"), ("s", "z")})


@dataclass(frozen=True)
class Correction:
    word: str  # as typed, lower-case
    suggestions: tuple[str, ...]  # words of the index, best first


@dataclass(frozen=True)
class QueryCorrection:
    """What the lexical search made of a question's misspellings ("Menade du …?")."""

    query: str  # as asked
    corrected: str  # the question with each corrected word replaced by its best suggestion
    corrections: tuple[Correction, ...]

    @property
    def changed(self) -> bool:
        return bool(self.corrections)


# --- The index's vocabulary: its closest words ------------------------------------------


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps
    of neighbouring letters each cost one."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def max_distance(word: str) -> int:
    return 1 if len(word) < 8 else 2


class Speller:
    """The closest words of a corpus to a word it lacks. `deletes`: the deletion index
    as `save` wrote it (else it is built from the words)."""

    def __init__(self, word_counts: Mapping[str, int], deletes: SavedDeletions | None = None) -> None:
        counts: dict[str, int] = {}  # folded word -> occurrences
        surface: dict[str, tuple[int, str]] = {}  # folded word -> (occurrences, its most frequent spelling)
        for w, n in word_counts.items():
            if len(w) < MIN_LENGTH - 1 or not w.isalpha():
                continue
            f = w.translate(FOLD)
            counts[f] = counts.get(f, 0) + n
            if n > surface.get(f, (0, ""))[0]:
                surface[f] = (n, w)
        self._counts = counts
        self._surface = {f: w for f, (_, w) in surface.items()}
        self._deletes: Mapping[str, list[str]] | SavedDeletions = deletes if deletes is not None \
            else _deletion_index(counts)
        self._cache: dict[str, tuple[str, ...]] = {}

    def save(self, folder: Path) -> None:
        """The deletion index as sorted arrays of key hashes and word numbers (.npy), so
        that a process loads it memory-mapped instead of building it (seconds at a large
        corpus's vocabulary)."""
        words = sorted(self._counts)
        number = {w: i for i, w in enumerate(words)}
        deletes = self._deletes if isinstance(self._deletes, Mapping) else _deletion_index(self._counts)
        pairs = [(_key(k), number[w]) for k, ws in deletes.items() for w in ws]
        pairs.sort()
        folder.mkdir(parents=True)
        np.save(folder / "keys.npy", np.array([k for k, _ in pairs], dtype=np.uint32))
        np.save(folder / "words.npy", np.array([w for _, w in pairs], dtype=np.int32))
        (folder / "words.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, word_counts: Mapping[str, int]) -> Speller:
        words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
        saved = SavedDeletions(np.load(folder / "keys.npy", mmap_mode="r"),
                               np.load(folder / "words.npy", mmap_mode="r"), words)
        return cls(word_counts, saved)

    def __len__(self) -> int:
        return len(self._counts)

    def suggest(self, word: str, limit: int = 2) -> tuple[str, ...]:
        """Up to `limit` words of the corpus closest to `word` (spelled as the corpus
        spells them), the most frequent first; () when none is close enough."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        f = word.translate(FOLD)
        best: list[tuple[int, int, str]] = []
        if len(f) >= MIN_LENGTH and f.isalpha():
            most = max_distance(f)
            keys = {f} | _deletions(f)
            if most > 1:
                keys |= {d for k in list(keys) for d in _deletions(k)}
            seen: set[str] = set()
            for c in _candidates(self._deletes, keys):
                if c in seen or c == f or abs(len(c) - len(f)) > most or not _same_start(f, c):
                    continue
                seen.add(c)
                d = distance(f, c)
                if d <= most:
                    best.append((d, -self._counts[c], c))
            if f in self._counts and self._surface[f] != word:  # the word typed without å, ä, ö
                best.append((0, -self._counts[f], f))
        best.sort()
        out = tuple(self._surface[c] for d, _, c in best if d == best[0][0])[:limit] if best else ()
        if len(self._cache) < 100_000:
            self._cache[word] = out
        return out


def _deletion_index(counts: Mapping[str, int]) -> dict[str, list[str]]:
    """Each word and each of its one-letter deletions -> the words it comes from."""
    deletes: defaultdict[str, list[str]] = defaultdict(list)
    for f in counts:  # the hot loop of building a generation's index: kept plain
        deletes[f].append(f)
        for i in range(len(f)):
            deletes[f[:i] + f[i + 1:]].append(f)
    return dict(deletes)  # read with .get only: never grows after this


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class SavedDeletions:
    """The deletion index as Speller.save wrote it: a key's words are found by binary
    search over the sorted key hashes. Two keys may share a hash; their words are then
    both candidates, and the edit distance (which every candidate is checked by) drops
    the wrong ones."""

    def __init__(self, keys: np.ndarray, words: np.ndarray, vocabulary: list[str]) -> None:
        self._keys, self._words, self._vocabulary = keys, words, vocabulary

    def get(self, key: str, default: Iterable[str] = ()) -> Iterable[str]:
        h = _key(key)
        lo = int(np.searchsorted(self._keys, h, side="left"))
        hi = int(np.searchsorted(self._keys, h, side="right"))
        return [self._vocabulary[int(i)] for i in self._words[lo:hi]] if hi > lo else default


def _candidates(deletes: Mapping[str, list[str]] | SavedDeletions, keys: Iterable[str]) -> Iterable[str]:
    for key in keys:
        yield from deletes.get(key, ())


def _same_start(a: str, b: str) -> bool:
    return a[0] == b[0] or (a[:2] == b[1::-1]) or (a[0], b[0]) in _FIRST_LETTER_SWAPS
