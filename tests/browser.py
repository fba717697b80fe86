"""How every browser test starts Debian's Chromium: exactly the flags DESIGN.md lists
("Video on one machine, safely") — loopback ICE, no mDNS hiding, fake camera and microphone,
and no background networking (the tests run in a loopback-only namespace)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
