"""The page "Utvärdering": testers run an evaluation set against the current index.

Pick a shipped set (eval/default.jsonl; eval/shared.jsonl only when its documents are
in the index) or upload one (JSON Lines, the format of evaluation/evalset.py), choose the
configurations (hybrid, dense, bm25), run with a progress bar, read the metrics per
configuration and question type and every failed question with what came back instead,
and download the report: the same JSON as `python -m evaluation --json`.

This file is a file-based page (app.py: st.Page("ui/evaluation.py", ...)) so that
AppTest.switch_page can open it; Streamlit executes it with __name__ == "__main__".
Importing it (ui.evaluation) only defines the functions.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from core.errors import AssistantError
from core.settings import ROOT
from core.store import LiveState
from core.wording import chunk_citation
from evaluation.evalset import EvalQuestion, EvalSetError, check_phrases, collapse, load_eval_set
from evaluation.evaluate import CONFIGS, EvalRun, Failure, failures, report_json, retrieval_only_note, run_eval
from retrieval.filters import NO_FILTER, DocFilter
from ui.auth import EVALUATORS, any_login_configured, login_panel, may_evaluate
from ui.filters import filter_controls
from ui.render import literal
from ui.resources import Resources, ready

EVAL_DIR = ROOT / "eval"
K = 10  # passages per question, as `python -m evaluation` (--k 10)
FAILURE_PASSAGES = 5
PREVIEW_CHARS = 220


@dataclass(frozen=True)
class Shipped:
    key: str
    label: str
    path: Path


SHIPPED = (
    Shipped("default", "Standardmängden – strategin för romsk inkludering (eval/default.jsonl)",
            EVAL_DIR / "default.jsonl"),
    Shipped("shared", "Gemensamma korpusen (eval/shared.jsonl)", EVAL_DIR / "shared.jsonl"),
    Shipped("followups-default", "Uppföljningsfrågor – strategin för romsk inkludering (eval/followups-default.jsonl)",
            EVAL_DIR / "followups-default.jsonl"),
    Shipped("followups", "Uppföljningsfrågor – gemensamma korpusen (eval/followups.jsonl)",
            EVAL_DIR / "followups.jsonl"),
)
CONFIG_LABELS = {
    "hybrid": "hybrid – vektorer och BM25 (som chatten)",
    "hybrid-rrf": "hybrid-rrf – vektorer och BM25 med rangfusion",
    "dense": "dense – bara vektorer",
    "bm25": "bm25 – bara ordmatchning",
}
SOURCE_SHIPPED = "Medföljande mängd"
SOURCE_UPLOAD = "Egen fil"
RUN_LABEL = "Kör utvärderingen"

# Metric -> (column label, explanation). Retrieval metrics are over answerable questions.
METRIC_COLUMNS: dict[str, tuple[str, str]] = {
    "hit@1": ("Träff@1", "Hit@1: andel besvarbara frågor med en relevant passage överst"),
    "hit@3": ("Träff@3", "Hit@3: andel besvarbara frågor med en relevant passage bland de 3 första"),
    "hit@5": ("Träff@5", "Hit@5: andel besvarbara frågor med en relevant passage bland de 5 första"),
    "recall@5": ("Täckning@5", "Recall@5: andel av de relevanta fraserna som finns bland de 5 första"),
    "mrr@10": ("MRR@10", "Medelvärdet av 1/rang för den första relevanta passagen (0 efter rang 10)"),
    "ndcg@10": ("nDCG@10", "Rangviktad träff bland de 10 första, 1 = alla relevanta överst"),
    "refusal_rate": ("Vägran", "Andel obesvarbara frågor som assistenten vägrade svara på (högre är bättre)"),
    "false_refusal_rate": ("Felvägran", "Andel besvarbara frågor som assistenten vägrade svara på (lägre är bättre)"),
}
TYPE_COLUMN, COUNT_COLUMN, ANSWERABLE_COLUMN, CONFIG_COLUMN = "Typ", "Frågor", "Besvarbara", "Konfiguration"
ALL_TYPES = "alla"

_RESULT = "evaluation_result"  # the last run of this session: {"set", "runs", "when"}


# --- Plain functions ----------------------------------------------------------------


EVAL_SUFFIXES = (".jsonl", ".json", ".txt")


def load_upload(name: str, data: bytes) -> list[EvalQuestion]:
    """Parse an uploaded set; EvalSetError lists every invalid line by number."""
    with tempfile.TemporaryDirectory(prefix="utvardering-") as tmp:
        path = Path(tmp) / "upload.jsonl"
        path.write_bytes(data)
        try:
            return load_eval_set(path)
        except EvalSetError as err:
            raise EvalSetError([p.replace(str(path), name) for p in err.problems]) from None


def missing_documents(questions: Iterable[EvalQuestion], indexed: Iterable[str]) -> list[str]:
    """Documents the set refers to that are not in the index, sorted."""
    have = set(indexed)
    return sorted({s.doc for q in questions for s in q.relevant if s.doc not in have})


def shipped_sets(
    corpus_dir: Path, indexed: Iterable[str], max_bytes: int
) -> tuple[dict[str, tuple[Shipped, list[EvalQuestion]]], dict[str, str]]:
    """The shipped sets usable on this index, and for the others why not (Swedish)."""
    indexed = set(indexed)
    usable: dict[str, tuple[Shipped, list[EvalQuestion]]] = {}
    unusable: dict[str, str] = {}
    for item in SHIPPED:
        try:
            questions = load_eval_set(item.path)
        except EvalSetError as err:
            unusable[item.key] = err.swedish_message()
            continue
        missing = missing_documents(questions, indexed)
        if missing:
            unusable[item.key] = f"{len(missing)} av dess dokument finns inte i indexet"
            continue
        if check_phrases(questions, corpus_dir, max_bytes):
            unusable[item.key] = "dess fraser finns inte i dokumenten i dokumentmappen"
            continue
        usable[item.key] = (item, questions)
    return usable, unusable


def _metric(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def metric_rows(run: EvalRun) -> list[dict[str, Any]]:
    """The table of one configuration: all questions, then one row per question type."""
    groups = [(ALL_TYPES, run.summary.overall)] + list(run.summary.per_type.items())
    rows = []
    for name, group in groups:
        figures = run.figures(group)
        row: dict[str, Any] = {TYPE_COLUMN: name, COUNT_COLUMN: int(group["n"]),
                               ANSWERABLE_COLUMN: int(group.get("n_answerable", 0))}
        for metric, (label, _) in METRIC_COLUMNS.items():
            row[label] = _metric(figures.get(metric))
        rows.append(row)
    return rows


def comparison_rows(runs: Sequence[EvalRun]) -> list[dict[str, Any]]:
    """One row per configuration with its overall figures."""
    rows = []
    for run in runs:
        row: dict[str, Any] = {CONFIG_COLUMN: run.config}
        for metric, (label, _) in METRIC_COLUMNS.items():
            row[label] = _metric(run.figures(run.summary.overall).get(metric))
        rows.append(row)
    return rows


def why(failure: Failure) -> str:
    """Why a question of evaluation.evaluate.failures failed, in Swedish."""
    reasons = []
    if failure.missed:
        reasons.append("ingen relevant passage bland de 5 första")
    if failure.wrong_refusal:
        reasons.append("vägrade fast dokumenten svarar" if failure.result.answerable
                       else "svarade fast frågan ska vägras")
    return "; ".join(reasons)


def passage_rows(failure: Failure) -> list[dict[str, Any]]:
    """What came back instead: the top passages of a failed question."""
    relevant = set(failure.result.relevant_ranks)
    return [
        {
            "Rang": n, "Relevant": "ja" if n in relevant else "", "Titel": p.chunk.title,
            "Dokument": p.chunk.doc, "Var": chunk_citation(p.chunk), "Text": _preview(p.chunk.text),
        }
        for n, p in enumerate(failure.result.passages, start=1)
    ]


def _preview(text: str) -> str:
    text = collapse(text)
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"


def report_bytes(runs: Sequence[EvalRun]) -> bytes:
    return json.dumps(report_json(runs), ensure_ascii=False, indent=1).encode("utf-8")


def report_name(set_name: str, when: float) -> str:
    stem = Path(set_name).stem or "utvardering"
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)
    return f"utvardering-{safe}-{time.strftime('%Y%m%d-%H%M', time.localtime(when))}.json"


# --- The page ----------------------------------------------------------------------


def _choose_set(res: Resources, state: LiveState) -> tuple[str, list[EvalQuestion]] | None:
    """The set to run (its name and questions), or None with the reason shown."""
    settings = res.settings
    max_bytes = settings.max_file_bytes
    source = st.radio("Utvärderingsmängd", [SOURCE_SHIPPED, SOURCE_UPLOAD], horizontal=True,
                      key="evaluation_source")
    if source == SOURCE_SHIPPED:
        usable, unusable = shipped_sets(Path(settings.corpus_dir), state.documents, max_bytes)
        for key, reason in unusable.items():
            item = next(s for s in SHIPPED if s.key == key)
            st.caption(literal(f"{item.path.name} kan inte väljas: {reason}."))
        if not usable:
            st.info("Ingen medföljande mängd passar dokumenten i indexet. Ladda upp en egen fil.")
            return None
        key = st.selectbox("Mängd", list(usable), format_func=lambda k: usable[k][0].label,
                           key="evaluation_shipped")
        item, questions = usable[key]
        st.caption(_describe(questions))
        return item.path.name, questions

    upload = st.file_uploader(  # no type filter: a wrong file gets our Swedish message, not Streamlit's
        "Ladda upp en utvärderingsmängd (JSON Lines)", key="evaluation_upload", max_upload_size=settings.max_file_mb,
        help='En fråga per rad: {"id", "question", "relevant": [{"doc", "contains"}], "type", "answer", '
             '"previous"}; "previous" är de tidigare frågorna i samtalet (äldst först) och gör raden till en '
             'uppföljningsfråga, som redovisas som typen uppföljning. '
             '"doc" är filnamnet i dokumentmappen och "contains" en fras ur rätt passage; '
             '"relevant": [] betyder att dokumenten inte svarar på frågan.',
    )
    if upload is None:
        return None
    if Path(upload.name).suffix.lower() not in EVAL_SUFFIXES:
        st.error(literal(f"{upload.name} kan inte användas: en utvärderingsmängd är en JSON Lines-fil "
                         f"({', '.join(EVAL_SUFFIXES)})."))
        return None
    try:
        questions = load_upload(upload.name, upload.getvalue())
    except EvalSetError as err:
        st.error(_problems_markdown(literal(f"{upload.name} är felaktig:"), err.problems))
        return None
    problems = without_paths(check_phrases(questions, Path(settings.corpus_dir), max_bytes), settings.corpus_dir)
    if problems:
        st.error(_problems_markdown(literal(f"{upload.name} stämmer inte med dokumenten:"), problems))
        return None
    missing = missing_documents(questions, state.documents)
    if missing:
        st.warning("Dokumenten finns i dokumentmappen men inte i indexet, så deras frågor kan inte få träff: "
                   + literal(", ".join(missing)) + ". Uppdatera indexet på sidan Dokument.")
    st.caption(_describe(questions))
    return upload.name, questions


def without_paths(problems: Iterable[str], corpus_dir: Path | str) -> list[str]:
    """The problems with the server's corpus path said as "dokumentmappen": testers need
    not see where the server keeps its files."""
    paths = sorted({str(corpus_dir), str(Path(corpus_dir).resolve())}, key=len, reverse=True)
    out = []
    for problem in problems:
        for path in paths:
            problem = problem.replace(path, "dokumentmappen")
        out.append(problem)
    return out


def _problems_markdown(head: str, problems: Sequence[str], limit: int = 50) -> str:
    lines = [f"- {literal(p)}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"- … och {len(problems) - limit} fel till")
    return f"{head}\n\n" + "\n".join(lines)


def _describe(questions: Sequence[EvalQuestion]) -> str:
    answerable = sum(1 for q in questions if q.answerable)
    return (f"{len(questions)} frågor, varav {answerable} besvarbara och "
            f"{len(questions) - answerable} som dokumenten inte svarar på.")


def _run(res: Resources, questions: Sequence[EvalQuestion], configs: Sequence[str],
         docs: DocFilter = NO_FILTER) -> list[EvalRun]:
    bar = st.progress(0.0, text="Utvärderar …")
    total = max(1, len(questions) * len(configs))
    runs = []
    for index, config in enumerate(configs):
        def progress(i: int, n: int, name: str, index: int = index) -> None:
            bar.progress(min(1.0, (index * len(questions) + i) / total),
                         text=f"{name}: fråga {min(i + 1, n)} av {n}" if i < n else f"{name}: klar")

        runs.append(run_eval(questions, res.searcher, res.calibration, config, K, progress, docs=docs))
    bar.empty()
    return runs


def _show_results(result: Mapping[str, Any]) -> None:
    runs: list[EvalRun] = result["runs"]
    st.subheader("Resultat")
    st.caption(f"Mängd: {literal(result['set'])} · {len(runs[0].questions)} frågor · körd "
               f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(result['when']))}. Träff, täckning, MRR och "
               "nDCG räknas över de besvarbara frågorna.")
    if runs[0].docs.active:
        st.caption(literal(f"Sökte bara i: {runs[0].docs.describe()}."))
    config_columns = {label: st.column_config.NumberColumn(label, help=text, format="%.3f")
                      for label, text in METRIC_COLUMNS.values()}
    if len(runs) > 1:
        st.markdown("**Jämförelse, alla frågor**")
        st.dataframe(comparison_rows(runs), hide_index=True, column_config=config_columns, placeholder="–")
    only = [run.config for run in runs if run.retrieval_only]
    if only:
        st.caption(retrieval_only_note(only))
    for run in runs:
        st.markdown(f"**{CONFIG_LABELS.get(run.config, run.config)}**")
        st.dataframe(metric_rows(run), hide_index=True, placeholder="–", column_config={
            **config_columns,
            COUNT_COLUMN: st.column_config.NumberColumn(COUNT_COLUMN, format="%d"),
            ANSWERABLE_COLUMN: st.column_config.NumberColumn(ANSWERABLE_COLUMN, format="%d"),
        })
        failed = failures(run, limit=FAILURE_PASSAGES)
        if not failed:
            st.success("Inga missar: varje besvarbar fråga fick en relevant passage bland de 5 första och "
                       "ingen vägran var fel.")
            continue
        st.caption(f"Missar: {len(failed)}")
        for failure in failed:
            with st.expander(literal(f"{failure.result.id}: {failure.result.question} – {why(failure)}")):
                _show_failure(failure)
    st.download_button(
        "Ladda ner rapporten (JSON)", data=report_bytes(runs), file_name=report_name(result["set"], result["when"]),
        mime="application/json", on_click="ignore", key="evaluation_download",
        help="Samma JSON som python -m evaluation --json: summary, questions och compare.",
    )


def _show_failure(failure: Failure) -> None:
    row = failure.result
    if row.relevant:
        st.markdown("**Förväntat:** " + "; ".join(
            f"{literal(s.doc)} – ”{literal(s.contains)}”" for s in row.relevant))
    else:
        st.markdown("**Förväntat:** vägran (dokumenten svarar inte på frågan)")
    answer = "vägrade" if row.refused else collapse(row.answer)
    st.markdown(f"**Svar:** {literal(_preview(answer))}")
    if row.passages:
        st.markdown("**Det här kom tillbaka i stället:**")
        for p in passage_rows(failure):
            where = p["Var"]
            mark = " · **relevant**" if p["Relevant"] else ""
            st.markdown(f"{p['Rang']}. **{literal(p['Titel'])}**" + (f" – {literal(where)}" if where else "") + mark)
            st.caption(f"{literal(p['Text'])}  \nFil: {literal(p['Dokument'])}")


DENIED = "Utvärderingen är bara för testare och samordnare."
DENIED_LOGIN = "Utvärderingen är bara för testare och samordnare – logga in i sidopanelen."


def evaluation_page() -> None:
    st.title("Utvärdering")
    with st.sidebar:
        login_panel(EVALUATORS)
    if not may_evaluate():  # an evaluation is CPU-heavy on the shared process
        st.info(DENIED_LOGIN if any_login_configured(EVALUATORS) else DENIED)
        return
    st.caption("Mät hur väl sökningen hittar rätt passage och när assistenten vägrar svara, "
               "med en utvärderingsmängd mot indexet som chatten använder.")
    got = ready()
    if got is None:
        return
    res, state = got
    chosen = _choose_set(res, state)
    configs = st.multiselect("Konfigurationer", list(CONFIGS), default=["hybrid"],
                             format_func=lambda c: CONFIG_LABELS.get(c, c), key="evaluation_configs")
    with st.expander("Filter: sök bara i vissa dokument"):
        docs = filter_controls(state, prefix="evaluation_filter")
    if st.button(RUN_LABEL, type="primary", disabled=chosen is None or not configs, key="evaluation_run"):
        assert chosen is not None
        name, questions = chosen
        try:
            runs = _run(res, questions, configs, docs)
        except AssistantError as err:
            st.error(err.swedish_message())
        else:
            st.session_state[_RESULT] = {"set": name, "runs": runs, "when": time.time()}
    result = st.session_state.get(_RESULT)
    if result:
        _show_results(result)


if __name__ == "__main__":
    evaluation_page()
