"""Loopback-only network failure lab for the rules/network reproductions.

Everything here listens on 127.0.0.1 and every client connects only to 127.0.0.1
(names are resolved from a private /etc/hosts inside a mount namespace, never by DNS).

Each scenario runs a tiny client script (``app.py``) in a fresh interpreter, so the
captured text is exactly the traceback a user would paste. ``python -m
tests.repro.network.netlab write`` regenerates the committed samples.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro.harness import free_port

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules" / "network"
CLIENT_TIMEOUT = 20  # seconds a client subprocess may run


# --------------------------------------------------------------------------- certificates


@dataclass
class Pki:
    dir: Path
    root_ca: Path  # trusted root (the client's cafile)
    good_chain: Path  # leaf(localhost) + intermediate
    good_key: Path
    leaf_only: Path  # leaf(localhost) without its intermediate
    expired_chain: Path
    wrong_host_chain: Path
    future_chain: Path  # not valid yet: what a client with a clock behind sees
    self_signed: Path
    self_signed_key: Path
    proxy_chain: Path  # leaf + untrusted "proxy" root, like an intercepting proxy sends
    proxy_key: Path


def make_pki(where: Path) -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)

    def key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject, pub, issuer, signer, *, ca, sans=(), start=now - day, end=now + 30 * day):
        b = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            b = b.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        if sans:
            alt: list[x509.GeneralName] = []
            for s in sans:
                if re.fullmatch(r"[\d.]+", s):
                    import ipaddress

                    alt.append(x509.IPAddress(ipaddress.ip_address(s)))
                else:
                    alt.append(x509.DNSName(s))
            b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return b.sign(signer, hashes.SHA256())

    def pem(*certs) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    def pkey(k) -> bytes:
        return k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    root_k, int_k, leaf_k, self_k, proxy_k = key(), key(), key(), key(), key()
    root = cert("KB Test Root CA", root_k.public_key(), "KB Test Root CA", root_k, ca=True)
    inter = cert("KB Test Issuing CA", int_k.public_key(), "KB Test Root CA", root_k, ca=True)
    local = ("localhost", "127.0.0.1", "api.internal")
    leaf = cert("localhost", leaf_k.public_key(), "KB Test Issuing CA", int_k, ca=False, sans=local)
    expired = cert(
        "localhost", leaf_k.public_key(), "KB Test Issuing CA", int_k, ca=False, sans=local,
        start=now - 60 * day, end=now - 2 * day,
    )
    future = cert(
        "localhost", leaf_k.public_key(), "KB Test Issuing CA", int_k, ca=False, sans=local,
        start=now + 3 * day, end=now + 90 * day,
    )
    wrong = cert(
        "billing.example.com", leaf_k.public_key(), "KB Test Issuing CA", int_k, ca=False,
        sans=("billing.example.com",),
    )
    selfs = cert("localhost", self_k.public_key(), "localhost", self_k, ca=False, sans=local)
    proxy_root = cert(
        "Corp Inspection Root", proxy_k.public_key(), "Corp Inspection Root", proxy_k, ca=True
    )
    proxy_leaf = cert(
        "localhost", leaf_k.public_key(), "Corp Inspection Root", proxy_k, ca=False, sans=local
    )

    files = {
        "root_ca": pem(root),
        "good_chain": pem(leaf, inter),
        "good_key": pkey(leaf_k),
        "leaf_only": pem(leaf),
        "expired_chain": pem(expired, inter),
        "wrong_host_chain": pem(wrong, inter),
        "future_chain": pem(future, inter),
        "self_signed": pem(selfs),
        "self_signed_key": pkey(self_k),
        "proxy_chain": pem(proxy_leaf, proxy_root),
        "proxy_key": pkey(leaf_k),
    }
    paths = {}
    for attr, data in files.items():
        p = where / f"{attr}.pem"
        p.write_bytes(data)
        paths[attr] = p
    return Pki(dir=where, **paths)


# --------------------------------------------------------------------------- servers


class Server:
    """A threaded loopback TCP server with a per-connection behaviour."""

    def __init__(self, mode: str, ctx: ssl.SSLContext | None = None, backlog: int = 16):
        self.mode = mode
        self.ctx = ctx
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.held: list[socket.socket] = []
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Server:
        if self.mode == "backlog-full":
            # Never accept; one queued connection fills a listen(0) queue, so later SYNs
            # are dropped and clients see a connect timeout.
            filler = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            self.held.append(filler)
        else:
            self.sock.settimeout(0.2)
            self.thread = threading.Thread(target=self._serve, daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread:
            self.thread.join(timeout=5)
        for s in self.held:
            with contextlib.suppress(OSError):
                s.close()
        self.sock.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> bytes:
        conn.settimeout(5)
        data = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data

    def _handle(self, conn: socket.socket) -> None:
        mode = self.mode
        try:
            if mode == "eof-in-handshake":
                conn.settimeout(5)
                conn.recv(4096)  # the ClientHello
                conn.close()
                return
            if mode == "plain-http":
                conn.settimeout(5)
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()
                return
            if self.ctx is not None:
                conn.settimeout(5)
                conn = self.ctx.wrap_socket(conn, server_side=True)
            self._read_request(conn)
            if mode == "ok":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                conn.close()
            elif mode == "reset":
                linger = struct.pack("ii", 1, 0)  # l_onoff=1, l_linger=0: close sends RST
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                conn.close()
            elif mode == "close":
                conn.close()
            elif mode == "truncate":
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 2048\r\n\r\n{\"items\": ["
                )
                conn.close()
            elif mode == "status503":
                conn.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
                )
                conn.close()
            elif mode == "hang":
                self.held.append(conn)
                self.stop.wait(CLIENT_TIMEOUT)
            elif mode == "slow-ok":
                # answers, but slowly: a pool of 1 stays busy while the next request waits
                self.stop.wait(2)
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    conn.close()
        except (OSError, ssl.SSLError):
            with contextlib.suppress(OSError):
                conn.close()


def tls_context(chain: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    return ctx


# --------------------------------------------------------------------------- clients

SITE = re.escape(str(Path(ssl.__file__).parent))  # .../lib/python3.11


def scrub_paths(text: str, workdir: Path) -> str:
    """Neutralise machine paths: the temp dir becomes /app, the stdlib /usr/local/lib/..."""
    text = text.replace(str(workdir), "/app")
    text = re.sub(SITE, "/usr/local/lib/python3.11", text)
    text = text.replace(sys.executable, "/usr/local/bin/python3")
    return text


def run_client(
    code: str,
    *,
    env: dict[str, str] | None = None,
    hosts: dict[str, str] | None = None,
    dns: str | None = None,
) -> str:
    """Run ``code`` as /app/app.py in a fresh interpreter; return scrubbed stderr+stdout.

    hosts: map names to loopback addresses through a private /etc/hosts (and no DNS);
    dns: "nxdomain" (files only: unknown names fail at once) or "unreachable" (DNS at
    127.0.0.1:53 where nothing listens). Both need ``unshare -m`` (root), and both keep
    every lookup on this machine.
    """
    work = Path(tempfile.mkdtemp(prefix="kbnet-"))
    try:
        (work / "app.py").write_text(code)
        cmd = [sys.executable, "app.py"]
        if hosts is not None or dns is not None:
            lines = ["127.0.0.1 localhost"] + [f"{ip} {name}" for name, ip in (hosts or {}).items()]
            (work / "hosts").write_text("\n".join(lines) + "\n")
            (work / "nsswitch.conf").write_text(
                "hosts: files dns\n" if dns == "unreachable" else "hosts: files\n"
            )
            (work / "resolv.conf").write_text(
                "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
            )
            script = (
                f"mount --bind {work}/hosts /etc/hosts && "
                f"mount --bind {work}/nsswitch.conf /etc/nsswitch.conf && "
                f"mount --bind {work}/resolv.conf /etc/resolv.conf && "
                f"exec {sys.executable} app.py"
            )
            cmd = ["unshare", "-m", "sh", "-c", script]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("REQUESTS_", "SSL_"))}
        full_env.update({"PYTHONDONTWRITEBYTECODE": "1", "NO_PROXY": "*", "no_proxy": "*"})
        for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
            full_env.pop(k, None)
        full_env.update(env or {})
        proc = subprocess.run(
            cmd, cwd=work, env=full_env, capture_output=True, text=True, timeout=CLIENT_TIMEOUT
        )
        return scrub_paths(proc.stdout + proc.stderr, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    sample: str  # file name under rules/network/
    expect: str  # "page/cause" that must rank first
    server: str | None  # Server mode, or None
    tls: str | None  # which certificate the server presents (Pki attribute), or None
    code: str  # client code; {port}, {ca}, {dir} are filled in
    env: tuple[tuple[str, str], ...] = ()
    hosts: tuple[tuple[str, str], ...] | None = None
    dns: str | None = None
    slow: bool = False


TLS = "tls-certificate-verify-failed"
PROTO = "tls-handshake-errors"
DNS = "dns-resolution-failure"
REFUSED = "connection-refused"
RESET = "connection-reset"
TIMEOUT = "http-client-timeouts"

REQ = "import requests\n"


def aio(url: str) -> str:
    """An aiohttp client (sock_read timeout 1 s) fetching ``url``."""
    return (
        "import asyncio\n\nimport aiohttp\n\n\nasync def main():\n"
        "    timeout = aiohttp.ClientTimeout(total=None, sock_read=1)\n"
        "    async with aiohttp.ClientSession(timeout=timeout) as session:\n"
        f"        async with session.get({url!r}) as resp:\n"
        "            print(resp.status)\n\n\nasyncio.run(main())\n"
    )

SCENARIOS: list[Scenario] = [
    # --- certificate verification -------------------------------------------------
    Scenario(
        f"{TLS}.self-signed-server-cert.pos.log", f"{TLS}/self-signed-server-cert",
        "ok", "self_signed",
        REQ + 'r = requests.get("https://localhost:{port}/health", timeout=5)\n',
    ),
    Scenario(
        f"{TLS}.intercepting-proxy-ca.pos.log", f"{TLS}/intercepting-proxy-ca",
        "ok", "proxy_chain",
        REQ + 'r = requests.get("https://localhost:{port}/v1/items", timeout=5)\n',
    ),
    Scenario(
        f"{TLS}.expired-certificate.pos.log", f"{TLS}/expired-certificate",
        "ok", "expired_chain",
        REQ + 'r = requests.get("https://localhost:{port}/", verify="{ca}", timeout=5)\n',
    ),
    Scenario(
        f"{TLS}.expired-certificate.pos.httpx.log", f"{TLS}/expired-certificate",
        "ok", "expired_chain",
        "import ssl\nimport httpx\n\n"
        'ctx = ssl.create_default_context(cafile="{ca}")\n'
        'r = httpx.get("https://localhost:{port}/", verify=ctx, timeout=5)\n',
    ),
    Scenario(
        f"{TLS}.hostname-mismatch.pos.log", f"{TLS}/hostname-mismatch",
        "ok", "wrong_host_chain",
        REQ + 'r = requests.get("https://localhost:{port}/", verify="{ca}", timeout=5)\n',
    ),
    Scenario(
        f"{TLS}.incomplete-chain.pos.log", f"{TLS}/incomplete-chain",
        "ok", "leaf_only",
        REQ + 'r = requests.get("https://localhost:{port}/", verify="{ca}", timeout=5)\n',
    ),
    Scenario(
        f"{TLS}.system-ca-store-missing.pos.log", f"{TLS}/system-ca-store-missing",
        "ok", "good_chain",
        "import urllib.request\n\n"
        'with urllib.request.urlopen("https://localhost:{port}/", timeout=5) as resp:\n'
        "    print(resp.status)\n",
        env=(("SSL_CERT_FILE", "/etc/ssl/certs/missing-bundle.pem"),
             ("SSL_CERT_DIR", "/nonexistent")),
    ),
    Scenario(
        f"{TLS}.ca-bundle-path-invalid.pos.log", f"{TLS}/ca-bundle-path-invalid",
        "ok", "good_chain",
        REQ + 'r = requests.get("https://localhost:{port}/", timeout=5)\n',
        env=(("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/corp-ca-bundle.pem"),),
    ),
    Scenario(
        f"{TLS}.clock-skew.pos.log", f"{TLS}/clock-skew",
        "ok", "future_chain",
        REQ + 'r = requests.get("https://localhost:{port}/", verify="{ca}", timeout=5)\n',
    ),
    # --- handshake / protocol ----------------------------------------------------
    Scenario(
        f"{PROTO}.https-to-plain-http-port.pos.log", f"{PROTO}/https-to-plain-http-port",
        "plain-http", None,
        REQ + 'r = requests.get("https://localhost:{port}/", timeout=5)\n',
    ),
    Scenario(
        f"{PROTO}.eof-during-handshake.pos.log", f"{PROTO}/eof-during-handshake",
        "eof-in-handshake", None,
        REQ + 'r = requests.get("https://localhost:{port}/", timeout=5)\n',
    ),
    # --- DNS ---------------------------------------------------------------------
    Scenario(
        f"{DNS}.name-does-not-exist.pos.log", f"{DNS}/name-does-not-exist",
        None, None,
        REQ + 'r = requests.get("http://orders-api.invalid:8080/orders", timeout=5)\n',
        dns="nxdomain",
    ),
    Scenario(
        f"{DNS}.name-does-not-exist.pos.socket.log", f"{DNS}/name-does-not-exist",
        None, None,
        "import socket\n\n"
        'addr = socket.getaddrinfo("db.example.invalid", 5432)\n',
        dns="nxdomain",
    ),
    Scenario(
        f"{DNS}.resolver-unreachable.pos.log", f"{DNS}/resolver-unreachable",
        None, None,
        REQ + 'r = requests.get("http://orders-api.invalid:8080/orders", timeout=5)\n',
        dns="unreachable",
    ),
    Scenario(
        f"{DNS}.resolver-unreachable.pos.httpx.log", f"{DNS}/resolver-unreachable",
        None, None,
        "import httpx\n\n"
        'r = httpx.get("http://orders-api.invalid:8080/orders", timeout=5)\n',
        dns="unreachable",
    ),
    Scenario(
        f"{DNS}.own-hostname-unresolvable.pos.log", f"{DNS}/own-hostname-unresolvable",
        None, None,
        "import socket\n\n"
        "local_ip = socket.gethostbyname(socket.gethostname())\n"
        "print(local_ip)\n",
        dns="nxdomain",
    ),
    # --- connection refused -------------------------------------------------------
    Scenario(
        f"{REFUSED}.nothing-listening.pos.log", f"{REFUSED}/nothing-listening",
        None, None,
        REQ + 'r = requests.get("http://orders-api:{port}/orders", timeout=5)\n',
        hosts=(("orders-api", "127.0.0.1"),),
    ),
    Scenario(
        f"{REFUSED}.nothing-listening.pos.httpx.log", f"{REFUSED}/nothing-listening",
        None, None,
        "import httpx\n\n"
        'r = httpx.get("http://orders-api:{port}/orders", timeout=5)\n',
        hosts=(("orders-api", "127.0.0.1"),),
    ),
    Scenario(
        f"{REFUSED}.localhost-inside-container.pos.log", f"{REFUSED}/localhost-inside-container",
        None, None,
        REQ + 'r = requests.get("http://localhost:{port}/api/users", timeout=5)\n',
    ),
    # --- reset / disconnect --------------------------------------------------------
    Scenario(
        f"{RESET}.reset-by-peer.pos.log", f"{RESET}/reset-by-peer",
        "reset", None,
        REQ + 'r = requests.get("http://localhost:{port}/report", timeout=5)\n',
    ),
    Scenario(
        f"{RESET}.reset-by-peer.pos.urllib.log", f"{RESET}/reset-by-peer",
        "reset", None,
        "import urllib.request\n\n"
        'with urllib.request.urlopen("http://localhost:{port}/report", timeout=5) as r:\n'
        "    print(r.read())\n",
    ),
    Scenario(
        f"{RESET}.closed-without-response.pos.log", f"{RESET}/closed-without-response",
        "close", None,
        REQ + 'r = requests.get("http://localhost:{port}/report", timeout=5)\n',
    ),
    Scenario(
        f"{RESET}.closed-without-response.pos.httpx.log", f"{RESET}/closed-without-response",
        "close", None,
        "import httpx\n\n"
        'r = httpx.get("http://localhost:{port}/report", timeout=5)\n',
    ),
    Scenario(
        f"{RESET}.response-truncated.pos.log", f"{RESET}/response-truncated",
        "truncate", None,
        REQ + 'r = requests.get("http://localhost:{port}/export", timeout=5)\n'
        "print(len(r.content))\n",
    ),
    # --- aiohttp -------------------------------------------------------------------
    Scenario(
        f"{REFUSED}.nothing-listening.pos.aiohttp.log", f"{REFUSED}/nothing-listening",
        None, None, aio("http://orders-api:{port}/orders"),
        hosts=(("orders-api", "127.0.0.1"),),
    ),
    Scenario(
        f"{DNS}.name-does-not-exist.pos.aiohttp.log", f"{DNS}/name-does-not-exist",
        None, None, aio("http://orders-api.invalid:8080/orders"), dns="nxdomain",
    ),
    Scenario(
        f"{TLS}.self-signed-server-cert.pos.aiohttp.log", f"{TLS}/self-signed-server-cert",
        "ok", "self_signed", aio("https://localhost:{port}/health"),
    ),
    Scenario(
        f"{TLS}.system-ca-store-missing.pos.aiohttp.log", f"{TLS}/system-ca-store-missing",
        "ok", "good_chain", aio("https://localhost:{port}/health"),
        env=(("SSL_CERT_FILE", "/etc/ssl/certs/missing-bundle.pem"),
             ("SSL_CERT_DIR", "/nonexistent")),
    ),
    Scenario(
        f"{RESET}.reset-by-peer.pos.aiohttp.log", f"{RESET}/reset-by-peer",
        "reset", None, aio("http://localhost:{port}/report"),
    ),
    Scenario(
        f"{RESET}.closed-without-response.pos.aiohttp.log", f"{RESET}/closed-without-response",
        "close", None, aio("http://localhost:{port}/report"),
    ),
    Scenario(
        f"{TIMEOUT}.read-timeout.pos.aiohttp.log", f"{TIMEOUT}/read-timeout",
        "hang", None, aio("http://localhost:{port}/slow-report"), slow=True,
    ),
    # --- timeouts ------------------------------------------------------------------
    Scenario(
        f"{TIMEOUT}.read-timeout.pos.log", f"{TIMEOUT}/read-timeout",
        "hang", None,
        REQ + 'r = requests.get("http://localhost:{port}/slow-report", timeout=(3.05, 1))\n',
        slow=True,
    ),
    Scenario(
        f"{TIMEOUT}.read-timeout.pos.httpx.log", f"{TIMEOUT}/read-timeout",
        "hang", None,
        "import httpx\n\n"
        'r = httpx.get("http://localhost:{port}/slow-report", timeout=1.0)\n',
        slow=True,
    ),
    Scenario(
        f"{TIMEOUT}.connect-timeout.pos.log", f"{TIMEOUT}/connect-timeout",
        "backlog-full", None,
        REQ + 'r = requests.get("http://payments:{port}/charge", timeout=(1, 10))\n',
        hosts=(("payments", "127.0.0.1"),),
        slow=True,
    ),
    Scenario(
        f"{TIMEOUT}.connect-timeout.pos.httpx.log", f"{TIMEOUT}/connect-timeout",
        "backlog-full", None,
        "import httpx\n\n"
        'r = httpx.get("http://payments:{port}/charge", timeout=httpx.Timeout(10, connect=1))\n',
        hosts=(("payments", "127.0.0.1"),),
        slow=True,
    ),
    Scenario(
        f"{TIMEOUT}.pool-exhausted.pos.log", f"{TIMEOUT}/pool-exhausted",
        "slow-ok", None,
        "import asyncio\n\nimport httpx\n\n\n"
        "async def main():\n"
        "    limits = httpx.Limits(max_connections=1)\n"
        "    timeout = httpx.Timeout(10, pool=0.5)\n"
        "    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:\n"
        '        url = "http://localhost:{port}/items"\n'
        "        await asyncio.gather(*(client.get(url) for _ in range(3)))\n\n\n"
        "asyncio.run(main())\n",
        slow=True,
    ),
    Scenario(
        f"{TIMEOUT}.retries-exhausted-on-status.pos.log", f"{TIMEOUT}/retries-exhausted-on-status",
        "status503", None,
        REQ + "from requests.adapters import HTTPAdapter\nfrom urllib3.util.retry import Retry\n\n"
        "session = requests.Session()\n"
        "retry = Retry(total=3, backoff_factor=0.1, status_forcelist=[502, 503, 504])\n"
        'session.mount("http://", HTTPAdapter(max_retries=retry))\n'
        'r = session.get("http://localhost:{port}/quote", timeout=5)\n',
    ),
]


def _neg(sample: str, like: str) -> Scenario:
    """A near-miss: the real capture of another scenario, which must NOT report the cause."""
    base = next(s for s in SCENARIOS if s.sample == like)
    page, cause = sample.split(".")[:2]
    return Scenario(
        sample, f"{page}/{cause}", base.server, base.tls, base.code, base.env, base.hosts,
        base.dns, base.slow,
    )


NEGATIVES: list[Scenario] = [
    _neg(f"{TLS}.self-signed-server-cert.neg.log", f"{TLS}.intercepting-proxy-ca.pos.log"),
    _neg(f"{TLS}.intercepting-proxy-ca.neg.log", f"{TLS}.self-signed-server-cert.pos.log"),
    _neg(f"{TLS}.expired-certificate.neg.log", f"{TLS}.clock-skew.pos.log"),
    _neg(f"{TLS}.clock-skew.neg.log", f"{TLS}.expired-certificate.pos.log"),
    _neg(f"{TLS}.hostname-mismatch.neg.log", f"{TLS}.expired-certificate.pos.httpx.log"),
    _neg(f"{TLS}.incomplete-chain.neg.log", f"{TLS}.hostname-mismatch.pos.log"),
    _neg(f"{TLS}.system-ca-store-missing.neg.log", f"{TLS}.incomplete-chain.pos.log"),
    _neg(f"{TLS}.macos-python-org-certificates.neg.log", f"{TLS}.system-ca-store-missing.pos.log"),
    _neg(f"{TLS}.ca-bundle-path-invalid.neg.log", f"{TLS}.incomplete-chain.pos.log"),
    _neg(f"{PROTO}.https-to-plain-http-port.neg.log", f"{PROTO}.eof-during-handshake.pos.log"),
    _neg(f"{PROTO}.eof-during-handshake.neg.log", f"{PROTO}.https-to-plain-http-port.pos.log"),
    _neg(f"{DNS}.name-does-not-exist.neg.log", f"{DNS}.resolver-unreachable.pos.log"),
    _neg(f"{DNS}.resolver-unreachable.neg.log", f"{DNS}.name-does-not-exist.pos.log"),
    _neg(f"{DNS}.own-hostname-unresolvable.neg.log", f"{DNS}.name-does-not-exist.pos.socket.log"),
    _neg(f"{REFUSED}.nothing-listening.neg.log", f"{TIMEOUT}.connect-timeout.pos.log"),
    _neg(f"{REFUSED}.localhost-inside-container.neg.log", f"{REFUSED}.nothing-listening.pos.log"),
    _neg(f"{RESET}.reset-by-peer.neg.log", f"{RESET}.closed-without-response.pos.log"),
    _neg(f"{RESET}.closed-without-response.neg.log", f"{RESET}.reset-by-peer.pos.log"),
    _neg(f"{RESET}.response-truncated.neg.log", f"{RESET}.closed-without-response.pos.log"),
    _neg(f"{TIMEOUT}.read-timeout.neg.log", f"{TIMEOUT}.connect-timeout.pos.log"),
    _neg(f"{TIMEOUT}.connect-timeout.neg.log", f"{TIMEOUT}.read-timeout.pos.log"),
    _neg(f"{TIMEOUT}.pool-exhausted.neg.log", f"{TIMEOUT}.read-timeout.pos.httpx.log"),
    _neg(
        f"{TIMEOUT}.retries-exhausted-on-status.neg.log", f"{REFUSED}.nothing-listening.pos.log"
    ),
]
ALL = SCENARIOS + NEGATIVES


@contextlib.contextmanager
def lab() -> Iterator[Pki]:
    with tempfile.TemporaryDirectory(prefix="kbpki-") as d:
        yield make_pki(Path(d))


def capture(sc: Scenario, pki: Pki) -> str:
    """Start the scenario's server (if any), run its client, return the scrubbed output."""
    ctx = None
    if sc.tls:
        key = {"self_signed": pki.self_signed_key, "proxy_chain": pki.proxy_key}.get(
            sc.tls, pki.good_key
        )
        ctx = tls_context(getattr(pki, sc.tls), key)
    hosts = dict(sc.hosts) if sc.hosts is not None else None
    if sc.server is None:
        code = sc.code.replace("{port}", str(free_port()))
        return run_client(code, env=dict(sc.env), hosts=hosts, dns=sc.dns)
    backlog = 0 if sc.server == "backlog-full" else 16
    with Server(sc.server, ctx, backlog=backlog) as srv:
        code = sc.code.replace("{port}", str(srv.port)).replace("{ca}", str(pki.root_ca))
        out = run_client(code, env=dict(sc.env), hosts=hosts, dns=sc.dns)
    return out.replace(str(pki.root_ca), "/app/certs/ca.pem")


def main(argv: list[str]) -> int:
    if argv[:1] != ["write"]:
        print("usage: python -m tests.repro.network.netlab write [sample-substring]")
        return 2
    only = argv[1] if len(argv) > 1 else ""
    with lab() as pki:
        for sc in ALL:
            if only not in sc.sample:
                continue
            out = capture(sc, pki)
            (RULES / sc.sample).write_text(out)
            print(f"--- {sc.sample}\n{out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
