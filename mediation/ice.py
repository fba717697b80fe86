"""ICE configuration: explicit ICE servers and explicit host candidate addresses.

Two aiortc/aioice defaults are wrong for this service (DESIGN.md, "Video on one
machine, safely"):

* ``RTCPeerConnection()`` without a configuration silently uses a public Google
  STUN server.  :func:`new_peer_connection` always passes the configured list
  (possibly empty).
* ``aioice.ice.get_host_addresses`` leaves out 127.0.0.1, so a loopback-only host
  (tests, a single machine) gathers no candidates at all.  aioice looks that
  function up in its module namespace each time it gathers, so
  :func:`install_host_addresses` swaps it for one returning the configured
  list.  The swap is process-wide, which is what a media server process wants;
  ``tests/mediation/test_private_api.py`` fails loudly if aioice's shape changes.

The bundle policy is ``max-bundle``: with aiortc's default (``balanced``) a
second m-line of the same kind is created on the first one's transport and
marked bundled before the offer's BUNDLE group is applied, so every extra
video slot ends up on a transport that never connects.  Every client in this
design bundles everything anyway (browsers do).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable

import aioice.ice
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCPeerConnection

logger = logging.getLogger(__name__)

_original_get_host_addresses: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses


def check_aioice_shape() -> None:
    """Raise if aioice no longer gathers host addresses the way we patch."""
    params = list(inspect.signature(_original_get_host_addresses).parameters)
    if params != ["use_ipv4", "use_ipv6"]:
        raise RuntimeError(f"aioice.ice.get_host_addresses changed signature: {params}")
    source = inspect.getsource(aioice.ice.Connection.gather_candidates)
    if "get_host_addresses(" not in source:
        raise RuntimeError("aioice Connection.gather_candidates no longer calls get_host_addresses")


def install_host_addresses(addresses: list[str]) -> None:
    """Make every ICE agent in this process gather exactly ``addresses``.

    An empty list restores aioice's own discovery.
    """
    check_aioice_shape()
    if not addresses:
        aioice.ice.get_host_addresses = _original_get_host_addresses
        return
    fixed = list(addresses)

    def configured_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in fixed if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = configured_host_addresses
    logger.info("ICE host candidates limited to %s", ", ".join(fixed))


def rtc_configuration(ice_servers: list[dict]) -> RTCConfiguration:
    """An RTCConfiguration from ``ODR_ICE_SERVERS`` dicts; never aiortc's default."""
    servers = [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in ice_servers
    ]
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def new_peer_connection(ice_servers: list[dict]) -> RTCPeerConnection:
    """The only way this package creates peer connections."""
    return RTCPeerConnection(rtc_configuration(ice_servers))
