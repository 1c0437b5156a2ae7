"""Question statistics, off by default. When a deployment turns them on
(ASSISTANT_LOG_QUESTIONS=1) only the masked question is written, never the raw text."""

from __future__ import annotations

import json
import time
from pathlib import Path

from retrieval.privacy import question_for_log

LOG_FILE = "questions.jsonl"


def log_question(data_dir: Path, question: str, refused: bool, enabled: bool) -> bool:
    """Append the masked question; returns whether anything was written."""
    safe = question_for_log(question, enabled)
    if safe is None:
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / LOG_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"t": round(time.time()), "question": safe, "refused": refused}, ensure_ascii=False) + "\n")
    return True
