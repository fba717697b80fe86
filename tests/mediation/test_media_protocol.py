"""Room tokens and callback signatures (pure stdlib, no network)."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from mediation.protocol import (
    CALLBACK_SIGNATURE_HEADER,
    RoomClaims,
    TokenError,
    event_body,
    sign_callback,
    sign_room_token,
    verify_callback,
    verify_room_token,
)

CLAIMS = {
    "session_id": 5, "case_id": 9, "user_id": 42, "display_name": "张三", "role": "party",
    "side": "applicant", "room_ends_at": "2030-01-01T10:00:00+08:00",
}


def test_token_round_trip():
    now = 1_800_000_000.0
    tok = sign_room_token("s3cret", CLAIMS, ttl_seconds=300, now=now)
    claims = verify_room_token("s3cret", tok, now=now + 299)
    assert isinstance(claims, RoomClaims)
    assert claims.user_id == 42 and claims.display_name == "张三" and claims.side == "applicant"
    assert claims.exp == int(now + 300)
    assert claims.room_ends_at_ts() == pytest.approx(1893463200.0)


def test_token_expired_and_tampered():
    now = 1_800_000_000.0
    tok = sign_room_token("s3cret", CLAIMS, ttl_seconds=300, now=now)
    with pytest.raises(TokenError) as err:
        verify_room_token("s3cret", tok, now=now + 300)
    assert err.value.code == "expired"
    with pytest.raises(TokenError) as err:
        verify_room_token("other", tok, now=now)
    assert err.value.code == "invalid"
    body, sig = tok.split(".")
    forged_body = sign_room_token("s3cret", {**CLAIMS, "role": "mediator"}, now=now).split(".")[0]
    for bad in (f"{forged_body}.{sig}", f"{body}.{sig[:-2]}AA", "", "a.b.c", f"{body}.%%%"):
        with pytest.raises(TokenError) as err:
            verify_room_token("s3cret", bad, now=now)
        assert err.value.code == "invalid"


def test_token_claims_are_validated():
    with pytest.raises(TokenError):
        sign_room_token("s", {**CLAIMS, "role": "admin"})
    with pytest.raises(TokenError):
        sign_room_token("s", {**CLAIMS, "side": "plaintiff"})
    with pytest.raises(TokenError):
        sign_room_token("s", {**CLAIMS, "room_ends_at": "tomorrow"})
    mediator = sign_room_token("s", {**CLAIMS, "role": "mediator", "side": None})
    assert verify_room_token("s", mediator).is_mediator


def test_callback_signature():
    body = b'{"event":"admitted"}'
    header = sign_callback("s3cret", body, now=1000)
    assert header.startswith("t=1000,v1=")
    assert verify_callback("s3cret", body, header, now=1100)
    assert not verify_callback("s3cret", body + b" ", header, now=1100)
    assert not verify_callback("other", body, header, now=1100)
    assert not verify_callback("s3cret", body, header, max_age=300, now=1301)
    assert not verify_callback("s3cret", body, None)
    assert not verify_callback("s3cret", body, "garbage")
    assert CALLBACK_SIGNATURE_HEADER == "X-ODR-Signature"


def test_token_key_and_callback_key_differ():
    """A callback signature can never pass as a token signature, and back."""
    tok = sign_room_token("s3cret", CLAIMS)
    body, sig = tok.split(".")
    header = sign_callback("s3cret", body.encode(), now=time.time())
    assert sig not in header


def test_event_body_shape():
    import json

    payload = json.loads(event_body("caucus_started", 5, participant_ids=["p-1"]))
    assert payload["event"] == "caucus_started" and payload["session_id"] == 5
    assert payload["participant_ids"] == ["p-1"] and payload["at"].endswith("+00:00")
    with pytest.raises(ValueError):
        event_body("party_time", 5)


def test_protocol_imports_only_stdlib():
    """odr/ imports this module; it must not drag aiortc or av into the web app."""
    tree = ast.parse(Path(__file__).resolve().parents[2].joinpath("mediation/protocol.py").read_text())
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= {"__future__", "base64", "binascii", "hashlib", "hmac", "json", "time",
                       "dataclasses", "datetime", "typing"}
