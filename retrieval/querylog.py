"""Question statistics, off by default. When a deployment turns them on
(ASSISTANT_LOG_QUESTIONS=1) only the masked question is written, never the raw text, and
with it the sentences a language model wrote that were shown (masked too). Off, nothing
of the question or the model's answer is stored anywhere."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

from core.privacy import mask_personal_data, question_for_log
from core.retention import QUESTIONS_FILE, append_jsonl

LOG_FILE = QUESTIONS_FILE  # kept ASSISTANT_RETENTION_DAYS days (core/retention.py)


def log_question(data_dir: Path, question: str, refused: bool, enabled: bool,
                 generated: Sequence[str] = ()) -> bool:
    """Append the masked question (and the generated sentences shown); returns whether
    anything was written."""
    safe = question_for_log(question, enabled)
    if safe is None:
        return False
    record: dict[str, object] = {"t": round(time.time()), "question": safe, "refused": refused}
    if generated:
        record["generated"] = [mask_personal_data(s).text for s in generated]
    data_dir.mkdir(parents=True, exist_ok=True)
    append_jsonl(data_dir / LOG_FILE, (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    return True
