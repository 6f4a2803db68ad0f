"""Fetching the text of files and snippets attached to a message.

Rules: the bot token goes only to Slack's file hosts (or the configured API host), over https
(plain http only for a loopback API host, i.e. tests); the size is capped before and while reading;
only text-like files are fetched; a redirect is never followed (the token must not travel to
another host, and Slack answers an unauthenticated request with a redirect to a login page).
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

TEXT_FILETYPES = frozenset({
    "text", "txt", "log", "python", "py", "shell", "bash", "sh", "json", "yaml", "yml", "xml",
    "csv", "tsv", "ini", "toml", "markdown", "md", "diff", "patch", "sql", "javascript", "js",
    "typescript", "go", "java", "ruby", "rust", "c", "cpp", "html", "post", "space", "dockerfile",
    "kotlin", "php", "perl", "scala", "swift", "powershell", "properties", "nginx", "apache",
})
TEXT_MIMETYPES = ("text/", "application/json", "application/xml", "application/x-yaml",
                  "application/yaml", "application/x-sh", "application/x-python")
SLACK_FILE_HOSTS = ("files.slack.com", "files.slack-gov.com", "files-edu.slack.com")


class FileRejected(Exception):
    """The file was not fetched; ``str(exc)`` is a short reason fit to show the user."""


@dataclass(frozen=True)
class FetchedFile:
    name: str
    text: str
    truncated: bool = False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None  # makes urllib raise HTTPError for the 3xx instead of following it


_OPENER = urllib.request.build_opener(_NoRedirect())


def is_text_file(f: dict[str, Any]) -> bool:
    if f.get("mode") == "snippet":
        return True
    ft = str(f.get("filetype") or "").lower()
    mt = str(f.get("mimetype") or "").lower()
    return ft in TEXT_FILETYPES or mt.startswith(TEXT_MIMETYPES)


class FileFetcher:
    def __init__(self, token: str, api_url: str, *, max_bytes: int, timeout: float,
                 extra_hosts: Iterable[str] = ()) -> None:
        self._token = token
        self.max_bytes = max_bytes
        self.timeout = timeout
        api = urlsplit(api_url)
        self._api_host = (api.hostname or "").lower()
        self._loopback_api = self._api_host in ("127.0.0.1", "localhost", "::1")
        self._hosts = {*SLACK_FILE_HOSTS, *(h.lower() for h in extra_hosts)}
        if self._api_host:
            self._hosts.add(self._api_host)

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host not in self._hosts:
            return False
        if parts.scheme == "https":
            return True
        return parts.scheme == "http" and self._loopback_api and host == self._api_host

    def fetch(self, f: dict[str, Any]) -> FetchedFile:
        name = str(f.get("name") or f.get("title") or f.get("id") or "file")[:200]
        if f.get("mode") in ("tombstone", "hidden_by_limit") or \
                f.get("file_access") == "access_denied":
            raise FileRejected(f"{name}: not accessible to the bot")
        if not is_text_file(f):
            kind = f.get("filetype") or f.get("mimetype")
            raise FileRejected(f"{name}: not a text file ({kind})")
        size = f.get("size")
        if isinstance(size, int) and size > self.max_bytes:
            raise FileRejected(
                f"{name}: {size // 1024} KiB is over the {self.max_bytes // 1024} KiB limit;"
                " paste the last lines around the error instead"
            )
        url = f.get("url_private_download") or f.get("url_private")
        if not isinstance(url, str) or not self._allowed(url):
            raise FileRejected(f"{name}: download address is not a Slack file host")
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {self._token}"})
        try:
            with _OPENER.open(req, timeout=self.timeout) as resp:
                ctype = str(resp.headers.get("Content-Type", "")).lower()
                if ctype.startswith("text/html"):
                    # Slack serves its login page instead of the file when auth failed.
                    raise FileRejected(f"{name}: Slack returned a web page, not the file")
                data = resp.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                raise FileRejected(f"{name}: Slack redirected the download; not following it")\
                    from None
            raise FileRejected(f"{name}: download failed (HTTP {exc.code})") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            log.warning("file download failed: %s: %s", name, type(exc).__name__)
            raise FileRejected(f"{name}: download failed") from None
        truncated = len(data) > self.max_bytes
        data = data[: self.max_bytes]
        if b"\x00" in data[:8192]:
            raise FileRejected(f"{name}: looks binary, not text")
        return FetchedFile(name=name, text=data.decode("utf-8", errors="replace"),
                           truncated=truncated)
