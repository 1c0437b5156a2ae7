"""Detection and masking of personal data in questions: the rules live in
core/privacy.py, so that ingest can flag and mask documents with the same ones."""

from __future__ import annotations

from core.privacy import (
    WARNING_SV,
    Finding,
    MaskResult,
    contains_personal_data,
    find_personal_data,
    mask_personal_data,
    question_for_log,
    warning_for,
)

__all__ = [
    "WARNING_SV",
    "Finding",
    "MaskResult",
    "contains_personal_data",
    "find_personal_data",
    "mask_personal_data",
    "question_for_log",
    "warning_for",
]
