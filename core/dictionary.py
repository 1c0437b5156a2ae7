"""The Swedish dictionary: is a word correct Swedish? Hunspell's sv_SE (the hunspell-sv
package) read with chunspell; used by the ingest (joining words hyphenated at a line end)
and by the search (which question words are misspelt)."""

from __future__ import annotations

import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_hunspell: Any = None
_known: dict[str, bool] = {}
_MAX_KNOWN = 200_000


def dictionary_dirs() -> list[Path]:
    """Where hunspell-sv's files may lie: the environment's share/hunspell (where pip puts
    them), then the system's."""
    roots = [Path(sysconfig.get_path("data")), Path(sys.prefix), Path("/usr")]
    return [r / "share" / "hunspell" for r in dict.fromkeys(roots)]


def _dictionary() -> Any:
    global _hunspell
    if _hunspell is None:
        with _lock:
            if _hunspell is None:
                from hunspell import Hunspell  # chunspell: a C++ Hunspell, loads sv_SE in under a second

                found = next((d for d in dictionary_dirs() if (d / "sv_SE.dic").is_file()), None)
                if found is None:
                    raise FileNotFoundError("sv_SE.dic (hunspell-sv) in none of "
                                            + ", ".join(map(str, dictionary_dirs())))
                _hunspell = Hunspell("sv_SE", hunspell_data_dir=str(found))
    return _hunspell


def load_dictionary() -> None:
    """Load the dictionary now (it is otherwise loaded by the first question that needs it)."""
    _dictionary()


def is_swedish_word(word: str) -> bool:
    """Whether Hunspell's Swedish dictionary accepts the word (in lower case or capitalised:
    questions are read in lower case, names are written capitalised)."""
    hit = _known.get(word)
    if hit is None:
        d = _dictionary()
        with _lock:  # one Hunspell object, calls of microseconds
            hit = bool(d.spell(word) or d.spell(word.capitalize()))
        if len(_known) < _MAX_KNOWN:
            _known[word] = hit
    return hit




def is_common_word(word: str) -> bool:
    """Whether Hunspell knows the word in lower case: a common word, not only a name
    ("strategin", "kommunstyrelsen" are; "uppsala", "stockholms" are not)."""
    key = "\0" + word.lower()
    hit = _known.get(key)
    if hit is None:
        d = _dictionary()
        with _lock:
            hit = bool(d.spell(word.lower()))
        if len(_known) < _MAX_KNOWN:
            _known[key] = hit
    return hit
