"""bench/generation.py's core (run_set, summarise, the re-check, the sample) on the default
set, with scripted language models instead of a llama.cpp server."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from core.errors import ModelUnavailableError
from core.llm import ChatMessage
from evaluation.evalset import load_eval_set
from retrieval.refusal import Calibration
from tests.scripted_model import Scripted

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    sys.path.insert(0, str(ROOT / "bench"))  # its imports: common, protocol
    try:
        spec = importlib.util.spec_from_file_location("bench_generation", ROOT / "bench" / "generation.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(ROOT / "bench"))


class EchoModel:
    """Writes back the sentences of passage [1] as the prompt tags them, then one sentence
    with no citation and one citing a passage it was not shown, in small pieces."""

    model_id = "echo"

    def stream(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Iterator[str]:
        block = messages[-1].content.split("\n\n")[0]
        tagged = re.findall(r"[^\n\]]+?\[1\]", block.split("\n", 1)[1])
        text = " ".join(s.strip() for s in tagged[:3])
        text += " Detta hittade jag på själv utan källa. Stadens budget är 99 miljarder kronor [7]."
        for i in range(0, len(text), 7):
            yield text[i:i + 7]


def test_counts_add_up_on_the_default_set(bench: ModuleType, default_searcher, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    questions = bench.sample(load_eval_set(ROOT / "eval" / "default.jsonl"), 2)
    assert [q.answerable for q in questions].count(False) == 1  # both kinds represented
    records = bench.run_set("default", questions, default_searcher, Calibration.load(), EchoModel())
    s = bench.summarise(records)
    assert s.questions == 2 == len(records)
    assert s.called + s.refused == s.questions
    assert sum(s.outcomes.values()) == s.questions
    assert s.outcomes.get("not_called", 0) == s.refused
    assert s.sentences == s.shown + sum(s.dropped.values())
    for r in records:
        assert r.sentences == r.shown + sum(r.dropped.values())
        assert (r.shown > 0) == (r.outcome == "generated")
        assert r.called == (r.first_piece_s is not None)
    answered = [r for r in records if r.called]
    assert answered, "the answerable question is not refused"
    assert s.shown >= 1  # an echoed source sentence passes
    assert s.dropped.get("no_citation", 0) >= 1 and s.dropped.get("bad_citation", 0) >= 1
    assert s.recheck_failed == 0
    lines = bench.table({"default": s, "pooled": bench.summarise(records)})
    assert any(line.startswith("sentences shown") for line in lines)
    bench.write_json(tmp_path / "out.json", {"default": records}, "echo", "http://127.0.0.1:1/v1", 2)
    out = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in out["records"]] == [q.id for q in questions]
    assert "question" not in out["records"][0]  # ids only, no question text
    assert out["pooled"]["shown"] == out["sets"]["default"]["shown"] == s.shown


def test_a_model_that_fails_midway_falls_back(bench: ModuleType, default_searcher) -> None:  # type: ignore[no-untyped-def]
    questions = [q for q in load_eval_set(ROOT / "eval" / "default.jsonl") if q.answerable][:1]
    broken = Scripted(["Kommunstyrelsen "], fail=ModelUnavailableError("connection lost"))
    records = bench.run_set("default", questions, default_searcher, Calibration.load(), broken)
    s = bench.summarise(records)
    assert s.outcomes == {"model_error": 1} and s.shown == 0 and s.recheck_failed == 0
    assert records[0].error == "ModelUnavailableError"


def test_the_sample_is_even_and_keeps_both_kinds(bench: ModuleType) -> None:
    questions = load_eval_set(ROOT / "eval" / "default.jsonl")
    picked = bench.sample(questions, 10)
    assert picked == bench.sample(questions, 10) and len(picked) == 10
    assert len({q.id for q in picked}) == 10
    assert any(q.answerable for q in picked) and any(not q.answerable for q in picked)
    order = [questions.index(q) for q in picked]
    assert order == sorted(order)
    assert bench.sample(questions, 100) == list(questions)
