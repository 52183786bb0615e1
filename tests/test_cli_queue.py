"""The staff CLI for the queue and volunteers, called as `main(argv)`."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.intake import Conversation
from bot.storage import Database

PHONE = "+4791234567"


async def seed(data_dir: Path) -> None:
    async with Database(data_dir / "bot.db") as db:
        desk = HelpDesk.build(
            db, volunteer_chat_id=-1, staff_chat_id=-2, contact_line=lambda municipality, lang: ""
        )
        await desk.volunteers.register(
            2001,
            Conversation("volunteer", "submitted", {"name": "Ola Nordmann", "skills": "dog"}),
            "nb",
        )
        data = {
            "category": "dog",
            "description": "lufte hunden",
            "area": "Heggedal",
            "timing": "week",
            "contact": "phone",
            "phone": PHONE,
        }
        await desk.requests.submit(
            1001, "Kari", None, "asker", "nb", Conversation("request", "confirm", data)
        )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    asyncio.run(seed(tmp_path))
    return tmp_path


def test_queue_list_and_filter(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queue", "list"]) == 0
    out = capsys.readouterr().out
    assert "A-1001" in out and "open" in out and PHONE not in out
    assert main(["queue", "list", "--state", "done"]) == 0
    assert "No help requests in state done." in capsys.readouterr().out


def test_queue_show_has_the_details_for_staff(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "show", "a-1001"]) == 0
    out = capsys.readouterr().out
    assert PHONE in out and "lufte hunden" in out
    assert main(["queue", "show", "A-9"]) == 1
    assert "no help request 'A-9'" in capsys.readouterr().err


def test_queue_export_has_no_personal_data(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "export", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["ref"] == "A-1001" and rows[0]["category"] == "dog"
    assert rows[0]["created_at"].endswith("+00:00")
    flat = str(rows)
    assert PHONE not in flat and "Kari" not in flat and "lufte" not in flat
    assert main(["queue", "export"]) == 0, "CSV is the default"
    assert capsys.readouterr().out.startswith("ref,")


def test_volunteers_approve_revoke(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["volunteers", "list", "--state", "pending"]) == 0
    assert "Ola Nordmann" in capsys.readouterr().out
    assert main(["volunteers", "approve", "2001"]) == 0
    assert "is now approved" in capsys.readouterr().out
    assert main(["volunteers", "approve", "2001"]) == 1
    assert "is not pending, rejected or revoked" in capsys.readouterr().err
    assert main(["volunteers", "revoke", "2001"]) == 0
    assert "is now revoked" in capsys.readouterr().out
    # Staff may approve again from the command line someone they revoked.
    assert main(["volunteers", "approve", "2001"]) == 0
    assert "is now approved" in capsys.readouterr().out


def test_deciding_about_someone_who_never_registered_says_so(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["volunteers", "approve", "9999"]) == 1
    assert "there is no volunteer 9999" in capsys.readouterr().err


async def test_staff_see_that_a_new_volunteer_was_revoked_before(tmp_path: Path) -> None:
    async with Database(tmp_path / "bot.db") as db:
        desk = HelpDesk.build(
            db, volunteer_chat_id=-1, staff_chat_id=-2, contact_line=lambda municipality, lang: ""
        )
        registration = Conversation("volunteer", "submitted", {"name": "Ola", "skills": "dog"})
        await desk.volunteers.register(2001, registration, "nb")
        await desk.volunteers.decide(2001, True, None)
        await desk.volunteers.revoke(2001, None)
        await desk.volunteers.register(2001, registration, "nb")
        staff_posts = [
            (await desk.outbox.render(i))[0] for i in await desk.outbox.due() if i.chat_id == -2
        ]
        assert "Registered before" not in staff_posts[0]
        assert "⚠️ Registered before: revoked on " in staff_posts[-1]


def test_missing_database_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "none"))
    assert main(["queue", "list"]) == 1
    assert "no database at" in capsys.readouterr().err


def test_erase_forgets_a_resident_as_forgetme_does(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["erase", "1001"]) == 0
    assert "1 help request(s)" in capsys.readouterr().out
    assert main(["queue", "show", "A-1001"]) == 0
    out = capsys.readouterr().out
    assert "cancelled" in out and PHONE not in out and "lufte hunden" not in out
    assert "Kari" not in out


async def _two_municipalities(data_dir: Path) -> None:
    """Per Andersen signed up for Asker and Öckerö: approved by Asker's staff only."""
    async with Database(data_dir / "bot.db") as db:
        desk = HelpDesk.build(
            db, volunteer_chat_id=-1, staff_chat_id=-2, contact_line=lambda municipality, lang: ""
        )
        data = {"name": "Per Andersen", "skills": "dog", "municipalities": "asker,ockero"}
        await desk.volunteers.register(2002, Conversation("volunteer", "submitted", data), "nb")
        await desk.volunteers.decide(2002, True, None, municipalities=["asker"])


def test_volunteers_list_shows_the_state_in_each_municipality(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_two_municipalities(data_dir))
    assert main(["volunteers", "list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "asker: approved,ockero: pending" in lines["2002"]
    assert lines["2002"].split()[1] == "approved", "the overall state: approved somewhere"
    assert lines["2001"].endswith("anywhere"), "registered before municipalities were asked"

    # Öckerö's view: Per is pending there, whatever Asker decided; Ola, who signed up for no
    # municipality in particular, may help anywhere: listed with the state decided for all.
    ola = lines["2001"].split()[1]
    assert ola == "pending"
    assert main(["volunteers", "list", "--municipality", "ockero"]) == 0
    out = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert sorted(out) == ["2001", "2002"]
    assert out["2002"].split()[1] == "pending"
    assert out["2002"].endswith("ockero: pending") and "asker" not in out["2002"]
    assert out["2001"].split()[1] == ola and out["2001"].endswith("anywhere")

    assert main(["volunteers", "list", "--municipality", "ockero", "--state", "approved"]) == 0
    assert capsys.readouterr().out.strip() == "No volunteers for ockero in state approved."
    assert main(["volunteers", "list", "--municipality", "ockero", "--state", "pending"]) == 0
    out = capsys.readouterr().out.splitlines()[1:]
    assert sorted(line.split()[0] for line in out) == ["2001", "2002"]
    assert main(["volunteers", "list", "--municipality", "asker", "--state", "approved"]) == 0
    out = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in out] == ["2002"] and out[0].endswith("asker: approved")
