"""The report of one ingest run, and the run history (JSON lines in the data folder)."""

from __future__ import annotations

import json
import os
import time
import unicodedata
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HISTORY = "ingest-history.jsonl"
# The history keeps the last HISTORY_KEEP runs: rewritten to them when it holds
# HISTORY_SLACK more (so not on every run). About 10 kB a run for 65 documents, so at most
# about 2.5 MB. The lasting record of each re-ingest is the audit log's (core/audit.py,
# kept ASSISTANT_RETENTION_DAYS); the history's per-document detail is for the recent runs.
HISTORY_KEEP = 200
HISTORY_SLACK = 50
# The report of a run that has switched, until its line is in the history: a run killed
# after its switch is recorded from it (by the next run, and by read_history meanwhile).
SWITCHED = "ingest-switched.json"
STATUS_SV = {
    "added": "tillagt", "changed": "ändrat", "unchanged": "oförändrat",
    "removed": "borttaget", "failed": "fel", "metadata": "ny metadata",
}


def shown_name(name: str) -> str:
    """A file name as text that fits on one line: bytes that are not UTF-8 (Python keeps
    them as surrogates) as \\xff, control characters such as a newline as \\n or \\x1b."""
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        name = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) in ("Cc", "Cs")
                   else ch for ch in name)


def is_utf8_name(name: str) -> bool:
    return not any("\udc80" <= ch <= "\udcff" for ch in name)


@dataclass
class DocOutcome:
    doc: str
    status: str  # added, changed, unchanged, metadata, removed, failed
    chunks: int = 0
    reason: str | None = None  # plain Swedish, for failed documents
    notes: list[str] = field(default_factory=list)  # plain Swedish: pages of a read document left out


@dataclass
class Report:
    started: float
    finished: float = 0.0
    outcomes: list[DocOutcome] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    statements_embedded: int = 0  # statements embedded for English quotes (core/statement_vectors.py)
    generation: str | None = None
    switched: bool = False
    rebuilt: bool = False  # another model or chunk size: every document was embedded again
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # plain Swedish: e.g. a sources.toml entry without a file
    # The documents that hold personal identity numbers: name -> how many (never the numbers).
    personal_numbers: dict[str, int] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # a run's later line replaces its earlier

    @property
    def seconds(self) -> float:
        return max(0.0, self.finished - self.started)

    def with_status(self, status: str) -> list[DocOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[DocOutcome]:
        return self.with_status("failed")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["counts"] = {s: len(self.with_status(s)) for s in STATUS_SV}
        return data

    def summary_sv(self) -> str:
        counts = ", ".join(f"{len(self.with_status(s))} {STATUS_SV[s]}" for s in STATUS_SV)
        lines = [
            f"Inläsning klar på {_seconds_sv(self.seconds)}: {counts}.",
            f"Avsnitt i indexet: {self.chunks_total} (varav {self.chunks_embedded} nyberäknade).",
        ]
        if self.statements_embedded:
            lines.append(f"Meningar som kan citeras i svar på engelska frågor: {self.statements_embedded} nyberäknade.")
        if self.rebuilt:
            lines.append("Indexet byggdes om (ny modell eller ny avsnittsstorlek).")
        if not self.switched:
            lines.append("Indexet var redan aktuellt; inget byttes ut." if not self.error else self.error)
        for o in self.outcomes:
            if o.status in ("added", "changed", "removed", "metadata"):
                lines.append(f"  {STATUS_SV[o.status]}: {shown_name(o.doc)}" + "".join(f"; {n}" for n in o.notes))
        for o in self.failed:
            lines.append(f"  FEL {shown_name(o.doc)}: {o.reason}")
        lines += [f"  VARNING: {w}" for w in self.warnings]
        lines += personal_numbers_sv(self.personal_numbers)
        return "\n".join(lines)


def personal_numbers_sv(counts: dict[str, int]) -> list[str]:
    """Report lines for the documents holding personal identity numbers (never the numbers)."""
    return [f"  PERSONNUMMER i {shown_name(doc)}: {n} st; kontrollera att de får visas för alla användare"
            for doc, n in sorted(counts.items())]


def append_history(data_dir: Path, report: Report) -> None:
    _append_line(data_dir, report.to_dict())
    (data_dir / SWITCHED).unlink(missing_ok=True)


def _append_line(data_dir: Path, row: dict[str, Any]) -> None:
    """Append a run's line (under the ingest lock: one writer), then rotate."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    rotate_history(data_dir)


def rotate_history(data_dir: Path, keep: int = HISTORY_KEEP, slack: int = HISTORY_SLACK) -> int:
    """Keep the last `keep` lines once there are `keep + slack`; returns how many went.
    Atomic: readers see the old file or the new one."""
    path = data_dir / HISTORY
    try:
        lines = path.read_bytes().splitlines(keepends=True)
    except OSError:
        return 0
    if len(lines) < keep + slack:
        return 0
    tmp = path.with_name(f"{HISTORY}.tmp")
    tmp.write_bytes(b"".join(lines[-keep:]))
    os.replace(tmp, path)
    return len(lines) - keep


KILLED_AFTER_SWITCH = "inläsningen avbröts efter bytet till det nya indexet"


def note_switch(data_dir: Path, report: Report) -> None:
    """Keep the report of a run that has just switched, as it would read if the run were
    killed now; append_history removes it."""
    report.finished = time.time()  # set again when the run ends
    row = {**report.to_dict(), "error": KILLED_AFTER_SWITCH}
    tmp = data_dir / f"{SWITCHED}.tmp"
    tmp.write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, data_dir / SWITCHED)


def _switched_row(data_dir: Path) -> dict[str, Any] | None:
    try:
        row = json.loads((data_dir / SWITCHED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) else None


def settle_switched(data_dir: Path) -> None:
    """Append the line of a run killed after its switch (called under the ingest lock)."""
    row = _switched_row(data_dir)
    if row is not None and not any(r.get("run_id") == row.get("run_id") for r in _rows(data_dir, 5)):
        _append_line(data_dir, row)
    (data_dir / SWITCHED).unlink(missing_ok=True)


def _rows(data_dir: Path, last: int) -> list[dict[str, Any]]:
    path = data_dir / HISTORY
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[-last:]:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
        if isinstance(row, dict):
            rows.append(row)
    return rows


def read_history(data_dir: Path, last: int = 20) -> list[dict[str, Any]]:
    """The last runs, oldest first, with a run killed after its switch that no run has
    recorded yet."""
    rows = _rows(data_dir, last)
    pending = _switched_row(data_dir)
    if pending is not None and not any(r.get("run_id") == pending.get("run_id") for r in rows):
        rows = [*rows, pending][-last:]
    return rows


MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")


def _when_sv(timestamp: float) -> str:
    """Local time as Swedish text: "3 juni 2025 kl. 14.05"."""
    t = time.localtime(timestamp)
    return f"{t.tm_mday} {MONTHS_SV[t.tm_mon - 1]} {t.tm_year} kl. {t.tm_hour:02d}.{t.tm_min:02d}"


def _seconds_sv(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".", ",")
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def history_sv(rows: list[dict[str, Any]]) -> str:
    """The run history (oldest first) as readable Swedish, one block per run."""
    if not rows:
        return "Inga tidigare inläsningar."
    blocks = []
    for row in rows:
        counts = row.get("counts") or {}
        parts = [f"{n} {STATUS_SV.get(s, s)}" for s, n in counts.items() if n]
        head = f"{_when_sv(float(row.get('started', 0)))} ({_seconds_sv(float(row.get('seconds', 0)))})"
        lines = [head]
        if row.get("error"):
            lines.append(f"  Avbröts: {row['error']}"
                         + (" (det nya indexet hann tas i bruk)" if row.get("switched") else ""))
        else:
            lines.append(f"  Dokument: {', '.join(parts) if parts else 'inga'}.")
            lines.append(f"  Avsnitt i indexet: {row.get('chunks_total', 0)}"
                         f" (varav {row.get('chunks_embedded', 0)} nyberäknade)."
                         + ("" if row.get("switched") else " Indexet byttes inte ut."))
        for o in row.get("outcomes") or []:
            doc = shown_name(str(o.get("doc")))
            if o.get("status") == "failed":
                lines.append(f"  FEL {doc}: {o.get('reason')}")
            for note in o.get("notes") or []:
                lines.append(f"  OBS {doc}: {note}")
        lines += [f"  VARNING: {w}" for w in row.get("warnings") or []]
        lines += personal_numbers_sv(row.get("personal_numbers") or {})
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
