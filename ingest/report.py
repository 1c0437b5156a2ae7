"""The report of one ingest run, and the run history (JSON lines in the data folder)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HISTORY = "ingest-history.jsonl"
STATUS_SV = {
    "added": "tillagt", "changed": "ändrat", "unchanged": "oförändrat",
    "removed": "borttaget", "failed": "fel", "metadata": "ny metadata",
}


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
                lines.append(f"  {STATUS_SV[o.status]}: {o.doc}" + "".join(f"; {n}" for n in o.notes))
        for o in self.failed:
            lines.append(f"  FEL {o.doc}: {o.reason}")
        return "\n".join(lines)


def append_history(data_dir: Path, report: Report) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")


def read_history(data_dir: Path, last: int = 20) -> list[dict[str, Any]]:
    path = data_dir / HISTORY
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[-last:]:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
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
            if o.get("status") == "failed":
                lines.append(f"  FEL {o.get('doc')}: {o.get('reason')}")
            for note in o.get("notes") or []:
                lines.append(f"  OBS {o.get('doc')}: {note}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
