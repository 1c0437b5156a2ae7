"""Retention: the question and feedback logs (written only with ASSISTANT_LOG_QUESTIONS=1)
and the audit log keep ASSISTANT_RETENTION_DAYS days.

`enforce` runs at the start of the app (and once a day in it: ui/retention.py) and at
every `python -m ingest`. Lines are appended and pruned under an exclusive flock on a
lock file beside the log, so a line written while a log is pruned is never lost. A line
without a time (feedback written before lines had one) is given the time of the first
pruning that sees it, so it goes `days` days later.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from core import audit, jsonl

QUESTIONS_FILE = "questions.jsonl"
FEEDBACK_FILE = "feedback.jsonl"
DAY = 86400.0


@dataclass(frozen=True)
class Pruned:
    questions: int = 0
    feedback: int = 0
    audit: int = 0

    @property
    def total(self) -> int:
        return self.questions + self.feedback + self.audit


def _lock(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def append_jsonl(path: Path, data: bytes) -> None:
    """Append whole lines with one write, under the file's lock."""
    with jsonl.locked(_lock(path)):
        jsonl.append_bytes(path, data)


def prune_jsonl(path: Path, days: int, now: float | None = None) -> int:
    """Remove the lines whose `t` (Unix seconds) is older than `days` days; returns how
    many. A line without a time is stamped with `now` and kept; a line that is not a JSON
    object (a torn write) is dropped."""
    if not path.is_file():
        return 0
    now = time.time() if now is None else now
    cutoff = now - days * DAY
    with jsonl.locked(_lock(path)):
        kept: list[str] = []
        removed = 0
        stamped = False
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if not isinstance(record, dict):
                continue  # not ours to keep: a broken line carries nothing usable
            stamp = record.get("t")
            if not isinstance(stamp, (int, float)):
                record["t"] = round(now)
                line = json.dumps(record, ensure_ascii=False)
                stamped = True
            elif stamp < cutoff:
                removed += 1
                continue
            kept.append(line)
        if not removed and not stamped:
            return 0
        jsonl.replace_lines(path, kept)
    return removed


def enforce(data_dir: Path, days: int, now: float | None = None) -> Pruned:
    """Prune the data folder's question, feedback and audit logs to `days` days. A
    pruning of the audit log is itself recorded in it (the anchor line)."""
    data_dir = Path(data_dir)
    return Pruned(
        questions=prune_jsonl(data_dir / QUESTIONS_FILE, days, now),
        feedback=prune_jsonl(data_dir / FEEDBACK_FILE, days, now),
        audit=audit.prune(data_dir, days, now),
    )
