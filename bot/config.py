"""Settings from the environment. This is the only module that reads `os.environ`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")


def _env(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    raw = _env(env, name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, not {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    assert value is not None
    if value <= 0:
        raise ConfigError(name, f"must be greater than 0, not {value}")
    return value


def _not_negative(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    assert value is not None
    if value < 0:
        raise ConfigError(name, f"must be 0 or more, not {value}")
    return value


def _positive_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _env(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number, not {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(name, f"must be greater than 0, not {raw!r}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _env(env, name)
    if raw is None:
        return default
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"must be true or false, not {raw!r}")


def _int_set(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = _env(env, name)
    if raw is None:
        return frozenset()
    try:
        return frozenset(int(part) for part in re.split(r"[,\s]+", raw) if part)
    except ValueError:
        raise ConfigError(name, "must be Telegram user ids separated by commas") from None


# Per municipality: STAFF_CHAT_ID_ASKER, VOLUNTEER_CHAT_ID_OCKERO, STAFF_USER_IDS_ASKER (the
# municipality's id in capitals, a hyphen written as "_").
STAFF_CHAT_PREFIX = "STAFF_CHAT_ID_"
VOLUNTEER_CHAT_PREFIX = "VOLUNTEER_CHAT_ID_"
STAFF_USERS_PREFIX = "STAFF_USER_IDS_"


def variable_for(prefix: str, municipality: str) -> str:
    """The environment variable that sets `prefix` for one municipality: STAFF_CHAT_ID_ASKER."""
    return prefix + municipality.upper().replace("-", "_")


def _suffixed(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    """The municipality ids the variables starting with `prefix` name, by variable."""
    return {
        name: name[len(prefix) :].lower().replace("_", "-")
        for name in env
        if name.startswith(prefix) and len(name) > len(prefix) and _env(env, name) is not None
    }


def _group_chats(env: Mapping[str, str], prefix: str) -> dict[str, int]:
    chats: dict[str, int] = {}
    for name, municipality in _suffixed(env, prefix).items():
        value = _int(env, name)
        assert value is not None
        if value >= 0:
            raise ConfigError(name, f"must be a Telegram group id (negative), not {value}")
        chats[municipality] = value
    return chats


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build it with `load_settings`."""

    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    data_dir: Path = Path("data")
    token: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    staff_chat_id: int | None = None
    volunteer_chat_id: int | None = None
    staff_user_ids: frozenset[int] = frozenset()
    # Per municipality id, from the environment: they win over the municipality file's
    # staff_chat and volunteer_chat; STAFF_CHAT_ID and VOLUNTEER_CHAT_ID are the fallback.
    staff_chats: dict[str, int] = field(default_factory=dict)
    volunteer_chats: dict[str, int] = field(default_factory=dict)
    # Staff of one municipality who are not in its staff chat.
    municipality_staff: dict[str, frozenset[int]] = field(default_factory=dict)
    webhook_url: str | None = None
    # The one HTTP server (webhook, console, /healthz, /metrics), in either mode.
    listen: str = "0.0.0.0"
    port: int = 8080
    # The console's public base URL, which sign-in links are built on; None: no console links.
    console_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    escalate_after_minutes: float = 60.0
    retention_days: float = 30.0
    # How often escalation and retention run.
    job_interval_seconds: float = 60.0
    log_level: str = "INFO"
    # Telegram's own limits: about 30 messages a second overall, 20 a minute to one group.
    send_rate_per_second: int = 30
    group_rate_per_minute: int = 20
    # Urgent notices: a second staff member approves before one is sent; at most this many a
    # second go out (0: four fifths of send_rate_per_second, the rest kept for answers).
    notice_needs_second_staff: bool = False
    notice_rate_per_second: int = 0

    def require_token(self) -> str:
        """The bot token, or a ConfigError naming TELEGRAM_BOT_TOKEN."""
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN", "is not set (get one from @BotFather)")
        return self.token


DOTENV_FILE = Path(".env")


def environment(dotenv: Path = DOTENV_FILE) -> dict[str, str]:
    """The process environment over the settings in `dotenv` (the working directory's .env),
    when that file exists: a variable set in the environment wins."""
    from dotenv import dotenv_values

    found: dict[str, str] = {}
    if dotenv.is_file():
        found = {k: v for k, v in dotenv_values(dotenv).items() if v is not None}
    return {**found, **os.environ}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings (the environment and .env when `env` is None); raises
    ConfigError naming the first bad variable."""
    env = environment() if env is None else env
    token = _env(env, "TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN_RE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN", "is malformed (expected digits, ':' and a key)")
    base_url = _env(env, "TELEGRAM_BASE_URL") or DEFAULT_BASE_URL
    if not re.match(r"^https?://[^\s/]+", base_url):
        raise ConfigError("TELEGRAM_BASE_URL", f"must be an http(s) URL, not {base_url!r}")
    webhook_url = _env(env, "WEBHOOK_URL")
    if webhook_url is not None and not re.match(r"^https?://[^\s/]+", webhook_url):
        raise ConfigError("WEBHOOK_URL", f"must be an http(s) URL, not {webhook_url!r}")
    secret = _env(env, "WEBHOOK_SECRET")
    if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", secret):
        raise ConfigError("WEBHOOK_SECRET", "may only contain A-Z, a-z, 0-9, _ and - (1-256)")
    port = _positive(env, "PORT", _positive(env, "WEBHOOK_PORT", 8080))
    if port > 65535:
        raise ConfigError("PORT", f"must be at most 65535, not {port}")
    console_url = _env(env, "CONSOLE_URL")
    if console_url is not None:
        if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", console_url):
            raise ConfigError("CONSOLE_URL", f"must be an http(s) base URL, not {console_url!r}")
        console_url = console_url.rstrip("/")
    log_level = (_env(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")
    staff_chat_id = _int(env, "STAFF_CHAT_ID")
    volunteer_chat_id = _int(env, "VOLUNTEER_CHAT_ID")
    if volunteer_chat_id is not None and staff_chat_id is None:
        # Staff approve volunteers and take over slow requests there: the queue needs it.
        raise ConfigError("STAFF_CHAT_ID", "is needed when VOLUNTEER_CHAT_ID is set")
    staff_chats = _group_chats(env, STAFF_CHAT_PREFIX)
    volunteer_chats = _group_chats(env, VOLUNTEER_CHAT_PREFIX)
    for municipality in volunteer_chats:
        if staff_chat_id is None and municipality not in staff_chats:
            # As for the global group: someone must approve its volunteers and take over.
            needed_by = variable_for(VOLUNTEER_CHAT_PREFIX, municipality)
            raise ConfigError(
                variable_for(STAFF_CHAT_PREFIX, municipality),
                f"or STAFF_CHAT_ID is needed when {needed_by} is set",
            )
    municipality_staff = {
        municipality: _int_set(env, name)
        for name, municipality in _suffixed(env, STAFF_USERS_PREFIX).items()
    }
    return Settings(
        knowledge_dir=Path(_env(env, "KNOWLEDGE_DIR") or DEFAULT_KNOWLEDGE_DIR),
        data_dir=Path(_env(env, "DATA_DIR") or "data"),
        token=token,
        base_url=base_url,
        staff_chat_id=staff_chat_id,
        volunteer_chat_id=volunteer_chat_id,
        staff_user_ids=_int_set(env, "STAFF_USER_IDS"),
        staff_chats=staff_chats,
        volunteer_chats=volunteer_chats,
        municipality_staff=municipality_staff,
        webhook_url=webhook_url,
        listen=_env(env, "LISTEN") or _env(env, "WEBHOOK_LISTEN") or "0.0.0.0",
        port=port,
        console_url=console_url,
        webhook_secret=secret,
        escalate_after_minutes=_positive_number(env, "ESCALATE_AFTER_MINUTES", 60.0),
        retention_days=_positive_number(env, "RETENTION_DAYS", 30.0),
        job_interval_seconds=_positive_number(env, "JOB_INTERVAL_SECONDS", 60.0),
        log_level=log_level,
        send_rate_per_second=_not_negative(env, "SEND_RATE_PER_SECOND", 30),
        group_rate_per_minute=_not_negative(env, "GROUP_RATE_PER_MINUTE", 20),
        notice_needs_second_staff=_bool(env, "NOTICE_NEEDS_SECOND_STAFF", False),
        notice_rate_per_second=_not_negative(env, "NOTICE_RATE_PER_SECOND", 0),
    )
