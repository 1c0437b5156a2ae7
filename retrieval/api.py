"""The HTTP API for the city's other systems (the intranet, a Teams bot, a case system):
`python -m retrieval serve [--host H] [--port P] [--data DIR]`, or `./run api`.

* `POST /ask`: the object `python -m retrieval ask --json` prints (both ask through
  retrieval/asking.py: the same masking, logging rules and generated answers);
* `GET /health`: the live index generation, its documents, the model, ready or not
  (503 while not ready, so that a load balancer waits);
* `GET /documents`: what the Dokument page lists for staff, without server paths;
* `/openapi.json` and `/docs`: the OpenAPI description (English, for developers).

A token (`api_token` in .streamlit/secrets.toml, which wins, or ASSISTANT_API_TOKEN) is
required as `Authorization: Bearer …` on /ask and /documents, compared in constant time.
Without one the API serves only this machine (a loopback host); anything else refuses to
start. Errors carry the chat's Swedish messages (core/errors.py) in `detail`. The embedding
model, the store, the searcher and the language model are made once, at start; a new
index generation after a re-ingest is loaded within ASSISTANT_FOLLOW_SECONDS, as the chat
does (retrieval/search.py: Searcher.follow)."""

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from core.embedders import Embedder, make_embedder
from core.errors import (
    AssistantError,
    ConfigError,
    IndexMissingError,
    ModelMismatchError,
    StoreUnavailableError,
)
from core.llm import LanguageModel, make_language_model
from core.records import DocInfo
from core.settings import Settings
from core.store import open_client
from core.wording import period
from retrieval.answer_json import answer_json
from retrieval.asking import ask_logged
from retrieval.refusal import Calibration
from retrieval.search import Searcher

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 10_000  # a pasted text with its question (retrieval/pasted.py) fits
MAX_PREVIOUS = 20
MAX_K = 50
TOKEN_SECRET = "api_token"
SECRETS_FILES = (Path(".streamlit") / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")

EMPTY_QUESTION = "Skriv en fråga."
TOO_LONG = f"Frågan är för lång: högst {MAX_QUESTION_CHARS} tecken."
BAD_REQUEST = "Frågan kunde inte läsas. Skicka JSON med fältet \"question\"."
TOKEN_MISSING = "API-nyckel saknas. Skicka den som Authorization: Bearer …"
TOKEN_WRONG = "Fel API-nyckel."
NO_TOKEN_NOT_LOCAL = ("Ingen API-nyckel är inställd (ASSISTANT_API_TOKEN eller api_token i "
                      ".streamlit/secrets.toml). Utan nyckel startar API:t bara på 127.0.0.1, inte på {host}.")

# The HTTP status of each error the library raises (the rest: 500).
STATUS: tuple[tuple[type[AssistantError], int], ...] = (
    (IndexMissingError, 503), (StoreUnavailableError, 503), (ModelMismatchError, 503), (ConfigError, 500),
)


class QuestionError(AssistantError):
    """The request's question cannot be asked (empty, too long): a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.swedish = message


def status_of(err: AssistantError) -> int:
    if isinstance(err, QuestionError):
        return 400
    return next((code for kind, code in STATUS if isinstance(err, kind)), 500)


# --- What the API takes and gives (OpenAPI) ---------------------------------------------


class AskRequest(BaseModel):
    question: str = Field(description=f"The question as staff would type it (at most {MAX_QUESTION_CHARS} "
                                      "characters). Personal data in it is masked before anything else.")
    previous: list[str] = Field(default_factory=list, max_length=MAX_PREVIOUS,
                                description="The earlier questions of the conversation, oldest first: a "
                                            "follow-up is searched as the complete question built from them.")
    k: int | None = Field(default=None, ge=1, le=MAX_K,
                          description="How many passages to return; default ASSISTANT_TOP_K (5).")


class PassageOut(BaseModel):
    n: int = Field(description="The number the answer cites as [n].")
    doc: str = Field(description="The document's file, relative to the corpus folder.")
    title: str
    page: int | None
    section: str | None
    text: str
    score: float
    valid_from: str | None
    valid_to: str | None
    expired: bool
    ocr: bool = Field(description="The text was read by OCR from a scanned page.")


class AskResponse(BaseModel):
    """Exactly what `python -m retrieval ask --json` prints."""

    question: str = Field(description="The question as asked, personal data masked.")
    interpreted: str = Field(description="The question searched for (a follow-up completed from `previous`).")
    answer: str = Field(description="Quoted sentences with [n] citations, or the refusal.")
    refused: bool = Field(description="True: 'Jag hittar inget svar på det i dokumenten.'; passages are the "
                                      "nearest documents.")
    passages: list[PassageOut]
    warnings: list[str] = Field(description="Swedish notes to show: personal data removed, an expired document.")
    model: str | None = Field(default=None, description="Only when a language model wrote the answer.")
    generated: list[dict[str, Any]] | None = Field(
        default=None, description="Only with a language model: each sentence shown, the passage n and its quote.")
    model_notes: list[str] | None = Field(default=None, description="Only with a language model.")


class Health(BaseModel):
    ready: bool = Field(description="An index is loaded and questions are answered.")
    generation: str | None = Field(description="The live index generation (changes after a re-ingest).")
    documents: int
    chunks: int
    model: str = Field(description="The embedding model's id.")
    language_model: bool = Field(description="A language model writes the answers (ASSISTANT_LLM_URL).")
    message: str | None = Field(description="Why not ready, in Swedish.")


class DocumentOut(BaseModel):
    file: str = Field(description="The file, relative to the corpus folder.")
    title: str
    kind: str | None
    issuer: str | None
    adopted: str | None
    valid_from: str | None
    valid_to: str | None
    validity: str = Field(description="The period in force as the Dokument page writes it ('2018–2022').")
    expired: bool
    replaced_by: str | None
    excerpt: bool = Field(description="Only an excerpt of the document is indexed.")
    pages: int
    sections: int = Field(description="Indexed passages (chunks).")
    ingested_at: str = Field(description="ISO 8601, UTC.")
    status: str


class Problem(BaseModel):
    detail: str = Field(description="The Swedish message the chat shows.")


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 503)
}


# --- The app ---------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Service:
    """What every request shares, made once at start."""

    settings: Settings
    embedder: Embedder
    searcher: Searcher
    calibration: Calibration
    model: LanguageModel | None
    token: str


def configured_token(settings: Settings, secrets: tuple[Path, ...] = SECRETS_FILES) -> str:
    """`api_token` of the first secrets.toml that has one (as Streamlit reads them, from
    the working folder), else ASSISTANT_API_TOKEN; "" when neither."""
    for path in secrets:
        try:
            value = tomllib.loads(path.read_text(encoding="utf-8")).get(TOKEN_SECRET)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if value:
            return str(value).strip()
    return settings.api_token


def is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_service(settings: Settings, token: str) -> Service:
    """The model, the store and the searcher, loaded once; the live generation too when
    there is one (else /health says why and a later ingest is picked up)."""
    embedder = make_embedder(settings)
    searcher = Searcher(open_client(settings), embedder, files=settings.data_dir)
    if settings.follow_seconds:
        searcher.follow(settings.follow_seconds)
    try:
        searcher.current()
    except AssistantError as err:
        log.warning("no index to load yet: %s", err)
    return Service(settings, embedder, searcher, Calibration.load(), make_language_model(settings), token)


def _same(given: str, expected: str) -> bool:
    """Constant time: equal-length digests are compared, never the strings."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())


def document_out(info: DocInfo, today: dt.date) -> DocumentOut:
    v = info.validity
    return DocumentOut(
        file=info.doc, title=info.title, kind=info.kind, issuer=info.issuer, adopted=info.adopted,
        valid_from=v.valid_from, valid_to=v.valid_to, validity=period(v), expired=v.is_expired(today),
        replaced_by=info.replaced_by, excerpt=info.excerpt, pages=info.pages, sections=info.chunks,
        ingested_at=dt.datetime.fromtimestamp(info.ingested_at, dt.UTC).isoformat(timespec="seconds"),
        status=info.status,
    )


def create_app(service: Service) -> FastAPI:
    app = FastAPI(
        title="Dokumentassistenten (City of Stockholm)",
        version="1",
        description="Answers from the city's documents, quoted with [n] citations, or the refusal "
                    "'Jag hittar inget svar på det i dokumenten.'. Field docs are English; the answers, "
                    "warnings and error messages (`detail`) are the Swedish the chat shows.",
    )
    bearer = HTTPBearer(auto_error=False, description="ASSISTANT_API_TOKEN (not needed on 127.0.0.1 without one)")

    def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if not service.token:
            return  # no token configured: the API listens on loopback only (serve checks)
        if credentials is None:
            raise _Refused(401, TOKEN_MISSING)
        if not _same(credentials.credentials, service.token):
            raise _Refused(403, TOKEN_WRONG)

    @app.exception_handler(_Refused)
    def refused(_: Request, err: _Refused) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        return JSONResponse({"detail": err.message}, status_code=err.status, headers=headers)

    @app.exception_handler(AssistantError)
    def assistant_error(_: Request, err: AssistantError) -> JSONResponse:
        status = status_of(err)
        if status >= 500:
            log.warning("%s: %s", type(err).__name__, err)
        return JSONResponse({"detail": err.swedish_message()}, status_code=status)

    @app.exception_handler(Exception)
    def unexpected(_: Request, err: Exception) -> JSONResponse:
        log.error("unexpected %s", type(err).__name__, exc_info=err)
        return JSONResponse({"detail": AssistantError.swedish}, status_code=500)

    @app.exception_handler(RequestValidationError)
    def invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in err.errors()]
        return JSONResponse({"detail": BAD_REQUEST, "errors": errors}, status_code=400)

    @app.post("/ask", response_model=AskResponse, responses=ERRORS, dependencies=[Depends(authorised)],
              summary="Ask a question")
    def ask(request: AskRequest) -> JSONResponse:
        if not request.question.strip():
            raise QuestionError(EMPTY_QUESTION)
        if max(map(len, [request.question, *request.previous])) > MAX_QUESTION_CHARS:
            raise QuestionError(TOO_LONG)
        turn = ask_logged(request.question, request.previous, service.searcher, service.calibration, service.settings,
                          service.model, k=request.k or service.settings.top_k)
        # The object itself, not re-serialised through AskResponse: exactly `ask --json`'s keys.
        return JSONResponse(answer_json(turn.answer, turn.understood))

    @app.get("/health", response_model=Health, responses={503: {"model": Health}}, summary="Ready or not")
    def health() -> JSONResponse:
        body = Health(ready=False, generation=None, documents=0, chunks=0, model=service.embedder.model_id,
                      language_model=service.model is not None, message=None)
        try:
            state = service.searcher.current().state
        except AssistantError as err:
            body.message = err.swedish_message()
            return JSONResponse(body.model_dump(), status_code=503)
        body.ready, body.generation = True, state.generation
        body.documents, body.chunks = len(state.documents), state.chunk_count
        return JSONResponse(body.model_dump())

    @app.get("/documents", response_model=list[DocumentOut], responses=ERRORS, dependencies=[Depends(authorised)],
             summary="The documents in the index")
    def documents() -> list[DocumentOut]:
        state = service.searcher.current().state
        today = dt.date.today()
        return [document_out(info, today)
                for info in sorted(state.documents.values(), key=lambda d: d.title.casefold())]

    return app


def serve(settings: Settings, host: str, port: int) -> int:
    """Run the API until stopped; 2 (with a Swedish message) when it must not start."""
    import sys

    import uvicorn

    token = configured_token(settings)
    if not token and not is_local(host):
        print(f"Fel: {NO_TOKEN_NOT_LOCAL.format(host=host)}", file=sys.stderr)
        return 2
    service = start_service(settings, token)
    print(f"API:t svarar på http://{host}:{port} (beskrivning: /docs)", file=sys.stderr)
    uvicorn.run(create_app(service), host=host, port=port, log_level="info")
    return 0
