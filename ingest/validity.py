"""When a governing document (strategy, programme, guidelines) was in force.

The period comes from `valid_from`/`valid_to` in sources.toml when given, otherwise
from a year range in the title ("… 2018–2022"). How it is worded for staff is
`core.wording`.
"""

from __future__ import annotations

import re

from core.records import Validity
from core.wording import GENERIC_SUBJECT, subject
from ingest.manifest import DocMeta

_RANGE_RE = re.compile(r"(?<!\d)(\d{4})\s*[-–—]\s*(\d{4})(?!\d)")


def validity_for(meta: DocMeta | None, title: str) -> Validity:
    """The validity period from the manifest, else from the title, else unknown."""
    if meta is not None and (meta.valid_from or meta.valid_to):
        return Validity(meta.valid_from, meta.valid_to, "sources.toml")
    if subject(title) == GENERIC_SUBJECT:
        # A year range in a report's title is the period it describes ("nuläget
        # 2012–2017"), not a period of validity: only governing documents get one.
        return Validity(None, None, "okänd")
    for match in _RANGE_RE.finditer(title):
        first, second = int(match.group(1)), int(match.group(2))
        if 1900 <= first <= second <= 2100:
            return Validity(match.group(1), match.group(2), "titel")
    return Validity(None, None, "okänd")
