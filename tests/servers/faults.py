"""A loopback TCP proxy that can break the network on purpose, for the fault tests.

Point a client at the proxy instead of the server, then switch the proxy: ``down()`` refuses
connections (a stopped server), ``blackhole()`` accepts and never answers (a timeout),
``cut_after(n)`` forwards ``n`` request bytes and then drops the connection (an upload torn
mid-body), ``up()`` forwards normally again.
"""

from __future__ import annotations

import socket
import threading

from .processes import free_port

__all__ = ["FaultyProxy"]


class FaultyProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.mode = "forward"
        self.cut_limit = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.up()

    # ── switches ─────────────────────────────────────────────────────────────────────────

    def up(self) -> None:
        self.mode = "forward"
        self._listen()

    def down(self) -> None:
        """Close the port and every open connection: clients get "connection refused"."""
        self.mode = "down"
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, []
        if listener is not None:
            _close(listener)  # shutdown wakes the thread blocked in accept()
        for connection in connections:
            _close(connection)

    def blackhole(self) -> None:
        self.down()
        self.mode = "blackhole"
        self._listen()

    def cut_after(self, limit: int) -> None:
        self.down()
        self.mode = "cut"
        self.cut_limit = limit
        self._listen()

    def close(self) -> None:
        self.down()

    # ── plumbing ─────────────────────────────────────────────────────────────────────────

    def _listen(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(client)
            if self.mode == "blackhole":
                continue  # hold it open, say nothing
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._connections.append(upstream)
            limit = self.cut_limit if self.mode == "cut" else None
            threading.Thread(target=self._pipe, args=(client, upstream, limit), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, None), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    sink.sendall(data[: max(0, limit - sent)])
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        _close(source)
        _close(sink)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
