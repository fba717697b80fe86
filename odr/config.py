"""Settings from ``ODR_*`` environment variables, one class per running shape.

Defaults are safe for the embedded single-machine shape: SQLite and files under the
instance folder, no ICE servers (never a public STUN default), secure cookies when
``ODR_SECURE_COOKIES`` says the site is served over HTTPS.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw is not None else default


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def instance_path() -> Path:
    """Where the embedded default keeps its database, evidence and generated files."""
    return Path(_env("ODR_INSTANCE_PATH", str(ROOT / "instance"))).resolve()


def _secret_key(instance: Path) -> str:
    """Use ODR_SECRET_KEY, else a random key kept in the instance folder (never in git)."""
    key = _env("ODR_SECRET_KEY")
    if key:
        return key
    instance.mkdir(parents=True, exist_ok=True)
    keyfile = instance / "secret_key"
    if not keyfile.exists():
        keyfile.write_text(secrets.token_urlsafe(48))
        keyfile.chmod(0o600)
    return keyfile.read_text().strip()


class Config:
    """Production and embedded settings, read when the class is instantiated."""

    def __init__(self) -> None:
        inst = instance_path()
        self.INSTANCE_PATH = str(inst)
        self.SECRET_KEY = _secret_key(inst)
        self.SQLALCHEMY_DATABASE_URI = _env("ODR_DATABASE_URL", f"sqlite:///{inst / 'odr.sqlite'}")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.PUBLIC_URL = _env("ODR_PUBLIC_URL", "http://127.0.0.1:5000")
        self.MEDIA_URL = _env("ODR_MEDIA_URL", "http://127.0.0.1:5001")
        self.MEDIA_SECRET = _env("ODR_MEDIA_SECRET", self.SECRET_KEY)
        self.ICE_SERVERS = json.loads(_env("ODR_ICE_SERVERS", "[]") or "[]")
        self.MEDIA_HOST_ADDRESSES = _env("ODR_MEDIA_HOST_ADDRESSES", "127.0.0.1")
        self.STORAGE = _env("ODR_STORAGE", "local")
        self.STORAGE_PATH = _env("ODR_STORAGE_PATH", str(inst / "evidence"))
        self.DOCUMENTS_PATH = _env("ODR_DOCUMENTS_PATH", str(inst / "documents"))
        self.S3_BUCKET = _env("ODR_S3_BUCKET")
        self.S3_ENDPOINT_URL = _env("ODR_S3_ENDPOINT_URL")
        self.S3_REGION = _env("ODR_S3_REGION", "us-east-1")
        self.SMTP_HOST = _env("ODR_SMTP_HOST")
        self.SMTP_PORT = _env_int("ODR_SMTP_PORT", 25)
        self.SMTP_USERNAME = _env("ODR_SMTP_USERNAME")
        self.SMTP_PASSWORD = _env("ODR_SMTP_PASSWORD")
        self.SMTP_STARTTLS = _env_bool("ODR_SMTP_STARTTLS", False)
        self.MAIL_FROM = _env("ODR_MAIL_FROM", "odr@localhost")
        #: the largest request body outside the streamed uploads (forms, JSON, a PDF to verify)
        self.MAX_REQUEST_BYTES = _env_int("ODR_MAX_REQUEST_BYTES", 16 * 1024 * 1024)
        #: "" (off), "email", "sms" or "email,sms": agreement signers also enter a one-time code
        self.SIGNING_CODE_CHANNELS = _env("ODR_SIGNING_CODE_CHANNELS", "") or ""
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("ODR_SECURE_COOKIES", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = None
        self.BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LANGUAGES = ["zh_Hans_CN", "en"]
        self.RATELIMIT_STORAGE_URI = _env("ODR_RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = _env_bool("ODR_RATELIMIT_ENABLED", True)
        self.LOGIN_RATE_LIMIT = _env("ODR_LOGIN_RATE_LIMIT", "10 per minute")  # per address and account
        self.LOGIN_ADDRESS_RATE_LIMIT = _env("ODR_LOGIN_ADDRESS_RATE_LIMIT", "200 per minute")
        self.ARGON2_MEMORY_KIB = _env_int("ODR_ARGON2_MEMORY_KIB", 19 * 1024)
        self.ARGON2_TIME_COST = _env_int("ODR_ARGON2_TIME_COST", 2)
        self.API_TOKEN_TTL_HOURS = _env_int("ODR_API_TOKEN_TTL_HOURS", 12)
        self.MAX_UPLOAD_BYTES = _env_int("ODR_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
        self.CASE_QUOTA_BYTES = _env_int("ODR_CASE_QUOTA_BYTES", 2 * 1024 * 1024 * 1024)
        self.MAX_JSON_BYTES = _env_int("ODR_MAX_JSON_BYTES", 1024 * 1024)
        self.INVITATION_TTL_DAYS = _env_int("ODR_INVITATION_TTL_DAYS", 14)
        self.SCHEDULER_ENABLED = _env_bool("ODR_SCHEDULER_ENABLED", False)
        self.SESSION_MAX_MINUTES = _env_int("ODR_SESSION_MAX_MINUTES", 240)
        self.CONFIRMATION_TARGET_DAYS = _env_int("ODR_CONFIRMATION_TARGET_DAYS", 15)
        self.MEDIATION_PERIOD_DAYS = _env_int("ODR_MEDIATION_PERIOD_DAYS", 30)
        self.TESTING = False


class TestConfig(Config):
    """Tests: a throwaway instance folder and database chosen by the fixture."""

    __test__ = False  # not a pytest test class

    def __init__(self, instance: Path, database_url: str) -> None:
        os.environ.setdefault("ODR_SECRET_KEY", "test-secret-key")
        os.environ["ODR_INSTANCE_PATH"] = str(instance)
        super().__init__()
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.RATELIMIT_ENABLED = True
        self.SERVER_NAME = None
        # Still Argon2id (memory-hard), at a cost that keeps hundreds of test logins quick.
        self.ARGON2_MEMORY_KIB = 1024
        self.ARGON2_TIME_COST = 1
