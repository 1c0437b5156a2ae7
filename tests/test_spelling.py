"""Misspelling tolerance and derivations of the lexical index: the real Swedish
dictionary (hunspell-sv), the vocabulary of the real document in corpus/."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.dictionary import is_swedish_word
from core.lexical import LexicalIndex, derivations_of
from core.spelling import QueryCorrection, Speller, distance
from retrieval.answer import Calibration, answer_question
from retrieval.search import Searcher
from tests.conftest import REPO

DOCUMENT = REPO / "corpus" / "socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md"


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    text = DOCUMENT.read_text(encoding="utf-8")
    return LexicalIndex([p for p in text.split("\n\n") if p.strip()])


def test_the_dictionary_knows_swedish_and_not_misspellings() -> None:
    for word in ("ansvarar", "strategin", "brobyggare", "socialnämnden", "kommunikationsstrategi", "stockholm"):
        assert is_swedish_word(word), word
    for word in ("ansvrar", "stratgein", "brobyggre", "xyzzyq"):
        assert not is_swedish_word(word), word


def test_distance_counts_a_swap_of_neighbours_as_one_edit() -> None:
    assert distance("stratgein", "strategin") == 1
    assert distance("brobyggre", "brobyggare") == 1
    assert distance("ansvrar", "ansvarar") == 1
    assert distance("kvantdator", "kandidat") > 2


def test_a_misspelling_is_corrected_to_the_index_word(index: LexicalIndex) -> None:
    fixed = index.correct("vem ansvrar för att genomföra stratgein")
    assert fixed.changed
    by_word = {c.word: c.suggestions for c in fixed.corrections}
    assert by_word["stratgein"] == ("strategin",)
    assert "ansvarar" in by_word["ansvrar"]
    assert "strategin" in fixed.corrected and fixed.corrected.startswith("vem ")
    assert index.correct("Brobyggre").corrected == "brobyggare"


def test_a_correct_word_the_index_lacks_is_not_corrected(index: LexicalIndex) -> None:
    # Swedish words that are not in the document; some lie one edit from a word that is.
    for question in ("Vad säger strategin om kvantdatorer?", "Hur många bilar finns det?",
                     "Vem ansvarar för brobyggarna?"):
        assert not index.correct(question).changed, question


def test_words_typed_without_swedish_letters_are_not_corrected_when_the_index_matches(index: LexicalIndex) -> None:
    assert not index.correct("vem ansvarar for uppfoljningen av strategin").changed


def test_suggestions_prefer_frequent_words_and_keep_the_first_letter() -> None:
    speller = Speller({"strategin": 30, "strategi": 5, "kategorin": 50, "tragedin": 2})
    assert speller.suggest("stratgin") == ("strategin",)
    assert speller.suggest("ktrategin") == ()  # another first letter: not a guess we make
    assert speller.suggest("xyz") == ()  # too short to guess


def test_a_saved_speller_suggests_as_the_one_built(tmp_path: Path) -> None:
    """The deletion index saved as key hashes (bench/switch.py: a generation's load no
    longer builds it): 40 000 random words, more than the largest corpus here has, and
    misspellings of them; crc32 collisions only add candidates the distance drops."""
    import random

    rng = random.Random(3)
    letters = "abcdefghijklmnoprstuvyäåö"
    counts = {"".join(rng.choice(letters) for _ in range(rng.randint(6, 14))): rng.randint(1, 50)
              for _ in range(40_000)}
    built = Speller(counts)
    built.save(tmp_path / "speller")
    loaded = Speller.load(tmp_path / "speller", counts)
    words = list(counts)[:300]
    probes = [w[:3] + w[4:] for w in words] + [w[:2] + w[3] + w[2] + w[4:] for w in words] + [w + "x" for w in words]
    assert [loaded.suggest(p) for p in probes] == [built.suggest(p) for p in probes]
    assert sum(1 for p in probes if built.suggest(p)) > 600  # the probes do find words


def test_particle_verbs_and_derivations_meet_the_index_s_forms(index: LexicalIndex) -> None:
    assert "uppfoljning" in index.expansions("Hur ska man följa upp arbetet?")
    assert "kommunicer" in derivations_of("kommunikation") and "kommunikation" in derivations_of("kommunicer")
    assert "utbildning" in derivations_of("utbild") and "samordning" in derivations_of("samordn")
    texts = ["Uppföljningen görs av nämnden.", "Nämnden beslutar om strategin.", "Kommunikationen sköts av staden."]
    plain = LexicalIndex(texts, derivations=False, spelling=False)
    both = LexicalIndex(texts)
    for question, row in (("vem ska följa upp", 0), ("vem ska kommunicera", 2)):
        assert [r for r, _ in both.search(question, 3)][:1] == [row]
        assert row not in [r for r, _ in plain.search(question, 3)]


@pytest.mark.slow
def test_a_misspelt_question_finds_the_passage_the_correct_one_finds(default_searcher: Searcher) -> None:
    searcher = default_searcher
    right = searcher.search("vem ansvarar för att genomföra strategin", k=1)[0].chunk.id
    wrong = [c.chunk.id for c in searcher.search("vem ansvrar för att genomföra stratgein", k=3)]
    assert wrong[0] == right
    bm25 = [c.chunk.id for c in searcher.search("vem ansvrar för att genomföra stratgein", k=3, mode="bm25")]
    assert right in bm25
    answer = answer_question("vem ansvrar för att genomföra stratgein", searcher, Calibration.load())
    assert answer.spelling is not None and "strategin" in answer.spelling.corrected
    assert answer_question("vem ansvarar för att genomföra strategin", searcher,
                           Calibration.load()).spelling == QueryCorrection(
        "vem ansvarar för att genomföra strategin", "vem ansvarar för att genomföra strategin", ())
