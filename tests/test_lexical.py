from core.lexical import Decompounder, LexicalIndex, analyze

TEXTS = [
    "Socialnämnden ansvarar för brobyggarverksamheten i staden.",
    "Nämnden för sociala frågor och verksamhet med brobyggare.",
    "Stadsdelsnämnderna ska genomföra strategin.",
    "Kommunstyrelsen följer upp arbetet.",
]


def test_stemming_stopwords_and_folding() -> None:
    assert analyze("Vem ansvarar för uppföljningen?") == ["ansvar", "uppfoljning"]
    assert analyze("vem ansvarar for uppfoljningen") == ["ansvar", "uppfoljning"], "missing å/ä/ö still match"


def test_compounds_split_into_corpus_words() -> None:
    d = Decompounder(TEXTS)
    assert d.parts("socialnämnden") == ("social", "namnd")
    assert d.parts("brobyggarverksamheten") == ("brobygg", "verksam")
    assert d.parts("kommunstyrelsen") == ()  # "styrelse" is not a word of this corpus
    assert d.parts("hus") == ()


def test_a_question_with_the_parts_finds_the_compound() -> None:
    with_parts = {row for row, _ in LexicalIndex(TEXTS).search("social nämnd", k=4)}
    without = {row for row, _ in LexicalIndex(TEXTS, compounds=False).search("social nämnd", k=4)}
    assert 0 in with_parts and 0 not in without
    assert 1 in with_parts and 1 in without
