"""Tuning of the Streamlit server process the app runs in (no Streamlit import needed).

:func:`set_tcp_nodelay`: Streamlit's server (1.67, uvicorn) creates its listening socket as
``socket.socket(family)``, with protocol number 0, and asyncio switches Nagle's algorithm off
(``TCP_NODELAY``) only for sockets whose protocol is ``IPPROTO_TCP``
(``asyncio.base_events._set_nodelay``), so every connection keeps it on. Then on a kept-alive
connection a small response's body, written after its headers, waits for the browser's
delayed acknowledgement of the headers: about 40 ms for each script chunk, style sheet,
component file and map file after the first on a connection (measured on loopback: headers
after 2-5 ms, body after 42-48 ms; 3-5 ms with ``TCP_NODELAY``). A page of the app makes
dozens of such requests before its map can draw.
"""

from __future__ import annotations

import functools
import os
import socket

__all__ = ["set_tcp_nodelay", "tune_once"]

_FD_DIRS = ("/proc/self/fd", "/dev/fd")  # Linux, macOS


def set_tcp_nodelay() -> int:
    """Switch Nagle's algorithm off on this process's TCP sockets, listening ones included
    (on Linux a connection accepted later inherits the listening socket's setting).

    Returns the number of sockets set. Safe to call again; does nothing where open file
    descriptors cannot be listed (Windows) and skips anything that is not a TCP socket.
    """
    for fd_dir in _FD_DIRS:
        try:
            fds = [int(name) for name in os.listdir(fd_dir) if name.isdigit()]
        except OSError:
            continue
        return sum(_set_nodelay(fd) for fd in fds)
    return 0


@functools.cache
def tune_once() -> int:
    """:func:`set_tcp_nodelay` the first time it is called in this process (the app calls it
    at every script run; the first run sets the listening socket, later connections inherit
    it); the number of sockets set then."""
    return set_tcp_nodelay()


def _set_nodelay(fd: int) -> bool:
    # a duplicate of the descriptor: closing it leaves the server's socket open, and the
    # option belongs to the socket, not to the descriptor
    try:
        dup = os.dup(fd)
    except OSError:  # closed meanwhile
        return False
    try:
        sock = socket.socket(fileno=dup)
    except OSError:  # not a socket
        os.close(dup)
        return False
    try:
        if sock.type != socket.SOCK_STREAM or sock.family not in (
            socket.AF_INET,
            socket.AF_INET6,
        ):
            return False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return True
    except OSError:
        return False
    finally:
        sock.close()
