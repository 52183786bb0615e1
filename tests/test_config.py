"""Settings: the environment, and the .env file that .env.example describes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import environment, load_settings
from bot.errors import ConfigError

TOKEN = "123456:ABCdefGhIJKlmNoPQRsTUVwxyZ"


def test_settings_come_from_a_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAFF_CHAT_ID", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"# copied from .env.example\nTELEGRAM_BOT_TOKEN={TOKEN}\nSTAFF_CHAT_ID=-100123\n"
        "KNOWLEDGE_DIR=\n",
        encoding="utf-8",
    )
    settings = load_settings(environment(dotenv))
    assert settings.token == TOKEN
    assert settings.staff_chat_id == -100123


def test_the_environment_wins_over_the_dotenv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("STAFF_CHAT_ID=-100123\n", encoding="utf-8")
    monkeypatch.setenv("STAFF_CHAT_ID", "-100999")
    assert load_settings(environment(dotenv)).staff_chat_id == -100999


def test_no_dotenv_file_is_fine(tmp_path: Path) -> None:
    assert "PATH" in environment(tmp_path / "missing.env")


def test_a_bad_value_in_the_dotenv_file_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text("LOG_LEVEL=LOUD\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings(environment(dotenv))


def test_a_municipality_s_own_chats_come_from_its_variables() -> None:
    settings = load_settings(
        {
            "STAFF_CHAT_ID": "-1001",
            "STAFF_CHAT_ID_ASKER": "-100200",
            "VOLUNTEER_CHAT_ID_OCKERO": " -100300 ",
            "STAFF_USER_IDS_ASKER": "11, 12",
            "STAFF_CHAT_ID_": "-5",  # no municipality named: not a municipality's
        }
    )
    assert settings.staff_chats == {"asker": -100200}
    assert settings.volunteer_chats == {"ockero": -100300}
    assert settings.municipality_staff == {"asker": frozenset({11, 12})}


def test_a_municipality_s_chat_must_be_a_group_id() -> None:
    with pytest.raises(ConfigError, match="STAFF_CHAT_ID_ASKER"):
        load_settings({"STAFF_CHAT_ID_ASKER": "12345"})
    with pytest.raises(ConfigError, match=r"VOLUNTEER_CHAT_ID_ASKER.*whole number"):
        load_settings({"STAFF_CHAT_ID": "-1", "VOLUNTEER_CHAT_ID_ASKER": "asker-group"})


def test_a_municipality_s_volunteer_group_needs_a_staff_chat() -> None:
    with pytest.raises(ConfigError, match="STAFF_CHAT_ID_OCKERO"):
        load_settings({"VOLUNTEER_CHAT_ID_OCKERO": "-100300"})
    both = load_settings({"VOLUNTEER_CHAT_ID_OCKERO": "-100300", "STAFF_CHAT_ID_OCKERO": "-100301"})
    assert both.staff_chats == {"ockero": -100301}


def test_the_http_server_listens_on_port_8080_unless_told() -> None:
    assert load_settings({}).port == 8080
    assert load_settings({"PORT": "9000", "WEBHOOK_PORT": "8443"}).port == 9000
    assert load_settings({"WEBHOOK_PORT": "8443"}).port == 8443


def test_the_console_url_is_a_base_url_without_its_last_slash() -> None:
    assert load_settings({}).console_url is None
    settings = load_settings({"CONSOLE_URL": "https://bot.example.org/"})
    assert settings.console_url == "https://bot.example.org"
    with pytest.raises(ConfigError, match="CONSOLE_URL"):
        load_settings({"CONSOLE_URL": "bot.example.org"})
    with pytest.raises(ConfigError, match="CONSOLE_URL"):
        load_settings({"CONSOLE_URL": "https://bot.example.org/?x=1"})
