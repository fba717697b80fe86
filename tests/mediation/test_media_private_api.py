"""Guards for the private aiortc/aioice shapes the media server relies on.

If any of these fail after upgrading aiortc or aioice, the forwarding or the
loopback candidates silently break; fix mediation/passthrough.py,
mediation/forwarding.py, mediation/participant.py or mediation/ice.py first.
"""

from __future__ import annotations

import asyncio
import inspect
import socket

import aioice.ice
import aioice.turn
import aiortc
import pytest
from aiortc import RTCRtpTransceiver, rtcrtpreceiver
from aiortc.mediastreams import MediaStreamTrack

from mediation import ice, passthrough, sockets
from mediation.config import ConfigError, from_env
from mediation.forwarding import check_sender_shape


def test_receiver_decoder_worker_shape():
    passthrough.check_receiver_shape()
    assert rtcrtpreceiver.RemoteStreamTrack("video")._queue is not None
    assert aiortc.__version__ == "1.16.0", "re-check the private shapes, then bump this"


def test_install_replaces_decoder_worker_and_keeps_other_receivers_decoding():
    passthrough.install()
    assert rtcrtpreceiver.decoder_worker is passthrough.passthrough_worker

    class FakeTask:
        def __init__(self) -> None:
            self.items: list = []

    async def run() -> list:
        loop = asyncio.get_running_loop()
        import queue
        import threading

        from aiortc.jitterbuffer import JitterFrame
        from aiortc.rtcrtpparameters import RTCRtpCodecParameters

        codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
        marked = rtcrtpreceiver.RemoteStreamTrack("video")
        passthrough.mark_passthrough(marked)
        input_q: queue.Queue = queue.Queue()
        input_q.put((codec, JitterFrame(b"\x10\x02\x00\x9d\x01\x2a\x40\x01\xf0\x00", 1234)))
        input_q.put(None)
        thread = threading.Thread(target=rtcrtpreceiver.decoder_worker,
                                  args=(loop, input_q, marked._queue, threading.Event()))
        thread.start()
        first = await asyncio.wait_for(marked._queue.get(), 5)
        last = await asyncio.wait_for(marked._queue.get(), 5)
        thread.join()
        return [first, last]

    first, last = asyncio.run(run())
    assert isinstance(first, passthrough.EncodedFrame)
    assert first.timestamp == 1234 and first.is_keyframe and first.kind == "video"
    assert last is None


def test_sender_packs_av_packets_and_routes_pli():
    check_sender_shape()


def test_transceiver_private_fields():
    assert "_codecs" in inspect.getsource(RTCRtpTransceiver.__init__)
    assert "_offerDirection" in inspect.getsource(RTCRtpTransceiver.__init__)
    assert issubclass(passthrough.EncodedFrame, object)
    assert hasattr(MediaStreamTrack, "recv")


def test_aioice_host_addresses_patch():
    ice.check_aioice_shape()
    try:
        ice.install_host_addresses(["127.0.0.1", "::1"])
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1", "::1"]
    finally:
        ice.install_host_addresses([])
    assert aioice.ice.get_host_addresses is ice._original_get_host_addresses


def test_peer_connections_never_use_default_stun():
    pc = ice.new_peer_connection([])
    config = pc._RTCPeerConnection__configuration
    assert config.iceServers == []
    asyncio.run(pc.close())


def test_aioice_socket_buffer_setting_takes_effect():
    """aioice sizes each host socket from turn.UDP_SOCKET_BUFFER_SIZE: bind one and look."""
    sockets.check_buffer_shape()
    wanted = 1024 * 1024
    cap = sockets.kernel_cap() or wanted
    try:
        sockets.install_receive_buffers(wanted)

        async def gathered_buffer() -> int:
            ice.install_host_addresses(["127.0.0.1"])
            connection = aioice.Connection(ice_controlling=True)
            try:
                await connection.gather_candidates()
                sock = connection._protocols[0].transport.get_extra_info("socket")
                return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            finally:
                await connection.close()
                ice.install_host_addresses([])

        # Linux reports double the request (its bookkeeping), capped by net.core.rmem_max.
        assert asyncio.run(gathered_buffer()) >= min(wanted, cap)
    finally:
        sockets.install_receive_buffers(0)
    assert aioice.turn.UDP_SOCKET_BUFFER_SIZE == sockets.AIOICE_DEFAULT


def test_receive_buffer_setting_is_validated():
    assert from_env({"ODR_MEDIA_SECRET": "s"}).udp_receive_buffer == 4 * 1024 * 1024
    assert from_env({"ODR_MEDIA_SECRET": "s", "ODR_MEDIA_UDP_RECEIVE_BUFFER": "0"}).udp_receive_buffer == 0
    for bad in ("lots", "-1"):
        with pytest.raises(ConfigError, match="ODR_MEDIA_UDP_RECEIVE_BUFFER"):
            from_env({"ODR_MEDIA_SECRET": "s", "ODR_MEDIA_UDP_RECEIVE_BUFFER": bad})
