"""Streamlit interface: the entry point and its pages. Run: ./run chat"""

from __future__ import annotations

import streamlit as st

from ui.chat import chat_page
from ui.retention import retention_keeper
from ui.sources import SOURCE_URL_PATH
from ui.uploads import guard_store


def main() -> None:
    st.set_page_config(page_title="Dokumentassistenten", page_icon="📄", layout="wide")
    guard_store()  # the server keeps uploaded files only for a session that may upload (ui/uploads.py)
    retention_keeper()  # prunes the logs at start and daily (ASSISTANT_RETENTION_DAYS)
    # The page is Swedish (screen readers pick their voice from lang), and captions get
    # a readable contrast (Streamlit's default caption grey measures 3.8:1).
    st.html("<script>document.documentElement.lang = 'sv';</script>"
            "<style>[data-testid='stCaptionContainer'] { opacity: 0.8; }</style>",
            unsafe_allow_javascript=True)
    pages = [
        st.Page(chat_page, title="Fråga", icon=":material/chat:", url_path="fraga", default=True),
        st.Page("ui/documents.py", title="Dokument", icon=":material/folder_open:", url_path="dokument"),
        st.Page("ui/responsibility.py", title="Ansvar", icon=":material/account_tree:", url_path="ansvar"),
        st.Page("ui/evaluation.py", title="Utvärdering", icon=":material/analytics:", url_path="utvardering"),
        # Opened from a source under an answer (ui/sources.py), not from the menu.
        st.Page("ui/source.py", title="Källa", icon=":material/description:", url_path=SOURCE_URL_PATH,
                visibility="hidden"),
    ]
    st.navigation(pages).run()


main()
