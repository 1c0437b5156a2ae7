"""python -m ingest [CORPUS_DIR] [--data DIR] [--history] [--audit]
python -m ingest --prune-chroma CHROMA_DIR [--min-age SECONDS] [--every SECONDS]

Exit codes: 0 all documents ingested; 1 some documents failed (the rest were
ingested); 2 nothing changed because of an error (malformed sources.toml, bad
settings); 3 another ingest is running; 4 the store could not be reached.
With --audit: 0 the audit log's chain is whole, 1 it is broken (the message names the
first bad line).
With --prune-chroma (on a Chroma server's host, while it runs): remove the vector
folders of deleted collections from the server's `--path` (core/chroma_disk.py);
with --every, again every that many seconds until stopped.

Every run prunes the question, feedback and audit logs to ASSISTANT_RETENTION_DAYS
(core/retention.py) and records itself in the audit log.

An ingest lowers its own CPU priority by ASSISTANT_INGEST_NICE (default 10) before it
starts a thread, so questions asked on the same machine meanwhile go first (the
embedding engine's threads inherit it); on an otherwise idle machine it runs as fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from core import audit, retention
from core.chroma_disk import prune_segment_folders
from core.embedders import make_embedder
from core.errors import (
    AssistantError,
    ConfigError,
    IngestBusyError,
    ManifestError,
    StoreUnavailableError,
)
from core.settings import load_settings
from core.store import open_client
from ingest.audit_report import report_detail
from ingest.pipeline import OnPhase, run_ingest
from ingest.report import history_sv, read_history


def _progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction * 100:5.1f} %] {message[:70]:<70}", end="", file=sys.stderr, flush=True)


def lower_priority(step: int) -> int:
    """Lower this process's CPU priority by `step` (0: leave it); the niceness after.
    On Linux a thread's niceness is its own (inherited by the threads it starts), so
    every thread already running (numpy's, from the imports) is lowered as well."""
    try:
        after = os.nice(step)
    except OSError:  # not allowed here: run as it is
        return os.nice(0)
    tasks = Path("/proc/self/task")
    if step and tasks.is_dir():
        for task in tasks.iterdir():
            try:
                tid = int(task.name)
                os.setpriority(os.PRIO_PROCESS, tid, max(after, os.getpriority(os.PRIO_PROCESS, tid)))
            except (OSError, ValueError):  # ended meanwhile, or not ours to change
                continue
    return after


def print_audit(data_dir: Path) -> int:
    """Every line of the audit log in Swedish, then the chain check; 1 when broken."""
    lines = audit.read_lines(data_dir)
    for entry in audit.parse(lines):
        print(audit.describe(entry))
    verdict = audit.verify_lines(lines)
    print(verdict.swedish(), file=sys.stdout if verdict.ok else sys.stderr)
    return 0 if verdict.ok else 1


PRUNE_MIN_AGE = 600.0  # seconds: a folder younger than this is never removed


def prune_chroma(chroma_dir: Path, min_age: float, every: float | None) -> int:
    """Prune a Chroma data folder once, or every `every` seconds until interrupted."""
    if every is None and not (chroma_dir / "chroma.sqlite3").is_file():
        print(f"Fel: {chroma_dir} är ingen Chroma-mapp (chroma.sqlite3 saknas).", file=sys.stderr)
        return 2
    while True:  # with --every, a folder the server has not created yet is simply empty
        pruned = prune_segment_folders(chroma_dir, min_age=min_age)
        if pruned.removed or every is None:
            print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} Tog bort {len(pruned.removed)} mappar som ingen "
                  f"samling använder längre ({pruned.freed_bytes / 1e6:.1f} MB).", flush=True)
        if every is None:
            return 0
        try:
            time.sleep(every)
        except KeyboardInterrupt:
            return 0


def main(argv: list[str] | None = None, on_phase: OnPhase | None = None) -> int:
    """`on_phase` is passed on to run_ingest (a crash test pauses the run there)."""
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Läs in dokument i indexet.")
    parser.add_argument("corpus", nargs="?",
                        help="mappen med dokument (standard: ASSISTANT_CORPUS eller ./corpus)")
    parser.add_argument("--data", help="datamappen (standard: ASSISTANT_DATA eller ./data)")
    parser.add_argument("--history", action="store_true", help="visa tidigare körningar")
    parser.add_argument("--audit", action="store_true",
                        help="visa ändringsloggen och kontrollera att ingen rad är ändrad eller borttagen")
    parser.add_argument("--prune-chroma", metavar="CHROMA_DIR",
                        help="ta bort mappar för borttagna samlingar ur en Chroma-servers datamapp (--path)")
    parser.add_argument("--min-age", type=float, default=PRUNE_MIN_AGE, metavar="SEKUNDER",
                        help=f"med --prune-chroma: rör inga mappar yngre än så (standard {PRUNE_MIN_AGE:.0f})")
    parser.add_argument("--every", type=float, metavar="SEKUNDER",
                        help="med --prune-chroma: gör om det med så många sekunders mellanrum")
    args = parser.parse_args(argv)
    if args.prune_chroma:
        return prune_chroma(Path(args.prune_chroma), args.min_age, args.every)
    try:
        settings = load_settings()
        if args.corpus:
            settings = settings.with_corpus(args.corpus)
        if args.data:
            settings = settings.with_data(args.data)
        if args.history:
            print(history_sv(read_history(settings.data_dir)))
            return 0
        if args.audit:
            return print_audit(Path(settings.data_dir))
        if not Path(settings.corpus_dir).is_dir():
            raise ConfigError(f"mappen {settings.corpus_dir} finns inte")
        if __name__ == "__main__":  # as a program only: a caller of main() keeps its own priority
            lower_priority(settings.ingest_nice)
        retention.enforce(Path(settings.data_dir), settings.retention_days)
        report = run_ingest(settings, make_embedder(settings), open_client(settings), _progress, on_phase)
        audit.append(Path(settings.data_dir), "reingest", audit.CLI_WHO, detail=report_detail(report))
    except (ManifestError, ConfigError) as err:
        print(f"\nFel: {err.swedish_message()}", file=sys.stderr)
        return 2
    except IngestBusyError as err:
        print(f"\n{err.swedish_message()}", file=sys.stderr)
        return 3
    except StoreUnavailableError as err:
        print(f"\n{err.swedish_message()}", file=sys.stderr)
        return 4
    except AssistantError as err:
        print(f"\nFel: {err.swedish_message()}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    print(report.summary_sv())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
