#!/usr/bin/env python3
"""A mock OpenAI Responses API server on loopback, for running the real Codex CLI in tests.

Every request is appended to --log as one JSON line (method, path, a subset of the headers,
the parsed body): that file is the ground truth of what the agent sent. A POST to
.../responses gets a short assistant reply streamed as Server-Sent Events in the shape
Codex parses (response.created, output_item.added, output_text.delta..., output_item.done,
response.completed).

A turn can be made slow (--delay-seconds, or per request: the number in --delay-file when
that file exists, read at each request), so a test can send a message while the agent is
busy. With --tool-call CMD the reply to a user message is a function call asking to run CMD
(which makes Codex ask for approval under approval_policy = "on-request"/"untrusted");
the request carrying its output gets a plain text reply.

The server stops on SIGTERM/SIGINT, and when its parent process dies (PR_SET_PDEATHSIG plus a
parent-pid watch), so a test that crashes never leaks it. Standard library only.

    mock_model_server.py --port 0 --port-file /tmp/port --log /tmp/requests.jsonl
"""

import argparse
import ctypes
import http.server
import json
import os
import signal
import sys
import threading
import time

LOGGED_HEADERS = ("authorization", "content-type", "accept", "user-agent", "originator",
                  "session_id", "conversation_id", "openai-beta", "version")


class MockState:
    """What all request handlers share: the options, the request counter and the log file."""

    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.count = 0
        self.log_file = open(options.log, "a", encoding="utf-8") if options.log else None

    def record(self, entry):
        """Numbers the request and appends it to the log; returns its number."""
        with self.lock:
            self.count += 1
            entry["seq"] = self.count
            entry["time"] = time.time()
            if self.log_file:
                self.log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.log_file.flush()
            return self.count

    def delay(self):
        path = self.options.delay_file
        if path and os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as f:
                    return float(f.read().strip() or 0)
            except ValueError:
                sys.stderr.write(f"mock_model_server: {path} does not hold a number\n")
        return self.options.delay_seconds


def sse_event(payload):
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


def last_input_item(body):
    items = body.get("input") if isinstance(body, dict) else None
    if isinstance(items, list) and items:
        return items[-1]
    return {}


def text_reply_events(seq, text):
    response_id = f"resp_{seq}"
    item_id = f"msg_{seq}"
    words = text.split(" ")
    deltas = [w if i == 0 else " " + w for i, w in enumerate(words)]
    events = [
        {"type": "response.created", "response": {"id": response_id}},
        {"type": "response.output_item.added",
         "item": {"type": "message", "role": "assistant", "id": item_id, "content": []}},
    ]
    events += [{"type": "response.output_text.delta", "item_id": item_id, "output_index": 0,
                "content_index": 0, "delta": d} for d in deltas]
    events.append({"type": "response.output_item.done",
                   "item": {"type": "message", "role": "assistant", "id": item_id,
                            "content": [{"type": "output_text", "text": text}]}})
    events.append(completed_event(response_id))
    return events


def tool_call_events(seq, command, tool_name):
    response_id = f"resp_{seq}"
    call_id = f"call_{seq}"
    # Codex 0.147.0's shell tool; asking for escalation makes "on-request" prompt for approval.
    arguments = {"cmd": command, "sandbox_permissions": "require_escalated",
                 "justification": "The mock model asks to run a command."}
    item = {"type": "function_call", "id": f"fc_{seq}", "call_id": call_id,
            "name": tool_name, "arguments": json.dumps(arguments)}
    return [
        {"type": "response.created", "response": {"id": response_id}},
        {"type": "response.output_item.done", "item": item},
        completed_event(response_id),
    ]


def completed_event(response_id):
    return {"type": "response.completed",
            "response": {"id": response_id,
                         "usage": {"input_tokens": 10, "input_tokens_details": None,
                                   "output_tokens": 5, "output_tokens_details": None,
                                   "total_tokens": 15}}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MockModelServer/1"

    def log_message(self, fmt, *args):
        if self.server.state.options.verbose:
            sys.stderr.write("mock_model_server: " + (fmt % args) + "\n")

    def read_body(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("content-encoding", "").lower() == "zstd":
            return {"undecoded_zstd_bytes": len(raw)}
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return {"unparsed": raw.decode("utf-8", "replace")}

    def record(self, body):
        headers = {k: v for k, v in self.headers.items() if k.lower() in LOGGED_HEADERS}
        return self.server.state.record(
            {"method": self.command, "path": self.path, "headers": headers, "body": body})

    def do_GET(self):
        seq = self.record(None)
        if self.path.rstrip("/").endswith("/models"):
            model = self.server.state.options.model
            self.send_json(200, {"object": "list", "data": [{"id": model, "object": "model"}],
                                 "models": []})
        else:
            self.send_json(404, {"error": {"message": f"mock: no GET {self.path}", "seq": seq}})

    def do_POST(self):
        body = self.read_body()
        seq = self.record(body)
        if not self.path.split("?")[0].rstrip("/").endswith("/responses"):
            self.send_json(404, {"error": {"message": f"mock: no POST {self.path}"}})
            return
        options = self.server.state.options
        last = last_input_item(body)
        if options.tool_call and last.get("type") != "function_call_output":
            events = tool_call_events(seq, options.tool_call, options.tool_name)
        else:
            events = text_reply_events(seq, options.reply.replace("{n}", str(seq)))
        self.stream(events, self.server.state.delay())

    def stream(self, events, delay):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(sse_event(events[0]))
            self.wfile.flush()
            if delay > 0:
                time.sleep(delay)
            for event in events[1:]:
                self.wfile.write(sse_event(event))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_json(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def die_with_parent(server):
    """Stops the server when the process that started it goes away."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except OSError:
        pass
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        threading.Thread(target=server.shutdown, daemon=True).start()

    threading.Thread(target=watch, daemon=True).start()


def parse_options(argv):
    p = argparse.ArgumentParser(description="Mock OpenAI Responses API server for Codex tests.")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: let the kernel choose)")
    p.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    p.add_argument("--log", help="append one JSON line per request received")
    p.add_argument("--reply", default="Mock reply number {n}.",
                   help="assistant text; {n} becomes the request number")
    p.add_argument("--delay-seconds", type=float, default=0.0,
                   help="pause between response.created and the rest of each reply")
    p.add_argument("--delay-file", help="when it exists, its number overrides --delay-seconds per request")
    p.add_argument("--tool-call", metavar="CMD",
                   help="answer user messages with a function call that runs CMD")
    p.add_argument("--tool-name", default="exec_command", help="function name for --tool-call")
    p.add_argument("--model", default="mock-model", help="model id reported by GET /models")
    p.add_argument("--verbose", action="store_true", help="log each request line to stderr")
    return p.parse_args(argv)


def main(argv):
    options = parse_options(argv)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    server.daemon_threads = True
    server.state = MockState(options)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    die_with_parent(server)
    port = server.server_address[1]
    if options.port_file:
        tmp = options.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{port}\n")
        os.rename(tmp, options.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
