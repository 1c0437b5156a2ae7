"""The corpus manifest `sources.toml`: per-document metadata keyed by file name.

    ["strategi-2018.md"]
    title = "Stockholms stads strategi för romsk inkludering 2018–2022"
    source = "Stockholms stad"
    kind = "strategi"
    excerpt = false
    valid_to = 2022-12-31     # a TOML date, "2022-12-31" or "2022"

Unknown keys are kept in `DocMeta.extra`. Any problem raises `ManifestError` with
the line number and a plain-Swedish detail; nothing is half-loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from core.errors import ManifestError

MANIFEST_NAME = "sources.toml"

_TEXT_KEYS = ("title", "source", "kind", "issuer", "replaced_by")
_DATE_KEYS = ("adopted", "valid_from", "valid_to")
_KNOWN = frozenset((*_TEXT_KEYS, *_DATE_KEYS, "excerpt"))
_LINE_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER_RE = re.compile(r"^\s*\[\[?(?P<key>.+?)\]\]?\s*(?:#.*)?$")
_DATE_RE = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")

# Plain-Swedish versions of the commonest tomllib messages (prefix match).
_SYNTAX_SV = (
    ("Expected '=' after a key", "'=' saknas efter en nyckel"),
    ("Unterminated string", "en text saknar avslutande citattecken"),
    ("Cannot declare", "samma fil står två gånger"),
    ("Cannot overwrite a value", "samma nyckel står två gånger"),
    ("Expected ']", "']' saknas i en rubrik"),
    ("Invalid value", "ett värde är ogiltigt (text ska stå inom citattecken)"),
    ("Invalid date", "ett datum är ogiltigt"),
    (
        "Invalid initial character for a key",
        "en nyckel börjar med ett otillåtet tecken",
    ),
    ("Illegal character '\\n'", "en text saknar avslutande citattecken"),
    ("Illegal character", "otillåtet tecken"),
    ("Expected newline or end of document", "oväntade tecken efter ett värde"),
    ("Unclosed array", "en lista saknar avslutande ']'"),
)


class _EntryError(Exception):
    """A wrong value in one manifest entry; the message is plain Swedish."""


@dataclass(frozen=True)
class DocMeta:
    title: str | None = None
    source: str | None = None
    kind: str | None = None
    excerpt: bool = False
    issuer: str | None = None
    adopted: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    replaced_by: str | None = None
    extra: Mapping[str, object] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        # A read-only copy, so a shared DocMeta cannot be changed through `extra`.
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))


def load_manifest(corpus_dir: Path) -> dict[str, DocMeta]:
    """Metadata per file name (NFC-normalised) from `corpus_dir/sources.toml`; {} if absent."""
    path = corpus_dir / MANIFEST_NAME
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ManifestError(shown, None, "filen kunde inte läsas") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError(shown, bad_line, "filen är inte sparad som UTF-8") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(shown, str(exc)) from exc

    result: dict[str, DocMeta] = {}
    for name, entry in data.items():
        line = _entry_line(text, name)
        if not isinstance(entry, dict):
            raise ManifestError(
                shown,
                line,
                f'"{name}" ska vara en rubrik ["{name}"] följd av rader med nyckel = värde',
            )
        try:
            meta = _parse_entry(entry)
        except _EntryError as exc:
            raise ManifestError(shown, line, f'["{name}"]: {exc}') from None
        key = unicodedata.normalize("NFC", name)
        if key in result:
            raise ManifestError(shown, line, f'"{name}" står två gånger')
        result[key] = meta
    return result


def manifest_fingerprint(meta: DocMeta) -> str:
    """Stable sha256 hex of an entry's content, to notice changed metadata."""
    content = {
        "title": meta.title,
        "source": meta.source,
        "kind": meta.kind,
        "excerpt": meta.excerpt,
        "issuer": meta.issuer,
        "adopted": meta.adopted,
        "valid_from": meta.valid_from,
        "valid_to": meta.valid_to,
        "replaced_by": meta.replaced_by,
        "extra": dict(meta.extra),
    }
    blob = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(("docmeta-v1\n" + blob).encode("utf-8")).hexdigest()


def _parse_entry(entry: dict[str, object]) -> DocMeta:
    """Validate one table; _EntryError carries the plain-Swedish detail."""
    values: dict[str, str | None] = {}
    for key in _TEXT_KEYS:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise _EntryError(f"{key} ska vara en text inom citattecken")
        values[key] = (value.strip() or None) if isinstance(value, str) else None
    for key in _DATE_KEYS:
        values[key] = _date_value(key, entry.get(key))
    excerpt = entry.get("excerpt", False)
    if not isinstance(excerpt, bool):
        raise _EntryError("excerpt ska vara true eller false")
    extra: dict[str, object] = {}
    for key, value in entry.items():
        if key in _KNOWN:
            continue
        if isinstance(value, dict):
            # `[foo.md]` without quotes parses as table "foo" with sub-table "md".
            raise _EntryError(
                f"{key} är en undertabell – står filnamnet inom citattecken?"
            )
        extra[key] = value
    return DocMeta(
        title=values["title"],
        source=values["source"],
        kind=values["kind"],
        excerpt=excerpt,
        issuer=values["issuer"],
        adopted=values["adopted"],
        valid_from=values["valid_from"],
        valid_to=values["valid_to"],
        replaced_by=values["replaced_by"],
        extra=MappingProxyType(extra),
    )


def _date_value(key: str, value: object) -> str | None:
    """A TOML date, "YYYY-MM-DD", "YYYY" or an integer year, as an ISO string."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return str(value)
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        iso = value.strip()
        if len(iso) == 4:
            return iso
        try:
            return dt.date.fromisoformat(iso).isoformat()
        except ValueError:
            pass
    raise _EntryError(f"{key} ska vara ett datum (ÅÅÅÅ-MM-DD) eller ett årtal (ÅÅÅÅ)")


def _syntax_error(shown: str, message: str) -> ManifestError:
    match = _LINE_RE.search(message)
    line = int(match.group(1)) if match else None
    what = next(
        (sv for en, sv in _SYNTAX_SV if message.startswith(en)), "felaktig TOML-syntax"
    )
    where = f", kolumn {match.group(2)}" if match else ""
    return ManifestError(shown, line, f"{what}{where}")


def _entry_line(text: str, name: str) -> int | None:
    """1-based line of the table header whose first key is `name`, else of `name = …`."""
    fallback: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER_RE.match(line)
        if header and _first_key(header.group("key")) == name:
            return number
        if (
            fallback is None
            and not header
            and "=" in line
            and _first_key(line.split("=", 1)[0]) == name
        ):
            fallback = number
    return fallback


def _first_key(key_text: str) -> str | None:
    """First component of a TOML (dotted) key, decoded by tomllib itself."""
    try:
        parsed = tomllib.loads(f"{key_text.strip()} = 0")
    except tomllib.TOMLDecodeError:
        return None
    return next(iter(parsed), None)
