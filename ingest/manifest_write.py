"""Changing `sources.toml` from the UI: one document's metadata, or its whole entry.

The manifest is the coordinators' own file, with their comments and layout, so it is
edited with tomlkit (a style-preserving TOML library) rather than written anew: only
the keys that change are touched. Every change is validated by `load_manifest` itself
on a temporary copy before it replaces the file (os.replace, atomic): a wrong value
gives the same plain-Swedish `ManifestError` as an ingest would, and nothing is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from core.errors import ManifestError
from ingest.manifest import MANIFEST_NAME, load_manifest

# The keys the Dokument page edits; the others (source, excerpt, adopted, own keys) stay.
EDITABLE = ("title", "kind", "issuer", "valid_from", "valid_to", "replaced_by")
DATE_KEYS = ("valid_from", "valid_to")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TMP_PREFIX = ".sources-"  # a dot folder: the ingest never reads it


def update_entry(corpus_dir: Path, name: str, values: Mapping[str, str | None]) -> None:
    """Set the keys of `values` (of EDITABLE) in the entry of document `name`; an empty
    value removes the key. The entry is created when the document has none."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")

    def change(doc: TOMLDocument) -> None:
        key = _entry_key(doc, name)
        if key is None:
            if not any(value and value.strip() for value in values.values()):
                return  # nothing to say about it: no empty entry
            table = tomlkit.table()
            for field, value in values.items():
                if value and value.strip():
                    table[field] = _toml_value(field, value)
            doc.add(name, table)
            return
        entry = doc[key]
        with _after_last_key(entry):
            for field, value in values.items():
                if value and value.strip():
                    entry[field] = _toml_value(field, value)
                elif field in entry:
                    del entry[field]

    _edit(Path(corpus_dir), change)


def entry_toml(corpus_dir: Path, name: str) -> str | None:
    """The entry of `name` as TOML text (its header, keys and their comments; not the
    comments after its last key, which introduce the next entry), or None."""
    doc = _read(Path(corpus_dir))
    key = _entry_key(doc, name)
    if key is None:
        return None
    single = tomlkit.document()
    single.add(key, doc[key])
    copy = tomlkit.parse(tomlkit.dumps(single))  # detached from `doc`
    entry = copy[key]
    if isinstance(entry, Table):
        _trailing_trivia(entry)
    return tomlkit.dumps(copy)


def remove_entry(corpus_dir: Path, name: str) -> None:
    """Take the entry of `name` out of the manifest (nothing happens without one).
    Comments after its last key (which usually introduce the next entry) stay."""

    def change(doc: TOMLDocument) -> None:
        key = _entry_key(doc, name)
        if key is None:
            return
        entry = doc[key]
        trailing = _trailing_trivia(entry) if isinstance(entry, Table) else []
        slot = next((i for i, (_, item) in enumerate(doc.body) if item is entry), None)
        del doc[key]  # tomlkit leaves an empty item in its place in the body
        if slot is not None and trailing:
            doc.body[slot] = (None, Whitespace("".join(item.as_string() for item in trailing)))

    _edit(Path(corpus_dir), change)


def restore_entry(corpus_dir: Path, name: str, text: str) -> bool:
    """Put an entry taken out by `entry_toml` back (at the end). An entry that the
    document has meanwhile got again is kept instead; returns whether it was restored."""
    try:
        single = tomlkit.parse(text)
    except TOMLKitError:
        return False
    restored = False

    def change(doc: TOMLDocument) -> None:
        nonlocal restored
        if _entry_key(doc, name) is not None:
            return
        for key in list(single.keys()):
            doc.add(name, single[key])
            restored = True

    _edit(Path(corpus_dir), change)
    return restored


def _edit(corpus_dir: Path, change: Callable[[TOMLDocument], None]) -> None:
    """Read, change, validate and replace the manifest, one writer at a time."""
    with _manifest_lock(corpus_dir):
        doc = _read(corpus_dir)
        change(doc)
        text = tomlkit.dumps(doc)
        target = corpus_dir / MANIFEST_NAME
        folder = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=corpus_dir))
        try:
            tmp = folder / MANIFEST_NAME
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                load_manifest(folder)
            except ManifestError as err:  # named as the coordinator knows it
                raise ManifestError(str(target), err.line, err.detail) from None
            with contextlib.suppress(OSError):
                shutil.copymode(target, tmp)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _read(corpus_dir: Path) -> TOMLDocument:
    """The manifest as a tomlkit document (empty when there is none). A manifest that
    does not load gives load_manifest's own message."""
    load_manifest(corpus_dir)  # raises the plain-Swedish ManifestError
    path = corpus_dir / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return tomlkit.document()
    except OSError as exc:
        raise ManifestError(str(path), None, "filen kunde inte läsas") from exc
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:  # tomllib took it, tomlkit did not: rare
        raise ManifestError(str(path), None, "filen kunde inte läsas för att ändras") from exc


def _entry_key(doc: TOMLDocument, name: str) -> str | None:
    """The key of `name`'s entry (compared after NFC normalisation, as load_manifest does)."""
    wanted = unicodedata.normalize("NFC", name)
    return next((k for k in doc.keys() if unicodedata.normalize("NFC", k) == wanted), None)


def _toml_value(field: str, value: str) -> Any:
    """A full date becomes a TOML date; anything else stays text (load_manifest checks it)."""
    value = value.strip()
    if field in DATE_KEYS and _FULL_DATE.match(value):
        with contextlib.suppress(ValueError):
            return tomlkit.item(dt.date.fromisoformat(value))
    return value


def _trailing_trivia(table: Table) -> list[Any]:
    """Take the comments and blank lines after a table's last key out of it (tomlkit
    keeps the comment that introduces the next table there)."""
    body = table.value.body
    keyed = [i for i, (key, _) in enumerate(body) if key is not None]
    start = keyed[-1] + 1 if keyed else 0
    trailing = [item for _, item in body[start:]]
    del body[start:]
    return trailing


@contextlib.contextmanager
def _after_last_key(entry: Any) -> Iterator[None]:
    """New keys go right after the entry's last key, before the comment of the next entry."""
    trailing = _trailing_trivia(entry) if isinstance(entry, Table) else []
    try:
        yield
    finally:
        for item in trailing:
            entry.value.append(None, item)


@contextlib.contextmanager
def _manifest_lock(corpus_dir: Path) -> Iterator[None]:
    corpus_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(corpus_dir / ".sources.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
