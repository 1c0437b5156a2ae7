"""The report of one ingest run, and the run history (JSON lines in the data folder)."""

from __future__ import annotations

import json
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


@dataclass
class Report:
    started: float
    finished: float = 0.0
    outcomes: list[DocOutcome] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    generation: str | None = None
    switched: bool = False
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
            f"Inläsning klar på {self.seconds:.1f} s: {counts}.",
            f"Avsnitt i indexet: {self.chunks_total} (varav {self.chunks_embedded} nyberäknade).",
        ]
        if not self.switched:
            lines.append("Indexet var redan aktuellt; inget byttes ut." if not self.error else self.error)
        for o in self.outcomes:
            if o.status in ("added", "changed", "removed", "metadata"):
                lines.append(f"  {STATUS_SV[o.status]}: {o.doc}")
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
