#!/usr/bin/env python3
"""Makes a CODEX_HOME whose config.toml points the real Codex CLI at the mock model server.

    codex_home.py --home DIR --port PORT --workdir WORKDIR [--approval never|on-request|untrusted]

Then run Codex with:  CODEX_HOME=DIR MOCK_API_KEY=mock codex   (in WORKDIR)
It starts straight into its composer: no login (the provider takes its key from MOCK_API_KEY),
no trust prompt (WORKDIR is trusted), no update check, no network other than loopback.
Prints the path of the config file it wrote.
"""

import argparse
import json
import os
import sys


def toml_string(value):
    # A JSON string is a valid TOML basic string for the characters we write.
    return json.dumps(value)


def config_text(port, workdir, approval, model, sandbox):
    base_url = f"http://127.0.0.1:{port}/v1"
    lines = [
        f"model = {toml_string(model)}",
        'model_provider = "mock"',
        f"approval_policy = {toml_string(approval)}",
        f"sandbox_mode = {toml_string(sandbox)}",
        "check_for_update_on_startup = false",
        "hide_agent_reasoning = true",
        "",
        "[model_providers.mock]",
        'name = "Mock"',
        f"base_url = {toml_string(base_url)}",
        'wire_api = "responses"',
        'env_key = "MOCK_API_KEY"',
        "request_max_retries = 0",
        "stream_max_retries = 0",
        "stream_idle_timeout_ms = 300000",
        "",
        # Plugins on, Codex syncs the curated plugin marketplace from github.com at start-up
        # (git ls-remote https://github.com/openai/plugins.git); a test needs no network.
        "[features]",
        "plugins = false",
        "",
        "[analytics]",
        "enabled = false",
        "",
        "[feedback]",
        "enabled = false",
        "",
        f"[projects.{toml_string(workdir)}]",
        'trust_level = "trusted"',
        "",
    ]
    return "\n".join(lines)


def main(argv):
    p = argparse.ArgumentParser(description="Write a CODEX_HOME for the mock model server.")
    p.add_argument("--home", required=True, help="directory to create (the CODEX_HOME)")
    p.add_argument("--port", required=True, type=int, help="the mock server's port on 127.0.0.1")
    p.add_argument("--workdir", required=True, help="the directory Codex runs in (marked trusted)")
    p.add_argument("--approval", default="never", choices=["never", "on-request", "untrusted", "on-failure"])
    p.add_argument("--sandbox", default="workspace-write",
                   choices=["read-only", "workspace-write", "danger-full-access"])
    p.add_argument("--model", default="mock-model")
    options = p.parse_args(argv)
    if not 0 < options.port < 65536:
        p.error(f"--port {options.port} is not a TCP port")
    home = os.path.abspath(options.home)
    workdir = os.path.realpath(options.workdir)
    if not os.path.isdir(workdir):
        p.error(f"--workdir {options.workdir} is not a directory")
    os.makedirs(home, exist_ok=True)
    path = os.path.join(home, "config.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(config_text(options.port, workdir, options.approval, options.model, options.sandbox))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
