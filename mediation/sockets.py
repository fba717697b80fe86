"""Bigger kernel receive buffers for the ICE agents' UDP sockets.

Why: asyncio reads one datagram per socket per turn of the event loop. When the
loop is busy for a few tens of milliseconds (a dozen rooms forwarding keyframes
at once, a garbage collection), packets queue in the kernel; once a socket's
receive buffer is full Linux drops them (``RcvbufErrors`` in ``/proc/net/snmp``).
One lost packet of a VP8 frame freezes that subscriber's picture until the
frame is retransmitted or the next keyframe arrives.

aioice sizes every host socket it opens to ``aioice.turn.UDP_SOCKET_BUFFER_SIZE``
(256 KiB), a module constant it reads each time, so setting it is enough. The
kernel caps the request at ``net.core.rmem_max`` (Debian's default is 208 KiB);
the server warns once at start when the cap is lower than asked.
``tests/mediation/test_media_private_api.py`` fails loudly if aioice's shape changes.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import aioice.ice
import aioice.turn

logger = logging.getLogger(__name__)

AIOICE_DEFAULT = aioice.turn.UDP_SOCKET_BUFFER_SIZE
RMEM_MAX = Path("/proc/sys/net/core/rmem_max")


def check_buffer_shape() -> None:
    """Raise unless aioice still sizes its host sockets from ``turn.UDP_SOCKET_BUFFER_SIZE``."""
    source = inspect.getsource(aioice.ice.Connection)
    if "turn.UDP_SOCKET_BUFFER_SIZE" not in source:
        raise RuntimeError("aioice no longer sizes host sockets from turn.UDP_SOCKET_BUFFER_SIZE")


def kernel_cap() -> int | None:
    """``net.core.rmem_max`` in bytes, or None where it cannot be read (not Linux)."""
    try:
        return int(RMEM_MAX.read_text().strip())
    except (OSError, ValueError):
        return None


def install_receive_buffers(size: int) -> None:
    """Ask for ``size``-byte receive buffers on every UDP socket aioice opens from now on.

    ``0`` restores aioice's own size.
    """
    check_buffer_shape()
    aioice.turn.UDP_SOCKET_BUFFER_SIZE = size if size > 0 else AIOICE_DEFAULT
    cap = kernel_cap()
    if size > 0 and cap is not None and cap < size:
        logger.warning("UDP receive buffers capped at %d bytes by net.core.rmem_max (asked %d); "
                       "raise it with sysctl for busy servers", cap, size)
