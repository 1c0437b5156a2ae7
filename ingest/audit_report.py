"""What the audit log (core/audit.py) records of an ingest run: its summary, not its
report in full."""

from __future__ import annotations

from typing import Any

from ingest.report import STATUS_SV, Report

CHANGED = ("added", "changed", "metadata", "removed", "failed")
MAX_NAMED = 50  # documents named per status; a first ingest of a large folder names only counts beyond


def report_detail(report: Report) -> dict[str, Any]:
    """Counts per status, whether the index switched, its generation, the documents
    added, changed, given new metadata, removed or failed (up to MAX_NAMED of each)."""
    detail: dict[str, Any] = {STATUS_SV[s]: len(report.with_status(s)) for s in STATUS_SV}
    detail["bytt"] = report.switched
    if report.generation:
        detail["generation"] = report.generation
    for status in CHANGED:
        names = [o.doc for o in report.with_status(status)]
        if names:
            detail[f"{STATUS_SV[status]}, filer"] = names[:MAX_NAMED]
    if report.error:
        detail["fel"] = report.error
    return detail
