"""python -m ingest [CORPUS_DIR] [--data DIR] [--history]

Exit codes: 0 all documents ingested; 1 some documents failed (the rest were
ingested); 2 nothing changed because of an error (malformed sources.toml, bad
settings); 3 another ingest is running; 4 the store could not be reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
from ingest.pipeline import OnPhase, run_ingest
from ingest.report import history_sv, read_history


def _progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction * 100:5.1f} %] {message[:70]:<70}", end="", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None, on_phase: OnPhase | None = None) -> int:
    """`on_phase` is passed on to run_ingest (a crash test pauses the run there)."""
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Läs in dokument i indexet.")
    parser.add_argument("corpus", nargs="?",
                        help="mappen med dokument (standard: ASSISTANT_CORPUS eller ./corpus)")
    parser.add_argument("--data", help="datamappen (standard: ASSISTANT_DATA eller ./data)")
    parser.add_argument("--history", action="store_true", help="visa tidigare körningar")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.corpus:
            settings = settings.with_corpus(args.corpus)
        if args.data:
            settings = settings.with_data(args.data)
        if args.history:
            print(history_sv(read_history(settings.data_dir)))
            return 0
        if not Path(settings.corpus_dir).is_dir():
            raise ConfigError(f"mappen {settings.corpus_dir} finns inte")
        report = run_ingest(settings, make_embedder(settings), open_client(settings), _progress, on_phase)
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
