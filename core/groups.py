"""The document groups staff can narrow a question to: a kind of document and who
issued it. Keys are stored in DocInfo (ingest/classify.py derives them); labels are
what staff see."""

from __future__ import annotations

KIND_GROUPS: dict[str, str] = {
    "strategi": "Strategi, program, handlingsplan",
    "riktlinjer": "Riktlinjer",
    "lag": "Lag, förordning",
    "uppdrag": "Regeringsuppdrag",
    "proposition": "Proposition, skrivelse",
    "rapport": "Rapport, uppföljning",
    "yttrande": "Tjänsteutlåtande, remissvar",
    "ovrigt": "Webbsida, övrigt",
}
ISSUER_GROUPS: dict[str, str] = {
    "stockholm": "Stockholms stad",
    "regeringen": "Regeringen och riksdagen",
    "lansstyrelsen": "Länsstyrelsen",
    "myndighet": "Andra myndigheter",
    "kommun": "Andra kommuner",
    "okand": "Okänd utfärdare",
}
