"""The staff CLI for the queue and volunteers, called as `main(argv)`."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.console.auth import CLI, Actor, Audit, AuditEntry
from bot.console.web.pages import ReportCache, View, audit
from bot.console.web.views import Texts
from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.intake import Conversation
from bot.helpdesk.models import HelpRequest
from bot.helpdesk.routing import EVERYWHERE
from bot.services import Services
from bot.storage import Database
from bot.storage.records import Residents
from bot.types import Lang
from tests.console_data import add_question

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


# Staff everywhere (STAFF_USER_IDS), Asker's staff only (STAFF_USER_IDS_ASKER), and
# Öckerö's.
STAFF, ASKER_STAFF, OCKERO_STAFF = "555", "777", "888"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STAFF_USER_IDS", STAFF)
    monkeypatch.setenv("STAFF_USER_IDS_ASKER", ASKER_STAFF)
    monkeypatch.setenv("STAFF_USER_IDS_OCKERO", OCKERO_STAFF)
    asyncio.run(seed(tmp_path))
    return tmp_path


async def _audit(data_dir: Path) -> list[AuditEntry]:
    async with Database(data_dir / "bot.db") as db:
        return list(reversed(await Audit(db).latest()))


def audit_log(data_dir: Path) -> list[tuple[int, str | None, str, str | None, str | None, str]]:
    """The audit log, oldest first: who, their name, what, to whom, where about, from where."""
    return [
        (e.staff_id, e.staff_name, e.action, e.target, e.municipality, e.surface)
        for e in asyncio.run(_audit(data_dir))
    ]


def test_queue_list_and_filter(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queue", "list", "--as", STAFF]) == 0
    out = capsys.readouterr().out
    assert "A-1001" in out and "open" in out and PHONE not in out
    assert main(["queue", "list", "--state", "done", "--as", STAFF]) == 0
    assert "No help requests in state done." in capsys.readouterr().out


def test_queue_show_has_the_details_for_staff(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "show", "a-1001", "--as", ASKER_STAFF]) == 0
    out = capsys.readouterr().out
    assert PHONE in out and "lufte hunden" in out
    assert main(["queue", "show", "A-9", "--as", ASKER_STAFF]) == 1
    assert "no help request 'A-9'" in capsys.readouterr().err
    # Contact details are for staff of the request's municipality, and each read is logged.
    assert main(["queue", "show", "A-1001", "--as", OCKERO_STAFF]) == 1
    captured = capsys.readouterr()
    assert PHONE not in captured.out + captured.err
    assert "no help request 'A-1001'" in captured.err
    assert main(["queue", "show", "A-1001", "--as", STAFF]) == 0
    assert PHONE in capsys.readouterr().out
    assert audit_log(data_dir) == [
        (777, None, "queue_show", "A-1001", "asker", "cli"),
        (555, None, "queue_show", "A-1001", "asker", "cli"),
    ]


def test_queue_export_has_no_personal_data(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "export", "--csv", "--as", STAFF]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["ref"] == "A-1001" and rows[0]["category"] == "dog"
    assert rows[0]["created_at"].endswith("+00:00")
    flat = str(rows)
    assert PHONE not in flat and "Kari" not in flat and "lufte" not in flat
    assert main(["queue", "export", "--as", STAFF]) == 0, "CSV is the default"
    assert capsys.readouterr().out.startswith("ref,")


def test_volunteers_approve_revoke(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["volunteers", "list", "--state", "pending", "--as", STAFF]) == 0
    assert "Ola " in capsys.readouterr().out
    assert main(["volunteers", "approve", "2001", "--as", STAFF]) == 0
    assert "is now approved" in capsys.readouterr().out
    assert main(["volunteers", "approve", "2001", "--as", STAFF]) == 1
    assert "is not pending, rejected or revoked" in capsys.readouterr().err
    assert main(["volunteers", "revoke", "2001", "--as", STAFF]) == 0
    assert "is now revoked" in capsys.readouterr().out
    # Staff may approve again from the command line someone they revoked.
    assert main(["volunteers", "approve", "2001", "--as", STAFF]) == 0
    assert "is now approved" in capsys.readouterr().out
    # Each decision that happened is in the audit log, from the command line; the one that
    # changed nothing is not.
    ola = "Ola (2001)"
    assert audit_log(data_dir)[1:] == [
        (555, None, "approve", ola, None, "cli"),
        (555, None, "revoke", ola, None, "cli"),
        (555, None, "approve", ola, None, "cli"),
    ]


def test_deciding_about_someone_who_never_registered_says_so(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["volunteers", "approve", "9999", "--as", STAFF]) == 1
    assert "there is no volunteer 9999" in capsys.readouterr().err
    assert audit_log(data_dir) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["volunteers", "approve", "2001"],
        ["volunteers", "reject", "2001"],
        ["volunteers", "revoke", "2001"],
        ["queue", "close", "A-1001"],
        ["queue", "assign", "A-1001", "2001"],
        ["erase", "1001"],
        ["queue", "show", "A-1001"],
    ],
)
def test_every_change_needs_the_staff_member_it_is_done_as(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Without --as, argparse's usage error; --as someone who is not staff, a named error
    that says where staff are listed. Nothing changes either way."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "the following arguments are required: --as" in capsys.readouterr().err
    assert main([*argv, "--as", "4242"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --as 4242: not staff: list them in STAFF_USER_IDS")
    assert "STAFF_USER_IDS_<MUNICIPALITY>" in err
    assert audit_log(data_dir) == []
    assert main(["queue", "list", "--as", STAFF]) == 0
    assert "A-1001   open" in capsys.readouterr().out
    assert main(["volunteers", "list", "--as", STAFF]) == 0
    assert "pending" in capsys.readouterr().out


def test_the_help_of_each_change_shows_an_example_with_as(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (
        ["volunteers", "approve"],
        ["volunteers", "reject"],
        ["volunteers", "revoke"],
        ["queue", "close"],
        ["queue", "assign"],
        ["erase"],
        ["queue", "show"],
    ):
        with pytest.raises(SystemExit):
            main([*argv, "--help"])
        out = capsys.readouterr().out
        assert f"example: python -m bot {' '.join(argv)} " in out.replace(
            "examples:\n  ", "example: "
        )
        assert "--as STAFF_ID" in out and "--as 555000111" in out


def test_a_municipalitys_staff_decide_only_for_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As in the staff chats and the console: Asker's staff decide for Asker alone, and a
    volunteer who signed up for Asker and Öckerö needs staff of both (or the global staff)."""
    asyncio.run(_two_municipalities(data_dir))
    assert main(["volunteers", "approve", "2002", "--as", ASKER_STAFF]) == 2
    err = capsys.readouterr().err
    assert "--as 777: staff of asker only, and volunteer 2002 is not theirs" in err
    # Ola registered before municipalities were asked: the global staff decide for him.
    assert main(["volunteers", "approve", "2001", "--as", ASKER_STAFF]) == 2
    capsys.readouterr()
    assert main(["volunteers", "approve", "2001", "--municipality", "asker", "--as", STAFF]) == 1
    assert "volunteer 2001 signed up for anywhere, not asker: decide without --municipality" in (
        capsys.readouterr().err
    )
    assert (
        main(["volunteers", "approve", "2002", "--municipality", "katrineholm", "--as", STAFF]) == 1
    )
    assert "volunteer 2002 signed up for asker, ockero, not katrineholm" in (
        capsys.readouterr().err
    )
    assert (
        main(["volunteers", "revoke", "2002", "--municipality", "ockero", "--as", ASKER_STAFF]) == 2
    )
    capsys.readouterr()
    assert (
        main(["volunteers", "approve", "2002", "--municipality", "ockero", "--as", OCKERO_STAFF])
        == 0
    )
    assert "(asker: approved, ockero: approved)" in capsys.readouterr().out
    assert (
        main(["volunteers", "revoke", "2002", "--municipality", "asker", "--as", ASKER_STAFF]) == 0
    )
    capsys.readouterr()
    per = "Per (2002)"
    assert audit_log(data_dir) == [
        (888, None, "approve", per, "ockero", "cli"),
        (777, None, "revoke", per, "asker", "cli"),
    ]


def test_queue_close_and_assign_as_the_staff_chat_does(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "assign", "A-1001", "2001", "--as", STAFF]) == 1
    assert "volunteer 2001 is not an approved volunteer" in capsys.readouterr().err
    assert main(["volunteers", "approve", "2001", "--as", STAFF]) == 0
    # Öckerö's staff may not touch Asker's request, nor learn it exists; Asker's may.
    assert main(["queue", "assign", "A-1001", "2001", "--as", OCKERO_STAFF]) == 1
    assert "no help request 'A-1001'" in capsys.readouterr().err
    assert main(["queue", "assign", "a-1001", "2001", "--as", ASKER_STAFF]) == 0
    assert "A-1001 handed to 2001" in capsys.readouterr().out
    assert main(["queue", "assign", "A-1001", "2001", "--as", ASKER_STAFF]) == 0
    assert "A-1001 is 2001's already" in capsys.readouterr().out
    assert main(["queue", "close", "A-1001", "--as", OCKERO_STAFF]) == 1
    capsys.readouterr()
    assert main(["queue", "close", "A-1001", "--as", ASKER_STAFF]) == 0
    assert "A-1001 closed" in capsys.readouterr().out
    assert main(["queue", "close", "A-1001", "--as", ASKER_STAFF]) == 1
    assert "A-1001 is cancelled: only an active request closes" in capsys.readouterr().err
    assert main(["queue", "close", "A-9", "--as", ASKER_STAFF]) == 1
    assert "no help request 'A-9'" in capsys.readouterr().err
    assert main(["queue", "show", "A-1001", "--as", ASKER_STAFF]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert audit_log(data_dir)[1:] == [
        (777, None, "hand_over", "A-1001 → Ola (2001)", "asker", "cli"),
        (777, None, "close", "A-1001", "asker", "cli"),
        (777, None, "queue_show", "A-1001", "asker", "cli"),
    ]


async def _signed_in_before(data_dir: Path) -> None:
    """Staff member 555 pressed a staff chat's button once: the log knows their first name."""
    async with Database(data_dir / "bot.db") as db:
        await Audit(db).record_by(555, "Kari", "reload")


def test_the_log_names_the_staff_member_as_telegram_last_did(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_signed_in_before(data_dir))
    assert main(["volunteers", "reject", "2001", "--as", STAFF]) == 0
    assert audit_log(data_dir)[-1] == (555, "Kari", "reject", "Ola (2001)", None, "cli")


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
    assert main(["queue", "list", "--as", STAFF]) == 1
    assert "no database at" in capsys.readouterr().err


def test_erase_forgets_a_resident_as_forgetme_does(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["erase", "1001", "--as", ASKER_STAFF]) == 0
    assert "1 help request(s)" in capsys.readouterr().out
    assert main(["queue", "show", "A-1001", "--as", ASKER_STAFF]) == 0
    out = capsys.readouterr().out
    assert "cancelled" in out and PHONE not in out and "lufte hunden" not in out
    assert "Kari" not in out
    # Who erased is logged, for the municipality concerned; whom, not.
    assert audit_log(data_dir)[0] == (777, None, "erase", "(erased)", "asker", "cli")


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
    assert main(["volunteers", "list", "--as", STAFF]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "asker: approved,ockero: pending" in lines["2002"]
    assert lines["2002"].split()[1] == "approved", "the overall state: approved somewhere"
    assert lines["2001"].endswith("anywhere"), "registered before municipalities were asked"

    # Öckerö's view: Per is pending there, whatever Asker decided; Ola, who signed up for no
    # municipality in particular, may help anywhere: listed with the state decided for all.
    ola = lines["2001"].split()[1]
    assert ola == "pending"
    assert main(["volunteers", "list", "--municipality", "ockero", "--as", STAFF]) == 0
    out = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert sorted(out) == ["2001", "2002"]
    assert out["2002"].split()[1] == "pending"
    assert out["2002"].endswith("ockero: pending") and "asker" not in out["2002"]
    assert out["2001"].split()[1] == ola and out["2001"].endswith("anywhere")

    ockero = ["--municipality", "ockero", "--as", STAFF]
    assert main(["volunteers", "list", *ockero, "--state", "approved"]) == 0
    assert capsys.readouterr().out.strip() == "No volunteers for ockero in state approved."
    assert main(["volunteers", "list", *ockero, "--state", "pending"]) == 0
    out = capsys.readouterr().out.splitlines()[1:]
    assert sorted(line.split()[0] for line in out) == ["2001", "2002"]
    asker = ["--municipality", "asker", "--as", STAFF]
    assert main(["volunteers", "list", *asker, "--state", "approved"]) == 0
    out = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in out] == ["2002"] and out[0].endswith("asker: approved")


async def _audit_page(data_dir: Path, lang: Lang) -> list[list[str]]:
    """The console's audit page as the global staff read it in `lang`."""
    async with Services(replace(Settings(), data_dir=data_dir)) as services:
        view = View(services, ReportCache(services.knowledge.root), lang, None)
        page = await audit(view)
        return [[str(cell) for cell in row] for row in page.tables[0].rows]


@pytest.mark.parametrize(
    ("lang", "where", "erased"),
    [
        ("nb", "kommandolinjen", "slettet alt om en person"),
        ("sv", "kommandoraden", "raderade allt om en person"),
        ("en", "the command line", "erased everything about a person"),
    ],
)
def test_the_consoles_audit_page_shows_what_was_done_at_the_command_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str], lang: Lang, where: str, erased: str
) -> None:
    asyncio.run(_signed_in_before(data_dir))
    assert main(["volunteers", "approve", "2001", "--as", STAFF]) == 0
    assert main(["erase", "1001", "--as", ASKER_STAFF]) == 0
    newest, approved, _ = asyncio.run(_audit_page(data_dir, lang))
    t = Texts(lang)
    assert newest[1:] == ["? (777)", erased, "(erased)", where]
    assert approved[1:] == ["Kari (555)", t("console_audit_approve"), "Ola (2001)", where]


async def _ockero_only(data_dir: Path) -> None:
    """Lena signed up for Öckerö alone."""
    async with Database(data_dir / "bot.db") as db:
        desk = HelpDesk.build(
            db, volunteer_chat_id=-1, staff_chat_id=-2, contact_line=lambda municipality, lang: ""
        )
        data = {"name": "Lena", "skills": "dog", "municipalities": "ockero"}
        await desk.volunteers.register(2003, Conversation("volunteer", "submitted", data), "sv")


def test_the_scope_is_checked_before_anything_names_a_volunteers_municipalities(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asker's staff learn nothing of Öckerö's volunteers: not where they signed up, nor
    whether someone is a volunteer at all."""
    asyncio.run(_ockero_only(data_dir))
    assert (
        main(["volunteers", "approve", "2003", "--municipality", "asker", "--as", ASKER_STAFF]) == 2
    )
    err = capsys.readouterr().err
    assert "volunteer 2003 is not theirs for asker" in err and "ockero" not in err.split("only")[1]
    assert main(["volunteers", "approve", "9999", "--as", ASKER_STAFF]) == 2
    err = capsys.readouterr().err
    assert "volunteer 9999 is not theirs" in err and "there is no volunteer" not in err
    # The global staff may be told both.
    assert main(["volunteers", "approve", "2003", "--municipality", "asker", "--as", STAFF]) == 1
    assert "volunteer 2003 signed up for ockero, not asker" in capsys.readouterr().err
    assert audit_log(data_dir) == []


def test_a_decision_about_several_municipalities_is_logged_for_each_one_changed(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the staff chat does: each municipality's staff see it on their audit page."""
    asyncio.run(_two_municipalities(data_dir))
    # Per is approved in Asker already: approving him everywhere changes Öckerö alone.
    assert main(["volunteers", "approve", "2002", "--as", STAFF]) == 0
    assert main(["volunteers", "revoke", "2002", "--as", STAFF]) == 0
    assert main(["volunteers", "reject", "2001", "--as", STAFF]) == 0
    per, ola = "Per (2002)", "Ola (2001)"
    assert audit_log(data_dir) == [
        (555, None, "approve", per, "ockero", "cli"),
        (555, None, "revoke", per, "asker", "cli"),
        (555, None, "revoke", per, "ockero", "cli"),
        (555, None, "reject", ola, None, "cli"),
    ]


async def _chose(data_dir: Path, user_id: int, municipality: str) -> None:
    async with Database(data_dir / "bot.db") as db:
        await Residents(db).save(user_id, municipality=municipality)


def _still_there(capsys: pytest.CaptureFixture[str]) -> bool:
    assert main(["queue", "show", "A-1001", "--as", STAFF]) == 0
    return PHONE in capsys.readouterr().out


def test_a_municipalitys_staff_erase_only_someone_all_theirs(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_two_municipalities(data_dir))
    # Kari's request is Asker's: Öckerö's staff may not erase her (nor learn she is known).
    assert main(["erase", "1001", "--as", OCKERO_STAFF]) == 1
    assert "nothing to erase for 1001 in ockero" in capsys.readouterr().err
    assert _still_there(capsys)
    # Per signed up for Asker and Öckerö: Asker's staff know him, and may not erase him.
    assert main(["erase", "2002", "--as", ASKER_STAFF]) == 2
    assert "staff of asker only, and 2002 has help requests" in capsys.readouterr().err
    # Ola signed up for anywhere: every municipality's staff see him listed, and the global
    # staff decide about him.
    assert main(["volunteers", "list", "--as", ASKER_STAFF]) == 0
    assert "2001" in capsys.readouterr().out
    assert main(["erase", "2001", "--as", ASKER_STAFF]) == 2
    error = capsys.readouterr().err
    assert "staff of asker only, and 2001 is a volunteer registered for anywhere" in error
    assert "the global staff, in STAFF_USER_IDS, may erase them" in error
    assert main(["volunteers", "list", "--as", STAFF]) == 0
    listed = capsys.readouterr().out
    assert "Per " in listed and "Ola " in listed
    # Kari chose Öckerö as her municipality since: Asker's staff may not erase her either.
    asyncio.run(_chose(data_dir, 1001, "ockero"))
    assert main(["erase", "1001", "--as", ASKER_STAFF]) == 2
    capsys.readouterr()
    assert _still_there(capsys)
    assert [e for e in audit_log(data_dir) if e[2] == "erase"] == []
    # The global staff may; the erasure is logged for each municipality it concerned.
    assert main(["erase", "2002", "--as", STAFF]) == 0
    assert main(["erase", "1001", "--as", STAFF]) == 0
    assert [e for e in audit_log(data_dir) if e[2] == "erase"] == [
        (555, None, "erase", "(erased)", "asker", "cli"),
        (555, None, "erase", "(erased)", "ockero", "cli"),
        (555, None, "erase", "(erased)", "asker", "cli"),
        (555, None, "erase", "(erased)", "ockero", "cli"),
    ]


async def _erase_with_a_failing_log(data_dir: Path) -> HelpRequest | None:
    """The audit log cannot be written (a full disk, say) when staff erase Kari."""
    async with Services(replace(Settings(), data_dir=data_dir)) as services:

        def break_the_log(connection: sqlite3.Connection) -> None:
            connection.execute(
                """CREATE TRIGGER no_audit BEFORE INSERT ON console_audit
                   BEGIN SELECT RAISE(ABORT, 'disk full'); END"""
            )

        await services.db.run_write(break_the_log)
        with pytest.raises(sqlite3.Error):
            await services.erase_for_staff(1001, Actor(int(STAFF), None, CLI), EVERYWHERE)
        return await services.desk.requests.by_ref("A-1001")


def test_no_erasure_happens_without_its_audit_entry(data_dir: Path) -> None:
    request = asyncio.run(_erase_with_a_failing_log(data_dir))
    assert request is not None and request.phone == PHONE and request.state == "open"


# -- reads: scoped, masked and audited --------------------------------------------------------

LISTINGS = [
    ["queue", "list"],
    ["queue", "export"],
    ["volunteers", "list"],
    ["unanswered"],
]


@pytest.mark.parametrize("argv", LISTINGS)
def test_a_listing_needs_the_staff_member_it_is_shown_to(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Without --as, a clear message with an example (exit 2); --as someone who is not staff,
    the named error. Nothing is shown, and nothing is in the audit log."""
    command = " ".join(argv)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {command} shows residents' data, so it needs --as")
    assert f"example: python -m bot {command} --as 555000111" in captured.err
    assert main([*argv, "--as", "4242"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--as 4242: not staff" in captured.err
    assert audit_log(data_dir) == []


@pytest.mark.parametrize("argv", LISTINGS)
def test_a_listing_s_help_says_it_needs_as_with_an_example(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    out = capsys.readouterr().out
    assert "--as STAFF_ID" in out and f"python -m bot {' '.join(argv)} " in out
    assert "--as 555000111" in out and "audit log" in out


OCKERO_AREA = "Hönö, ring Lena Berg 0701234567 eller lena.berg@example.se"


async def _ockero_too(data_dir: Path) -> None:
    """Öckerö's request, whose area names the resident with her phone and e-mail; Lena's
    volunteer registration (Öckerö only); an unanswered question in each municipality."""
    async with Database(data_dir / "bot.db") as db:
        desk = HelpDesk.build(
            db, volunteer_chat_id=-1, staff_chat_id=-2, contact_line=lambda municipality, lang: ""
        )
        data = {
            "category": "groceries",
            "description": "handla mat",
            "area": OCKERO_AREA,
            "timing": "week",
            "contact": "telegram",
        }
        await desk.requests.submit(
            1002, "Lena", None, "ockero", "sv", Conversation("request", "confirm", data)
        )
        await add_question(
            db, int(time.time()), text="jeg heter Kari Nordmann, når går bussen til Heggedal?"
        )
        await add_question(
            db,
            int(time.time()),
            text="ring mig på 0701234567 om färjan",
            municipality="ockero",
            language="sv",
        )
    await _ockero_only(data_dir)
    await _two_municipalities(data_dir)


def _rows(out: str) -> dict[str, str]:
    return {line.split()[0]: line for line in out.splitlines()[1:]}


def test_listings_show_a_municipality_s_staff_only_theirs_masked(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_ockero_too(data_dir))
    # Asker's staff: Asker's request only; Öckerö's is not even counted.
    assert main(["queue", "list", "--as", ASKER_STAFF]) == 0
    assert sorted(_rows(capsys.readouterr().out)) == ["A-1001"]
    assert main(["queue", "export", "--as", ASKER_STAFF]) == 0
    exported = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["ref"] for row in exported] == ["A-1001"]
    # Öckerö's: Öckerö's, the resident's name, phone and e-mail masked as in the console.
    assert main(["queue", "list", "--as", OCKERO_STAFF]) == 0
    out = capsys.readouterr().out
    assert sorted(_rows(out)) == ["O-1002"]
    assert "0701234567" not in out and "lena.berg@example.se" not in out and "Berg" not in out
    assert "[phone]" in out and "[e-mail]" in out and "[name]" in out and "Hönö" in out
    # The global staff: both.
    assert main(["queue", "list", "--as", STAFF]) == 0
    assert sorted(_rows(capsys.readouterr().out)) == ["A-1001", "O-1002"]

    # Volunteers: Asker's staff see Per (Asker and Öckerö) with Asker's state alone, Ola
    # (anywhere: he may be handed their requests), never Lena (Öckerö only). First names.
    assert main(["volunteers", "list", "--as", ASKER_STAFF]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert sorted(rows) == ["2001", "2002"]
    assert rows["2002"].endswith("asker: approved") and "ockero" not in out
    assert "Andersen" not in out and "Nordmann" not in out
    assert main(["volunteers", "list", "--as", OCKERO_STAFF]) == 0
    rows = _rows(capsys.readouterr().out)
    assert sorted(rows) == ["2001", "2002", "2003"]
    assert rows["2002"].split()[1] == "pending", "pending in Öckerö, whatever Asker decided"
    assert rows["2002"].endswith("ockero: pending")

    # Unanswered questions: each municipality's own, masked.
    assert main(["unanswered", "--as", ASKER_STAFF]) == 0
    out = capsys.readouterr().out
    assert "[asker]" in out and "[ockero]" not in out
    assert "Kari" not in out and "Nordmann" not in out and "[name]" in out and "bussen" in out
    assert main(["unanswered", "--as", OCKERO_STAFF]) == 0
    out = capsys.readouterr().out
    assert "[ockero]" in out and "[asker]" not in out
    assert "0701234567" not in out and "[phone] om färjan" in out
    assert main(["unanswered", "--as", STAFF]) == 0
    out = capsys.readouterr().out
    assert "[asker]" in out and "[ockero]" in out

    # Each read is in the audit log before it is shown: a municipality's staff's for their
    # municipality, the global staff's without one.
    assert audit_log(data_dir) == [
        (777, None, "queue_list", None, "asker", "cli"),
        (777, None, "queue_export", None, "asker", "cli"),
        (888, None, "queue_list", None, "ockero", "cli"),
        (555, None, "queue_list", None, None, "cli"),
        (777, None, "volunteers_list", None, "asker", "cli"),
        (888, None, "volunteers_list", None, "ockero", "cli"),
        (777, None, "unanswered_list", None, "asker", "cli"),
        (888, None, "unanswered_list", None, "ockero", "cli"),
        (555, None, "unanswered_list", None, None, "cli"),
    ]


@pytest.mark.parametrize("argv", [*LISTINGS, ["volunteers", "approve", "2002"]])
def test_an_unknown_municipality_is_refused_listing_the_known_ones(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    asyncio.run(_two_municipalities(data_dir))
    assert main([*argv, "--municipality", "bergen", "--as", STAFF]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "error: unknown municipality 'bergen' for --municipality; choose one of asker, "
        "hallstahammar, katrineholm, ockero\n"
    )
    assert [e for e in audit_log(data_dir) if e[2] != "approve"] == []
    volunteer = asyncio.run(_volunteer(data_dir, 2002))
    assert volunteer == (("asker", "approved"), ("ockero", "pending"))


async def _volunteer(data_dir: Path, user_id: int) -> object:
    async with Database(data_dir / "bot.db") as db:
        desk = HelpDesk.build(
            db, volunteer_chat_id=-1, staff_chat_id=-2, contact_line=lambda municipality, lang: ""
        )
        found = await desk.volunteers.get(user_id)
        return found.approvals if found else None


@pytest.mark.parametrize("argv", LISTINGS)
def test_a_municipality_s_staff_cannot_read_another_s_by_naming_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main([*argv, "--municipality", "ockero", "--as", ASKER_STAFF]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--as 777: staff of asker only, not ockero" in captured.err
    assert main([*argv, "--municipality", "asker", "--as", ASKER_STAFF]) == 0
    capsys.readouterr()
    # The global staff's read of one municipality is about that one.
    assert main([*argv, "--municipality", "ockero", "--as", STAFF]) == 0
    capsys.readouterr()
    assert [(e[0], e[4]) for e in audit_log(data_dir)] == [(777, "asker"), (555, "ockero")]


@pytest.mark.parametrize("lang", ["nb", "sv", "en"])
def test_the_consoles_audit_page_names_the_command_line_s_reads(
    data_dir: Path, capsys: pytest.CaptureFixture[str], lang: Lang
) -> None:
    for argv in LISTINGS:
        assert main([*argv, "--as", STAFF]) == 0
    capsys.readouterr()
    rows = asyncio.run(_audit_page(data_dir, lang))
    t = Texts(lang)
    shown = [row[2] for row in reversed(rows)]
    assert shown == [
        t("console_audit_queue_list"),
        t("console_audit_queue_export"),
        t("console_audit_volunteers_list"),
        t("console_audit_unanswered_list"),
    ]
    assert all(not text.startswith("console_audit_") for text in shown)
    assert len(set(shown)) == 4


# -- refusals that reveal nothing ------------------------------------------------------------


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


@pytest.mark.parametrize(
    "argv",
    [["queue", "show", "{ref}"], ["queue", "close", "{ref}"], ["queue", "assign", "{ref}", "2001"]],
)
def test_another_municipality_s_request_is_refused_as_an_unknown_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Öckerö's staff are told of Asker's A-1001 exactly what they are told of A-9999, which
    does not exist: they cannot learn that it exists. Nothing changes, nothing is logged."""

    def run(ref: str) -> tuple[int, str]:
        code = main([part.format(ref=ref) for part in argv] + ["--as", OCKERO_STAFF])
        return code, _error(capsys).replace(ref, "REF")

    assert run("A-1001") == run("A-9999")
    assert run("A-1001")[0] == 1
    assert audit_log(data_dir) == []
    assert main(["queue", "show", "A-1001", "--as", ASKER_STAFF]) == 0
    assert "open" in capsys.readouterr().out


def test_staff_of_two_municipalities_are_told_why_their_volunteer_cannot_take_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lena is approved for Öckerö; staff of Asker and Öckerö both see her approved there,
    so handing her Asker's request says why it did not happen, not that she is no approved
    volunteer."""
    both = "999"
    monkeypatch.setenv("STAFF_USER_IDS_ASKER", f"{ASKER_STAFF},{both}")
    monkeypatch.setenv("STAFF_USER_IDS_OCKERO", f"{OCKERO_STAFF},{both}")
    asyncio.run(_ockero_only(data_dir))
    assert main(["volunteers", "approve", "2003", "--as", both]) == 0
    capsys.readouterr()
    assert main(["volunteers", "list", "--as", both]) == 0
    assert "ockero: approved" in capsys.readouterr().out
    assert main(["queue", "assign", "A-1001", "2003", "--as", both]) == 1
    assert _error(capsys) == (
        "error: volunteer 2003 is not approved for the request's municipality\n"
    )
    assert main(["queue", "assign", "A-1001", "9999", "--as", both]) == 1
    assert _error(capsys) == "error: volunteer 9999 is not an approved volunteer\n"


def test_a_volunteer_approved_only_in_another_municipality_is_as_an_unknown_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asker's staff hand Asker's request to Lena, approved for Öckerö only: told what they
    are told of an id that is no volunteer at all. The global staff are told why."""
    asyncio.run(_ockero_only(data_dir))
    assert main(["volunteers", "approve", "2003", "--as", OCKERO_STAFF]) == 0
    capsys.readouterr()

    def run(volunteer: str, staff: str = ASKER_STAFF) -> tuple[int, str]:
        code = main(["queue", "assign", "A-1001", volunteer, "--as", staff])
        return code, _error(capsys).replace(volunteer, "ID")

    assert run("2003") == run("9999") == (1, "error: volunteer ID is not an approved volunteer\n")
    assert run("2003", STAFF) == (
        1,
        "error: volunteer ID is not approved for the request's municipality\n",
    )
    assert [e[2] for e in audit_log(data_dir)] == ["approve"]


def test_erasing_someone_of_another_municipality_is_as_erasing_no_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Öckerö's staff erasing Kari (Asker's request) are told what they are told of an id
    the bot never saw: not whether she exists there. Nothing is erased or logged."""
    asyncio.run(_ockero_too(data_dir))

    def run(user_id: str) -> tuple[int, str]:
        code = main(["erase", user_id, "--as", OCKERO_STAFF])
        return code, _error(capsys).replace(user_id, "ID")

    assert run("1001") == run("99999")
    code, error = run("1001")
    assert code == 1 and "nothing to erase for ID in ockero" in error
    assert _still_there(capsys)
    assert [e for e in audit_log(data_dir) if e[2] == "erase"] == []
    # Someone who only asked a question in Öckerö is theirs to erase.
    asyncio.run(_asked(data_dir, 3003, "ockero"))
    assert main(["erase", "3003", "--as", OCKERO_STAFF]) == 0
    assert "erased everything about 3003" in capsys.readouterr().out
    assert [e for e in audit_log(data_dir) if e[2] == "erase"] == [
        (888, None, "erase", "(erased)", "ockero", "cli")
    ]


def test_an_erasure_is_logged_for_every_municipality_whose_data_went(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """3003 asked questions in Öckerö and in Asker, and has nothing else: Öckerö's staff
    may erase them, and Asker's staff see in their audit log that Asker's data went too."""
    asyncio.run(_asked(data_dir, 3003, "ockero"))
    asyncio.run(_asked(data_dir, 3003, "asker"))
    assert main(["erase", "3003", "--as", OCKERO_STAFF]) == 0
    capsys.readouterr()
    assert [e for e in audit_log(data_dir) if e[2] == "erase"] == [
        (888, None, "erase", "(erased)", "asker", "cli"),
        (888, None, "erase", "(erased)", "ockero", "cli"),
    ]
    # The global staff's erasure of someone who asked in Öckerö and chose Asker, too.
    asyncio.run(_asked(data_dir, 3004, "ockero"))
    asyncio.run(_chose(data_dir, 3004, "asker"))
    assert main(["erase", "3004", "--as", STAFF]) == 0
    assert [e[4] for e in audit_log(data_dir) if e[2] == "erase"][2:] == ["asker", "ockero"]


async def _asked(data_dir: Path, user_id: int, municipality: str) -> None:
    async with Database(data_dir / "bot.db") as db:
        await db.write(
            """INSERT INTO questions (user_id, municipality, language, text, outcome, asked_at)
               VALUES (?, ?, 'sv', 'när går färjan', 'fallback', ?)""",
            (user_id, municipality, int(time.time())),
        )
