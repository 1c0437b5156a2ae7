"""The audit log's hash chain (core/audit.py), `python -m ingest --audit`, and retention
of the question, feedback and audit logs (core/retention.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import audit, retention
from ingest.__main__ import main as ingest_main
from tests.conftest import REPO

DAY = 86400.0
NOW = 1_800_000_000.0


def fill(data: Path, n: int = 5, start: float = NOW, step: float = 60.0) -> None:
    for i in range(n):
        audit.append(data, "upload", "samordnare@stockholm.se", role="coordinator", file=f"dok-{i}.md",
                     sha256=f"{i:064x}", detail={"bytes": i}, now=start + i * step)


def rewrite(data: Path, lines: list[str]) -> None:
    (data / audit.AUDIT_FILE).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_appended_lines_chain_and_verify(tmp_path: Path) -> None:
    assert audit.verify(tmp_path).ok and audit.verify(tmp_path).lines == 0
    fill(tmp_path, 3)
    records = audit.parse(audit.read_lines(tmp_path))
    assert [r["file"] for r in records] == ["dok-0.md", "dok-1.md", "dok-2.md"]
    assert records[0]["prev"] == "" and records[1]["prev"] == records[0]["hash"]
    assert records[0]["t"] == "2027-01-15T08:00:00Z" and records[0]["who"] == "samordnare@stockholm.se"
    verdict = audit.verify(tmp_path)
    assert verdict.ok and verdict.lines == 3 and verdict.last_hash == records[2]["hash"]
    assert verdict.swedish().startswith("Kedjan är obruten: 3 rader")


def test_an_edited_line_is_detected(tmp_path: Path) -> None:
    fill(tmp_path)
    lines = audit.read_lines(tmp_path)
    record = json.loads(lines[2])
    record["file"] = "annat.md"  # the hash is left as it was
    rewrite(tmp_path, [*lines[:2], json.dumps(record, ensure_ascii=False), *lines[3:]])
    verdict = audit.verify(tmp_path)
    assert verdict.bad_line == 3 and "ändrad" in verdict.swedish()
    # A forger who recomputes the edited line's hash breaks the next line instead.
    record["hash"] = audit.line_hash(record)
    rewrite(tmp_path, [*lines[:2], json.dumps(record, ensure_ascii=False), *lines[3:]])
    assert audit.verify(tmp_path).bad_line == 4


def test_a_deleted_or_moved_line_is_detected(tmp_path: Path) -> None:
    fill(tmp_path)
    lines = audit.read_lines(tmp_path)
    rewrite(tmp_path, [lines[0], *lines[2:]])
    verdict = audit.verify(tmp_path)
    assert verdict.bad_line == 2 and "hänger inte ihop" in verdict.swedish()
    rewrite(tmp_path, [lines[0], lines[2], lines[1], *lines[3:]])
    assert audit.verify(tmp_path).bad_line == 2
    rewrite(tmp_path, lines[1:])  # the first line gone
    assert audit.verify(tmp_path).bad_line == 1
    rewrite(tmp_path, [*lines[:3], "inte json", *lines[3:]])
    assert audit.verify(tmp_path).bad_line == 4


def test_the_cli_prints_the_log_and_checks_the_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fill(tmp_path, 3)
    assert ingest_main(["--audit", "--data", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2027-01-15T08:00:00Z · samordnare@stockholm.se (samordnare) · uppladdning · dok-0.md")
    assert out[-1].startswith("Kedjan är obruten: 3 rader")
    lines = audit.read_lines(tmp_path)
    rewrite(tmp_path, [lines[0], lines[2]])
    assert ingest_main(["--audit", "--data", str(tmp_path)]) == 1
    assert "Ändringsloggen är inte intakt: rad 2" in capsys.readouterr().err


_WRITER = """
import sys
from pathlib import Path
from core import audit
data, tag, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(n):
    audit.append(data, "metadata", tag, file=f"{tag}-{i}.md", detail={"fält": "x" * 2000})
"""


def test_two_processes_append_without_interleaving(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    n = 150
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), tag, str(n)], cwd=REPO, env=env)
             for tag in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    verdict = audit.verify(tmp_path)
    assert verdict.ok, verdict.swedish()
    assert verdict.lines == 2 * n
    files = [r["file"] for r in audit.parse(audit.read_lines(tmp_path))]
    assert sorted(files) == sorted(f"{t}-{i}.md" for t in "ab" for i in range(n))


def test_pruning_keeps_the_chain_verifiable(tmp_path: Path) -> None:
    fill(tmp_path, 6, start=NOW - 400 * DAY, step=50 * DAY)  # 400, 350, … 150 days old
    old = audit.read_lines(tmp_path)
    assert audit.prune(tmp_path, 365, now=NOW) == 1  # only the line 400 days old
    assert audit.prune(tmp_path, 365, now=NOW) == 0  # nothing more to do: the anchor stays as it is
    assert audit.prune(tmp_path, 200, now=NOW) == 3  # 350, 300, 250 days old
    lines = audit.read_lines(tmp_path)
    anchor = json.loads(lines[0])
    assert anchor["what"] == audit.PRUNED and anchor["hash"] == json.loads(old[3])["hash"]
    assert anchor["detail"]["removed"] == 3
    assert lines[1:] == old[4:]  # the lines kept are untouched
    verdict = audit.verify(tmp_path)
    assert verdict.ok and verdict.lines == 3
    audit.append(tmp_path, "restore", "lösenord", file="dok-1.md", now=NOW)
    assert audit.verify(tmp_path).ok
    # Everything old: the anchor alone carries the chain on.
    assert audit.prune(tmp_path, 1, now=NOW + 10 * DAY) == 3
    assert len(audit.read_lines(tmp_path)) == 1 and audit.verify(tmp_path).ok
    audit.append(tmp_path, "remove", "lösenord", file="dok-1.md", now=NOW + 10 * DAY)
    assert audit.verify(tmp_path).ok
    # Tampering behind an anchor is still found.
    lines = audit.read_lines(tmp_path)
    edited = json.loads(lines[1])
    edited["who"] = "någon annan"
    rewrite(tmp_path, [lines[0], json.dumps(edited, ensure_ascii=False)])
    assert audit.verify(tmp_path).bad_line == 2


def test_a_broken_log_is_not_pruned(tmp_path: Path) -> None:
    fill(tmp_path, 4, start=NOW - 400 * DAY, step=DAY)
    lines = audit.read_lines(tmp_path)
    rewrite(tmp_path, [lines[0], *lines[2:]])
    assert audit.prune(tmp_path, 30, now=NOW) == 0
    assert audit.read_lines(tmp_path) == [lines[0], *lines[2:]]  # the damage stays visible


def test_retention_prunes_question_and_feedback_logs(tmp_path: Path) -> None:
    questions = tmp_path / retention.QUESTIONS_FILE
    feedback = tmp_path / retention.FEEDBACK_FILE
    questions.write_text("".join(
        json.dumps({"t": round(NOW - age * DAY), "question": f"fråga {age}", "refused": False}) + "\n"
        for age in (400, 366, 364, 1)), encoding="utf-8")
    feedback.write_text(json.dumps({"id": "utkast-gammal", "t": round(NOW - 500 * DAY)}) + "\n"
                        + json.dumps({"id": "utkast-utan-tid"}) + "\n", encoding="utf-8")
    fill(tmp_path, 2, start=NOW - 400 * DAY)
    pruned = retention.enforce(tmp_path, 365, now=NOW)
    assert (pruned.questions, pruned.feedback, pruned.audit) == (2, 1, 2)
    kept = [json.loads(line)["question"] for line in questions.read_text(encoding="utf-8").splitlines()]
    assert kept == ["fråga 364", "fråga 1"]
    [undated] = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()]
    assert undated == {"id": "utkast-utan-tid", "t": round(NOW)}  # goes 365 days from now
    assert retention.enforce(tmp_path, 365, now=NOW + 366 * DAY).feedback == 1
    assert audit.verify(tmp_path).ok


def test_the_ingest_cli_enforces_retention(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / retention.QUESTIONS_FILE).write_text(
        json.dumps({"t": round(time.time() - 40 * DAY), "question": "gammal"}) + "\n"
        + json.dumps({"t": round(time.time()), "question": "ny"}) + "\n", encoding="utf-8")
    env = {**os.environ, "ASSISTANT_RETENTION_DAYS": "30", "ASSISTANT_DATA": str(data),
           "ASSISTANT_CORPUS": str(tmp_path / "tom"), "HF_HUB_OFFLINE": "1"}
    (tmp_path / "tom").mkdir()  # an empty corpus is enough
    result = subprocess.run([sys.executable, "-m", "ingest"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["question"] for line in
            (data / retention.QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()] == ["ny"]
    [entry] = audit.parse(audit.read_lines(data))
    assert entry["what"] == "reingest" and entry["who"] == audit.CLI_WHO
    assert "question" not in json.dumps(entry) and audit.verify(data).ok
