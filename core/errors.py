"""The project's exception tree. The library raises these; the CLI and the UI turn
them into plain Swedish with `swedish_message`."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the project raises on purpose."""

    swedish = "Något gick fel."

    def swedish_message(self) -> str:
        return self.swedish


class ConfigError(AssistantError):
    swedish = "Inställningarna är felaktiga."

    def swedish_message(self) -> str:
        return f"Inställningarna är felaktiga: {self}"


class DocumentError(AssistantError):
    """A single document could not be read. `reason` is already plain Swedish."""

    def __init__(self, doc: str, reason: str) -> None:
        super().__init__(f"{doc}: {reason}")
        self.doc = doc
        self.reason = reason

    def swedish_message(self) -> str:
        return f"{self.doc}: {self.reason}"


class ManifestError(AssistantError):
    """sources.toml is malformed; nothing is changed."""

    def __init__(self, path: str, line: int | None, detail: str) -> None:
        where = f"{path}, rad {line}" if line else path
        super().__init__(f"{where}: {detail}")
        self.path = path
        self.line = line
        self.detail = detail

    def swedish_message(self) -> str:
        where = f"{self.path}, rad {self.line}" if self.line else self.path
        return f"Filen {where} är felaktig ({self.detail}). Inget har ändrats."


class IndexMissingError(AssistantError):
    swedish = "Det finns inget index ännu. Läs in dokumenten först (python -m ingest)."


class ModelMismatchError(AssistantError):
    def __init__(self, indexed: str, configured: str) -> None:
        super().__init__(f"index built with {indexed!r}, configured {configured!r}")
        self.indexed = indexed
        self.configured = configured

    def swedish_message(self) -> str:
        return (
            f"Indexet byggdes med modellen {self.indexed}, men inställningen anger "
            f"{self.configured}. Läs in dokumenten igen (python -m ingest) eller byt tillbaka modell."
        )


class IngestBusyError(AssistantError):
    swedish = "En annan inläsning pågår redan. Vänta tills den är klar och försök igen."

    def __init__(self, *args: object, retry_seconds: float | None = None) -> None:
        super().__init__(*args)
        self.retry_seconds = retry_seconds  # when a stopped holder's claim runs out at the latest

    def swedish_message(self) -> str:
        if self.retry_seconds is None:
            return self.swedish
        seconds = max(1, round(self.retry_seconds))
        return (f"En annan inläsning pågår redan. Vänta tills den är klar och försök igen. "
                f"Har den avbrutits går det att läsa in igen om högst {seconds} sekunder.")


class StoreUnavailableError(AssistantError):
    swedish = "Dokumentlagret (Chroma) svarar inte. Försök igen om en stund."


class EmbedServiceError(AssistantError):
    """The embeddings service (ASSISTANT_EMBED_URL) stayed down after its retries, or
    refused or garbled a request. `urls` names the addresses (never the texts)."""

    def __init__(self, detail: str, urls: tuple[str, ...] = (), refused: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.urls = urls
        self.refused = refused

    def swedish_message(self) -> str:
        where = ", ".join(self.urls) or "ASSISTANT_EMBED_URL"
        if self.refused:
            return (f"Inbäddningstjänsten ({where}) tog inte emot förfrågan: {self.detail}. "
                    "Kontrollera ASSISTANT_EMBED_MODEL och ASSISTANT_EMBED_KEY.")
        return (f"Inbäddningstjänsten ({where}) svarar inte ({self.detail}). "
                "Kontrollera att tjänsten körs och försök igen.")


class ModelError(AssistantError):
    """The language model gave no usable answer. The chat then shows the extractive
    answer (quotes from the documents) with `swedish_message` as a note."""

    swedish = "Språkmodellen gav inget svar; svaret nedan är citat ur dokumenten."


class ModelUnavailableError(ModelError):
    """Not reachable (refused, DNS, no route), a server error (5xx, overloaded), or the
    connection broke off in the middle of an answer."""

    swedish = "Språkmodellen svarar inte just nu; svaret nedan är citat ur dokumenten."


class ModelTimeoutError(ModelError):
    """No first piece, no next piece, or no end of the answer within its time limit."""

    swedish = "Språkmodellen svarade inte i tid; svaret nedan är citat ur dokumenten."


class ModelRequestError(ModelError):
    """The endpoint refused the request (4xx: a wrong key, an unknown model, too long)."""

    swedish = "Språkmodellen tog inte emot frågan; svaret nedan är citat ur dokumenten."


class ModelOutputError(ModelError):
    """The answer could not be read: not JSON, not server-sent events, no choices, an
    error object in the stream, or no text at all."""

    swedish = "Språkmodellens svar gick inte att läsa; svaret nedan är citat ur dokumenten."
