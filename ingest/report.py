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
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")


def read_history(data_dir: Path, last: int = 20) -> list[dict[str, Any]]:
    """The last runs, oldest first. A run writes a line when it switches and another when
    it ends (ingest/pipeline.py): the later line of a run replaces the earlier, so a run
    killed after its switch is still there."""
    path = data_dir / HISTORY
    if not path.exists():
        return []
    rows: dict[str, dict[str, Any]] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()[-2 * last:]):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
        if isinstance(row, dict):
            rows.pop(str(row.get("run_id") or i), None)
            rows[str(row.get("run_id") or i)] = row
    return list(rows.values())[-last:]


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
