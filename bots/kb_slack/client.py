"""The Slack Web API client with bounded, Retry-After-honouring retries."""

from __future__ import annotations

import logging
import random
import time
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from .blocks import Message
from .config import Settings

log = logging.getLogger(__name__)

RESPONSE_URL_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")


def _retry_after(response: HttpResponse | None) -> float | None:
    if response is None:
        return None
    for k, v in response.headers.items():
        if k.lower() == "retry-after":
            raw = v[0] if isinstance(v, list) and v else v
            try:
                return max(0.0, float(str(raw)))
            except ValueError:
                return None
    return None


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retry a 429 after the server's ``Retry-After``, but only when that wait is at most
    ``max_wait`` seconds, and at most ``max_retry_count`` times. Longer waits fail fast: the
    caller's error path then tells the user instead of holding a worker for minutes."""

    def __init__(self, max_retry_count: int = 3, max_wait: float = 30.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        return wait is None or wait <= self.max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = _retry_after(response)
        duration = (1.0 if wait is None else wait) + random.uniform(0.0, 0.25)
        log.info("Slack rate limit on %s; retrying in %.1fs", request.url.rsplit("/", 1)[-1],
                 duration)
        state.next_attempt_requested = True
        time.sleep(duration)
        state.increment_current_attempt()


def retry_handlers(settings: Settings) -> list[RetryHandler]:
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        BoundedRateLimitRetryHandler(max_retry_count=3, max_wait=settings.max_retry_after),
        # 500/503: retried once; chat.update is idempotent, a duplicated placeholder is the worst
        # case for chat.postMessage.
        ServerErrorRetryHandler(max_retry_count=1),
    ]


def make_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=settings.http_timeout,
        retry_handlers=retry_handlers(settings),
    )


def response_url_allowed(url: str, api_url: str) -> bool:
    """``response_url`` comes inside a signed payload, but we still only POST to Slack's hook
    hosts (or to the configured API host, e.g. a loopback fake in tests)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    api_host = (urlsplit(api_url).hostname or "").lower()
    if host in RESPONSE_URL_HOSTS and parts.scheme == "https":
        return True
    return bool(api_host) and host == api_host and parts.scheme in ("https", "http")


def send_response(
    url: str, settings: Settings, msg: Message, *, ephemeral: bool = True,
    replace_original: bool = False,
) -> None:
    if not response_url_allowed(url, settings.api_url):
        raise ValueError("response_url is not a Slack hooks URL")
    hook = WebhookClient(url, timeout=settings.http_timeout,
                         retry_handlers=retry_handlers(settings))
    kwargs: dict[str, Any] = {
        "text": msg.text,
        "blocks": msg.blocks,
        "response_type": "ephemeral" if ephemeral else "in_channel",
        "replace_original": replace_original,
    }
    resp = hook.send(**kwargs)
    if resp.status_code != 200:
        raise RuntimeError(f"response_url answered HTTP {resp.status_code}")
