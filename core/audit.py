"""The audit trail: who changed the documents and who logged in, in `audit.jsonl` in the
data folder.

One JSON object a line: `t` (UTC, ISO 8601), `who` (the OIDC e-mail, "lösenord" for a
shared password, "kommandorad" for the CLI), `role`, `what` (an action code, ACTIONS_SV),
optionally `file`, `sha256` (of the file's content) and `detail` (counts, field names,
never question text), then `prev` (the previous line's hash) and `hash`:

    hash = sha256(prev + "\\n" + the line's JSON without "hash", keys sorted)

so an edited line no longer matches its hash, and a deleted or moved line breaks the
`prev` of the line after it. The first line has `prev` "" or is a pruning anchor (see
`prune`): a line with `what` "pruned" whose `hash` is the hash of the last line removed,
so the lines kept still verify. Deleting lines at the end is only detectable against a
hash noted elsewhere: `python -m ingest --audit` prints the last one.

Appends take an exclusive flock on `audit.lock` (read the last hash, write one line with
one os.write on an O_APPEND descriptor), so two processes never interleave or fork the
chain. Plain functions; no Streamlit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import jsonl

AUDIT_FILE = "audit.jsonl"
LOCK_FILE = "audit.lock"
PRUNED = "pruned"
PASSWORD_WHO = "lösenord"
CLI_WHO = "kommandorad"
SYSTEM_WHO = "systemet"

# Action code -> what the Dokument page and `--audit` call it.
ACTIONS_SV = {
    "login": "inloggning",
    "login_failed": "misslyckad inloggning",
    "upload": "uppladdning",
    "replace": "ersatt fil",
    "upload_refused": "uppladdning nekad",
    "metadata": "uppgifter ändrade",
    "remove": "borttagen till papperskorgen",
    "restore": "återställd ur papperskorgen",
    "empty_trash": "papperskorgen tömd",
    "purge_trash": "papperskorgen gallrad",
    "reingest": "indexet uppdaterat",
    PRUNED: "gallrat",
}
ROLES_SV = {"coordinator": "samordnare", "tester": "testare"}


@dataclass(frozen=True)
class Verdict:
    """The result of checking the chain: `bad_line` is the 1-based number of the first
    line that does not verify (None when the chain is whole)."""

    lines: int
    last_hash: str
    bad_line: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_line is None

    def swedish(self) -> str:
        if self.ok:
            if not self.lines:
                return "Ändringsloggen är tom."
            return f"Kedjan är obruten: {self.lines} rader, senaste hash {self.last_hash[:16]}."
        return f"Ändringsloggen är inte intakt: rad {self.bad_line} {self.reason}."


def audit_path(data_dir: Path) -> Path:
    return Path(data_dir) / AUDIT_FILE


def file_sha256(path: Path) -> str | None:
    """The content hash of a file, or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def line_hash(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((str(record.get("prev", "")) + "\n" + canonical).encode("utf-8")).hexdigest()


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_time(record: Mapping[str, Any]) -> float | None:
    """A line's time as a Unix timestamp, None when it has none."""
    raw = record.get("t")
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _last_hash(path: Path) -> str:
    """The `hash` of the file's last line ("" for a missing or empty file)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            chunk = b""
            pos = size
            while pos > 0 and chunk.count(b"\n") < 2:
                step = min(4096, pos)
                pos -= step
                fh.seek(pos)
                chunk = fh.read(step) + chunk
    except FileNotFoundError:
        return ""
    lines = [line for line in chunk.split(b"\n") if line.strip()]
    if not lines:
        return ""
    try:
        return str(json.loads(lines[-1]).get("hash") or "")
    except (json.JSONDecodeError, AttributeError):
        return ""  # a broken last line: the chain check reports it


def append(data_dir: Path, what: str, who: str | None, *, role: str | None = None, file: str | None = None,
           sha256: str | None = None, detail: Mapping[str, Any] | None = None,
           now: float | None = None) -> dict[str, Any]:
    """Append one line to the audit log and return it."""
    data_dir = Path(data_dir)
    record: dict[str, Any] = {"t": _iso(time.time() if now is None else now), "who": who or SYSTEM_WHO,
                              "what": what}
    if role:
        record["role"] = role
    if file is not None:
        record["file"] = file
    if sha256:
        record["sha256"] = sha256
    if detail:
        record["detail"] = dict(detail)
    path = audit_path(data_dir)
    with jsonl.locked(data_dir / LOCK_FILE):
        record["prev"] = _last_hash(path)
        record["hash"] = line_hash(record)
        jsonl.append_bytes(path, (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"), sync=True)
    return record


def read_lines(data_dir: Path) -> list[str]:
    try:
        return audit_path(data_dir).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []


def parse(lines: list[str]) -> list[dict[str, Any]]:
    """The records of the lines that are JSON objects (for display)."""
    records = []
    for line in lines:
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(line)
            if isinstance(value, dict):
                records.append(value)
    return records


def verify_lines(lines: list[str]) -> Verdict:
    expected = ""
    count = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            return Verdict(count, expected, number, "är tom")
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return Verdict(count, expected, number, "är inte giltig JSON")
        if not isinstance(record, dict) or not isinstance(record.get("hash"), str):
            return Verdict(count, expected, number, "saknar sin hash")
        if record.get("what") == PRUNED and number == 1:
            expected = record["hash"]  # stands for the lines pruned before it
            count += 1
            continue
        if record.get("prev") != expected:
            return Verdict(count, expected, number,
                           "hänger inte ihop med raden före (en rad före den är borttagen, ändrad eller flyttad)")
        if line_hash(record) != record["hash"]:
            return Verdict(count, expected, number, "är ändrad (hashen stämmer inte)")
        expected = record["hash"]
        count += 1
    return Verdict(count, expected)


def verify(data_dir: Path) -> Verdict:
    """Check the chain of the data folder's audit log."""
    return verify_lines(read_lines(data_dir))


def prune(data_dir: Path, days: int, now: float | None = None) -> int:
    """Remove the lines older than `days` days; the first line kept is preceded by an
    anchor carrying the hash of the last line removed, so the chain still verifies.
    Returns how many lines were removed. A log whose chain is broken is left as it is
    (pruning must not hide the damage)."""
    data_dir = Path(data_dir)
    path = audit_path(data_dir)
    if not path.is_file():
        return 0
    now = time.time() if now is None else now
    cutoff = now - days * 86400.0
    with jsonl.locked(data_dir / LOCK_FILE):
        lines = read_lines(data_dir)
        if not verify_lines(lines).ok:
            return 0
        records = [json.loads(line) for line in lines]
        anchored = 1 if records and records[0].get("what") == PRUNED else 0
        old = anchored  # an earlier anchor goes with the lines it precedes
        for record in records[anchored:]:
            stamp = record_time(record)
            if stamp is None or stamp >= cutoff:
                break
            old += 1
        removed = old - anchored
        if removed <= 0:
            return 0
        last = records[old - 1]
        anchor = {"t": _iso(now), "who": SYSTEM_WHO, "what": PRUNED,
                  "detail": {"removed": removed, "before": _iso(cutoff), "through": last.get("t")},
                  "prev": "", "hash": last["hash"]}
        jsonl.replace_lines(path, [json.dumps(anchor, ensure_ascii=False), *lines[old:]])
    return removed


def describe(record: Mapping[str, Any]) -> str:
    """One line of the log in Swedish, for `python -m ingest --audit`."""
    what = ACTIONS_SV.get(str(record.get("what")), str(record.get("what")))
    role = ROLES_SV.get(str(record.get("role")), "")
    parts = [str(record.get("t", "")), str(record.get("who", "")) + (f" ({role})" if role else ""), what]
    if record.get("file") is not None:
        parts.append(str(record["file"]).encode("unicode_escape").decode("ascii")
                     if not str(record["file"]).isprintable() else str(record["file"]))
    if record.get("sha256"):
        parts.append(f"sha256 {str(record['sha256'])[:16]}")
    detail = record.get("detail")
    if isinstance(detail, Mapping) and detail:
        parts.append(", ".join(f"{k}: {v}" for k, v in detail.items()))
    return " · ".join(parts)
