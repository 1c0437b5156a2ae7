"""An OpenAI-compatible chat-completions endpoint (a process of its own, for the browser
tests) that streams a fixed answer a word at a time: `python tests/scripted_llm.py PORT
SECONDS_PER_WORD [ANSWER]`. The answer (unless given) has a sentence its passage backs, one with the wrong
committee and year, and another backed one (passage [1] of the default document's
answer to "Vem ansvarar för kommunikation, samordning och uppföljning av strategin?")."""

from __future__ import annotations

import http.server
import json
import sys
import time

BACKED = "Kommunstyrelsen ansvarar för kommunikation, samordning och uppföljning av strategin [1]."
WRONG = "Socialnämnden ansvarar för uppföljningen av strategin sedan 2016 [1]."
BACKED_TOO = ("Arbetsmarknads-, kultur-, utbildnings- och socialnämnden samt stadsdelsnämnderna ansvarar "
              "för att genomföra strategin [1].")
ANSWER = f"{BACKED} {WRONG} {BACKED_TOO}"


def _chunk(text: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if text is None else {"content": text}
    body = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class Handler(http.server.BaseHTTPRequestHandler):
    pause = 0.3
    answer = ANSWER

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"object": "list", "data": [{"id": "skript", "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in self.answer.split(" "):
            self.wfile.write(_chunk(word + " "))
            self.wfile.flush()
            time.sleep(self.pause)
        self.wfile.write(_chunk(None, "stop") + b"data: [DONE]\n\n")


if __name__ == "__main__":
    Handler.pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
    Handler.answer = sys.argv[3] if len(sys.argv) > 3 else ANSWER
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
