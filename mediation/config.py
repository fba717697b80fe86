"""Media server settings, read from ``ODR_*`` environment variables.

Kept apart from the aiohttp app so tests and the benchmark can build a
:class:`Settings` directly without touching the process environment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """The server cannot run safely with this configuration."""


@dataclass
class Settings:
    """Everything the media server needs to know; see mediation/README.md."""

    secret: str
    ice_servers: list[dict] = field(default_factory=list)
    host_addresses: list[str] = field(default_factory=list)
    callback_base: str | None = None
    recordings_dir: str = "instance/recordings"
    allowed_origins: list[str] = field(default_factory=list)
    grace_seconds: float = 15 * 60
    #: Longest room-token lifetime accepted (the web app issues 300 s): it bounds how
    #: long an ended room has to be remembered so that no valid token can reopen it.
    max_token_ttl: float = 60 * 60
    #: Kernel receive buffer per UDP socket (mediation/sockets.py); 0 keeps the OS default.
    udp_receive_buffer: int = 4 * 1024 * 1024
    callback_retries: int = 4
    callback_backoff: float = 1.0


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def parse_ice_servers(raw: str | None) -> list[dict]:
    """``ODR_ICE_SERVERS`` is a JSON list of RTCIceServer dicts (default: none)."""
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"ODR_ICE_SERVERS is not JSON: {exc}") from exc
    if not isinstance(value, list) or not all(isinstance(s, dict) and "urls" in s for s in value):
        raise ConfigError("ODR_ICE_SERVERS must be a JSON list of {urls, username?, credential?}")
    return value


def _int_setting(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number of bytes, not {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def from_env(env: dict[str, str] | None = None, dev: bool = False) -> Settings:
    """Build settings; refuse to run without a secret unless ``dev``."""
    env = dict(os.environ) if env is None else env
    secret = env.get("ODR_MEDIA_SECRET") or env.get("ODR_SECRET_KEY") or ""
    if not secret:
        if not dev:
            raise ConfigError("set ODR_MEDIA_SECRET (or ODR_SECRET_KEY), or pass --dev")
        secret = "dev-insecure-media-secret"
    public_url = (env.get("ODR_PUBLIC_URL") or "").rstrip("/") or None
    origins = [o.strip().rstrip("/") for o in env.get("ODR_MEDIA_ALLOWED_ORIGINS", "").split(",")]
    origins = [o for o in origins if o]
    if not origins and public_url:
        origins = [_origin_of(public_url)]
    hosts = [h.strip() for h in env.get("ODR_MEDIA_HOST_ADDRESSES", "").split(",") if h.strip()]
    return Settings(
        secret=secret,
        ice_servers=parse_ice_servers(env.get("ODR_ICE_SERVERS")),
        host_addresses=hosts,
        callback_base=public_url,
        recordings_dir=env.get("ODR_MEDIA_RECORDINGS_DIR") or "instance/recordings",
        allowed_origins=origins,
        grace_seconds=float(env.get("ODR_MEDIA_GRACE_SECONDS", 15 * 60)),
        max_token_ttl=float(env.get("ODR_MEDIA_MAX_TOKEN_TTL", 60 * 60)),
        udp_receive_buffer=_int_setting(env, "ODR_MEDIA_UDP_RECEIVE_BUFFER", 4 * 1024 * 1024),
    )
