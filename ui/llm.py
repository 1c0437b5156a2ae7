"""The configured language model, for the chat: its key from Streamlit secrets (`llm_key`)
wins over ASSISTANT_LLM_KEY (core does not import Streamlit, so the key is passed in)."""

from __future__ import annotations

from core.llm import LanguageModel, make_language_model
from core.settings import Settings
from ui.auth import _secret

KEY_SECRET = "llm_key"


def configured_language_model(settings: Settings) -> LanguageModel | None:
    """None when ASSISTANT_LLM_URL is empty: extractive answers only, as without a model."""
    key = _secret(KEY_SECRET)
    return make_language_model(settings, key=str(key) if key else None)
