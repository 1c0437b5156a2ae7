"""Telling English questions from Swedish ones (the documents are Swedish)."""

from __future__ import annotations

import re

_EN = frozenset(
    "the a an of to in for on is are was were what which who whom whose how when where why does do "
    "did will would should can could with by from about its their this that these those be been has "
    "have had many much any there according".split()
)
_SV_ONLY = frozenset("och att det som är för på med av till den har inte om ett vad vem vilken vilka hur när".split())


def is_english(text: str) -> bool:
    words = re.findall(r"[a-zåäöéü]+", text.lower())
    if not words:
        return False
    english = sum(w in _EN for w in words)
    swedish = sum(w in _SV_ONLY for w in words) + sum(any(c in w for c in "åäö") for w in words)
    return english >= 2 and english > 2 * swedish
