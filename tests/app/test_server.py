"""app_pages.server: Nagle's algorithm off on the server's sockets (on this machine's kernel)."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from app_pages.server import set_tcp_nodelay, tune_once

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="accepted sockets inherit TCP_NODELAY on Linux"
)


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize(
    ("family", "host"),
    [
        (socket.AF_INET, "127.0.0.1"),
        pytest.param(
            socket.AF_INET6,
            "::1",
            marks=pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback"),
        ),
    ],
)
def test_listening_socket_and_its_connections_get_nodelay(family, host):
    # made as Streamlit's server makes it: protocol 0, so asyncio leaves Nagle on
    server = socket.socket(family)
    server.bind((host, 0))
    server.listen()
    read_end, write_end = os.pipe()  # not a socket: must be left alone, and left open
    try:
        assert server.proto == 0 and _nodelay(server) == 0
        assert set_tcp_nodelay() >= 1
        assert _nodelay(server) == 1
        with socket.create_connection(server.getsockname()[:2]) as client:
            conn, _ = server.accept()  # the listening socket still works
            with conn:
                assert _nodelay(conn) == 1  # inherited from the listening socket
                client.sendall(b"x")
                assert conn.recv(1) == b"x"
        os.write(write_end, b"y")
        assert os.read(read_end, 1) == b"y"
        assert set_tcp_nodelay() >= 1  # again: harmless
    finally:
        server.close()
        os.close(read_end)
        os.close(write_end)


def test_tune_once_sets_the_sockets_on_its_first_call_only():
    tune_once.cache_clear()
    server = socket.socket(socket.AF_INET)  # as Streamlit makes it
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        assert tune_once() >= 1 and _nodelay(server) == 1
        server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        tune_once()  # a later script run: nothing is done again
        assert _nodelay(server) == 0
    finally:
        server.close()
        tune_once.cache_clear()
