"""Command line: start the bot, check the configuration, export feedback.

    kb-slack                         # = python -m bots.kb_slack run
    kb-slack check-config
    kb-slack export-feedback --format jsonl [--output FILE] [--db URL]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from .config import ConfigError, Settings, load_settings
from .store import Store, export_lines

log = logging.getLogger("kb_slack")


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def run(settings: Settings, stop: threading.Event | None = None) -> int:
    """Start the bot in socket or http mode; returns when ``stop`` is set or on SIGTERM."""
    from .app import KbBot
    from .engine import load_ruleset

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    rules = load_ruleset(settings.rules_paths)
    store = Store(settings.db_url, dedup_ttl_hours=settings.dedup_ttl_hours)
    bot = KbBot(settings, rules, store)
    log.info("kb-slack starting: %s", settings)
    code = 0
    try:
        if settings.mode == "http":
            from .server import BoltHTTPServer

            server = BoltHTTPServer((settings.host, settings.port), bot.app,
                                    max_request_bytes=settings.max_request_bytes)
            t = threading.Thread(target=server.serve_forever, name="kb-http", daemon=True)
            t.start()
            log.info("listening on http://%s:%d/slack/events", settings.host, server.port)
            stop.wait()
            server.shutdown()
            server.server_close()
        else:
            code = _run_socket_mode(bot.app, settings, stop)
    finally:
        bot.executor.shutdown(wait=True)
        store.close()
    return code


def _run_socket_mode(app: Any, settings: Settings, stop: threading.Event) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.app_token, web_client=app.client)
    handler.connect()  # type: ignore[no-untyped-call]
    log.info("connected to Slack in socket mode")
    last_ok = time.monotonic()
    limit = settings.socket_watchdog_seconds
    try:
        while not stop.wait(5.0):
            if handler.client.is_connected():
                last_ok = time.monotonic()
            elif limit and time.monotonic() - last_ok > limit:
                # The SDK reconnects by itself; if it has not managed for this long, exit so the
                # supervisor restarts us rather than running deaf.
                log.error("socket mode disconnected for over %ds; exiting", limit)
                return 3
    finally:
        handler.close()  # type: ignore[no-untyped-call]
    return 0


def export_feedback(db_url: str, fmt: str, output: str | None) -> int:
    store = Store(db_url)
    try:
        out = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        try:
            for line in export_lines(store, fmt):
                out.write(line + "\n")
        finally:
            if output:
                out.close()
    finally:
        store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kb-slack", description="kb's Slack bot")
    sub = parser.add_subparsers(dest="cmd")
    sub.add_parser("run", help="start the bot (the default)")
    sub.add_parser("check-config", help="validate the environment variables and exit")
    ex = sub.add_parser("export-feedback", help="write stored feedback for rule authors")
    ex.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    ex.add_argument("--output", "-o", help="file to write (default: stdout)")
    ex.add_argument("--db", help="database URL (default: $KB_SLACK_DB_URL or the default)")
    args = parser.parse_args(argv)

    if args.cmd == "export-feedback":
        from .config import DEFAULT_DB_URL

        db = args.db or os.environ.get("KB_SLACK_DB_URL") or DEFAULT_DB_URL
        return export_feedback(db, args.format, args.output)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"kb-slack: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "check-config":
        print(f"configuration OK: {settings}")
        return 0
    _setup_logging(settings.log_level)
    return run(settings)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
