"""Settings, read from environment variables only (documented in docs/slack.md).

Every variable has a safe default except the secrets. Values are validated up front so a
misconfigured deployment fails at start with a message that names the variable, never the secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DB_URL = "sqlite:///kb-slack.sqlite3"


class ConfigError(ValueError):
    """A setting is missing or invalid. The message names the variable, never its value."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    app_token: str | None = None
    signing_secret: str | None = None
    mode: str = "socket"  # "socket" | "http"
    host: str = "127.0.0.1"
    port: int = 3000
    api_url: str = DEFAULT_API_URL
    rules_paths: tuple[Path, ...] = ()
    db_url: str = DEFAULT_DB_URL
    workers: int = 4
    queue_size: int = 64
    top: int = 3
    max_input_bytes: int = 512 * 1024
    max_file_bytes: int = 2 * 1024 * 1024
    max_files: int = 3
    max_request_bytes: int = 1024 * 1024
    http_timeout: int = 15
    max_retry_after: int = 30
    dedup_ttl_hours: int = 24
    socket_watchdog_seconds: int = 120
    log_level: str = "INFO"
    extra_file_hosts: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:  # never print secrets, even by accident in a log line
        return (
            f"Settings(mode={self.mode!r}, api_url={self.api_url!r},"
            f" db_url={_safe_url(self.db_url)!r},"
            f" workers={self.workers}, queue_size={self.queue_size})"
        )

    __str__ = __repr__


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    mode = env.get("KB_SLACK_MODE", "socket").strip().lower() or "socket"
    if mode not in ("socket", "http"):
        raise ConfigError(f"KB_SLACK_MODE must be 'socket' or 'http', got {mode!r}")

    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    if not bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (the xoxb- token from 'OAuth & Permissions')")
    if not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")

    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip() or None
    if mode == "socket":
        if app_token is None:
            raise ConfigError(
                "SLACK_APP_TOKEN is not set (an xapp- app-level token with connections:write);"
                " it is required in socket mode"
            )
        if not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")
    if mode == "http" and signing_secret is None:
        raise ConfigError("SLACK_SIGNING_SECRET is required in http mode (Basic Information page)")

    api_url = env.get("KB_SLACK_API_URL", "").strip() or DEFAULT_API_URL
    parts = urlsplit(api_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"KB_SLACK_API_URL must be an http(s) URL, got {api_url!r}")
    if not api_url.endswith("/"):
        api_url += "/"  # slack_sdk joins method names onto the base URL

    rules_raw = env.get("KB_RULES_PATH", "").strip()
    rules_paths = tuple(Path(p) for p in rules_raw.split(os.pathsep) if p.strip())
    for p in rules_paths:
        if not p.exists():
            raise ConfigError(f"KB_RULES_PATH entry does not exist: {str(p)!r}")

    db_url = env.get("KB_SLACK_DB_URL", "").strip() or DEFAULT_DB_URL
    scheme = urlsplit(db_url).scheme
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            "KB_SLACK_DB_URL must start with sqlite:/// or postgresql://,"
            f" got scheme {scheme!r}"
        )

    log_level = env.get("KB_SLACK_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"KB_SLACK_LOG_LEVEL must be DEBUG/INFO/WARNING/ERROR, got {log_level!r}")

    hosts = tuple(
        h.strip().lower() for h in env.get("KB_SLACK_FILE_HOSTS", "").split(",") if h.strip()
    )

    return Settings(
        bot_token=bot_token,
        app_token=app_token,
        signing_secret=signing_secret,
        mode=mode,
        host=env.get("KB_SLACK_HOST", "127.0.0.1").strip() or "127.0.0.1",
        port=_int(env, "KB_SLACK_PORT", 3000, 1, 65535),
        api_url=api_url,
        rules_paths=rules_paths,
        db_url=db_url,
        workers=_int(env, "KB_SLACK_WORKERS", 4, 1, 64),
        queue_size=_int(env, "KB_SLACK_QUEUE", 64, 1, 10_000),
        top=_int(env, "KB_SLACK_TOP", 3, 1, 5),
        max_input_bytes=_int(env, "KB_SLACK_MAX_INPUT_BYTES", 512 * 1024, 1024, 16 * 1024 * 1024),
        max_file_bytes=_int(env, "KB_SLACK_MAX_FILE_BYTES", 2 * 1024 * 1024, 1024, 64 * 1024**2),
        max_files=_int(env, "KB_SLACK_MAX_FILES", 3, 0, 10),
        http_timeout=_int(env, "KB_SLACK_HTTP_TIMEOUT", 15, 1, 120),
        max_retry_after=_int(env, "KB_SLACK_MAX_RETRY_AFTER", 30, 0, 600),
        dedup_ttl_hours=_int(env, "KB_SLACK_DEDUP_TTL_HOURS", 24, 1, 24 * 30),
        socket_watchdog_seconds=_int(env, "KB_SLACK_SOCKET_WATCHDOG", 120, 0, 3600),
        log_level=log_level,
        extra_file_hosts=hosts,
    )
