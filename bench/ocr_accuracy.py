"""OCR accuracy and time per page on scans made from real Swedish text: the opening of
a few corpus documents drawn as A4 pages (DejaVu Sans 11 pt), embedded as image-only
PDFs and read through ingest/ocr.py. Variants: a clean 200 dpi scan, and an office scan
(150 dpi, turned 0.8°, grey paper, blur and speckle noise). Reports the character error
rate (edit distance / characters, whitespace made single) and seconds per page.

    PYTHONPATH=. .venv/bin/python bench/ocr_accuracy.py [--corpus DIR] [--docs 3]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from ingest import ocr
from tests.pdfs import cer, image_pdf, scanned_page

CHARS = 1400  # about 20 lines: a page's worth


def page_text(path: Path) -> str:
    """The document's opening as plain text (Markdown marks out)."""
    text = re.sub(r"[#*_>|`\[\]]", "", path.read_text(encoding="utf-8"))
    text = re.sub(r"\(https?://\S+\)", "", text)
    words = " ".join(text.split())[:CHARS]
    return words.rsplit(" ", 1)[0]


def office_scan(image: Image.Image, seed: int) -> Image.Image:
    rng = random.Random(seed)
    image = image.rotate(0.8, fillcolor=255, resample=Image.Resampling.BICUBIC)
    image = image.filter(ImageFilter.GaussianBlur(0.6)).point(lambda v: int(30 + v * 0.82))  # grey paper
    noise = Image.effect_noise(image.size, 18)
    image = Image.blend(image, noise, 0.12)
    pen = ImageDraw.Draw(image)
    for _ in range(300):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        pen.point((x, y), fill=60)
    return image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="../shared/corpus")
    parser.add_argument("--docs", type=int, default=3)
    args = parser.parse_args()
    if not ocr.available("tesseract"):
        raise SystemExit("Tesseract with Swedish data is not installed")
    docs = sorted(Path(args.corpus).glob("*.md"))
    picked = [docs[i * len(docs) // args.docs] for i in range(args.docs)]
    for variant in ("clean 200 dpi", "office scan 150 dpi"):
        rates, seconds = [], []
        for n, path in enumerate(picked):
            truth = page_text(path)
            clean = variant.startswith("clean")
            image = scanned_page(truth, 200) if clean else office_scan(scanned_page(truth, 150), n)
            job = ocr.OcrJob()
            started = time.monotonic()
            text = ocr.ocr_pdf_pages(image_pdf([image]), [0], job).get(0, "")
            seconds.append(time.monotonic() - started)
            rates.append(cer(truth, text))
            print(f"  {variant}: {path.name[:50]}: CER {rates[-1]:.4f}, {seconds[-1]:.1f} s, {len(truth)} chars")
        print(f"{variant}: mean CER {sum(rates) / len(rates):.4f}, mean {sum(seconds) / len(seconds):.1f} s/page "
              f"over {len(rates)} pages")


if __name__ == "__main__":
    main()
