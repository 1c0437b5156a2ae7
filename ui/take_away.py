"""Answers staff can take with them: plain text of one answer with its numbered sources
(for a memo or a case note) and of a whole conversation (for the download).

Everything here is built from what the chat keeps, which is masked already; it is
masked once more, so nothing with personal data leaves even if a caller forgets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from core.privacy import mask_personal_data
from retrieval.generate import GENERATED_LABEL
from ui.render import ShownAnswer, ShownSource

COPY_LABEL = "Kopiera svaret med källor"
DOWNLOAD_LABEL = "Ladda ner konversationen"


def source_line(s: ShownSource) -> str:
    """“[1] Title, s. 3, avsnitt ”Ansvarsfördelning” (gällde 2018–2022, har upphört) – file”."""
    parts = [f"[{s.n}] {s.title}"]
    if s.where:
        parts.append(s.where)
    line = ", ".join(parts)
    if s.validity:
        line += f" ({s.validity})"
    return f"{line} – {s.doc}"


def answer_text(record: ShownAnswer, cited_only: bool = True) -> str:
    """The answer and its sources as plain text: the question (and how it was
    understood), the answer with its [n] markers, then the numbered sources it cites
    (all shown sources for a refusal, as places to read)."""
    lines = [f"Fråga: {record.question}"]
    if record.part:
        lines.append(f"Svarar på: {record.part}")
    if record.interpreted:
        lines.append(f"Tolkat som: {record.interpreted}")
    if record.generated:
        lines += ["", f"Svar ({GENERATED_LABEL.lower()}):"]
        for claim in record.generated:
            lines += [f"{claim.text} [{claim.n}]", f"    Citat [{claim.n}]: ”{claim.quote}”"]
    else:
        lines += ["", f"Svar: {record.text}"]
    lines += [f"OBS: {w}" for w in [*record.model_notes, *record.warnings]]
    sources = [s for s in record.sources if s.quoted or not cited_only or record.refused]
    if sources:
        lines += ["", "Närmaste dokument:" if record.refused else "Källor:"]
        lines += [source_line(s) for s in sources]
    return mask_personal_data("\n".join(lines)).text


def conversation_text(messages: Sequence[Mapping[str, Any]], when: dt.datetime | None = None) -> str:
    """Every answer of the conversation, oldest first, as plain text."""
    stamp = (when or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    answers = [m["answer"] for m in messages if m.get("role") == "assistant" and "answer" in m]
    blocks = [f"Konversation med dokumentassistenten, {stamp}"]
    blocks += [f"{i}.\n{answer_text(a)}" for i, a in enumerate(answers, start=1)]
    if any(a.generated for a in answers):
        blocks.append("Svar skrivna av språkmodellen är kontrollerade mening för mening mot citaten under dem; "
                      "övriga svar citerar dokumenten ordagrant. Kontrollera alltid källan innan du använder dem.")
    else:
        blocks.append("Svaren citerar dokumenten ordagrant; kontrollera alltid källan innan du använder dem.")
    return mask_personal_data("\n\n".join(blocks)).text + "\n"
