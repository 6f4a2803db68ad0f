"""A TCP relay in front of PostgreSQL that can cut its connections abruptly, the way a NAT
gateway, a load balancer or a firewall with an idle timeout does."""

import contextlib
import socket
import threading
from urllib.parse import urlsplit


class Relay:
    def __init__(self, url):
        parts = urlsplit(url)
        self.target = (parts.hostname, parts.port or 5432)
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.port = self.lsock.getsockname()[1]
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.lsock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.socks += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def cut(self):
        for s in self.socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
