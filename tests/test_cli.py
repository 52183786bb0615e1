"""The command line, called as `main(argv)`: the ask batch protocol and the kb commands."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main


class FakeStdin(io.TextIOWrapper):
    """Standard input with raw bytes underneath, as a pipe gives it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8")

    def isatty(self) -> bool:
        return False


def ask_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes, *args: str
) -> list[dict[str, object]]:
    monkeypatch.setattr("sys.stdin", FakeStdin(data))
    assert main(["ask", "--json", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("ask", "kb", "chat", "run", "unanswered", "bench"):
        assert command in out


def test_every_command_has_an_example_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["ask"],
        ["kb", "check"],
        ["kb", "test"],
        ["kb", "export"],
        ["kb", "reviewed"],
        ["chat"],
        ["run"],
        ["unanswered"],
    ):
        with pytest.raises(SystemExit):
            main([*argv, "--help"])
        assert "example" in capsys.readouterr().out


def test_ask_with_text_prints_a_human_readable_reply(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--municipality", "asker", "kan", "jeg", "utsette", "fakturaen?"]) == 0
    out = capsys.readouterr().out
    assert "forsinkelsesrenter" in out
    assert "<b>" not in out
    assert "[answer asker-invoice-deferral" in out


def test_ask_json_has_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "-m", "ockero", "är biblioteket öppet?"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["kind"] == "answer"
    assert reply["language"] == "sv"
    assert reply["municipality"] == "ockero"
    assert 0 <= reply["score"] <= 100
    assert isinstance(reply["suggestions"], list)
    assert {"id", "title"} <= set(reply["suggestions"][0])


def test_batch_reads_plain_and_json_lines_one_reply_each(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        "kan jeg utsette fakturaen?",
        json.dumps({"text": "is the library open?", "municipality": "ockero"}),
        json.dumps({"text": "innbyggerservice", "municipality": "asker", "language": "en"}),
        json.dumps({"text": "hei", "municipality": "nowhere"}),
        "{not json",
        json.dumps([1, 2]),
        "",
    ]
    replies = ask_lines(monkeypatch, capsys, ("\n".join(lines) + "\n").encode(), "-m", "asker")
    assert len(replies) == len(lines)
    assert replies[0]["entry_id"] == "asker-invoice-deferral"
    assert replies[1]["entry_id"] == "ockero-library" and replies[1]["language"] == "en"
    assert replies[2]["language"] == "en"
    assert replies[3]["municipality"] is None
    assert replies[6]["kind"] == "fallback"


def test_batch_survives_invalid_utf8_and_control_characters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"faktura \xff\xfe utsette\n\x00\x07\x1b[31m\n" + "\u202e\u200b".encode() + b"\n"
    replies = ask_lines(monkeypatch, capsys, data, "-m", "asker")
    assert len(replies) == 3
    assert all(r["text"] for r in replies)


def test_batch_handles_thousands_of_questions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = "".join(f"spørsmål nummer {n} om fakturaen\n" for n in range(3000)).encode()
    assert len(ask_lines(monkeypatch, capsys, data, "-m", "asker")) == 3000


def test_ask_refuses_an_unknown_municipality(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "-m", "oslo", "hei"]) == 2
    err = capsys.readouterr().err
    assert "unknown municipality 'oslo'" in err
    assert "asker" in err


def test_ask_refuses_an_unknown_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "-l", "de", "hei"]) == 2
    assert "unknown language" in capsys.readouterr().err


def test_kb_check_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kb_copy: Path
) -> None:
    assert main(["kb", "check", str(kb_copy)]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    broken = kb_copy / "asker" / "payments.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("    topic:", "    topik:", 1), encoding="utf-8"
    )
    assert main(["kb", "check", str(kb_copy)]) == 1
    out = capsys.readouterr().out
    assert f"{broken}:3: error: unknown field 'topik' (did you mean 'topic'?)" in out


def test_kb_check_warnings_alone_exit_0(kb_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(kb_copy / "asker" / "payments.yaml", kb_copy / "asker" / "draft.yaml")
    assert main(["kb", "check", str(kb_copy)]) == 0
    assert "warning: this file is not listed" in capsys.readouterr().out


def test_kb_check_missing_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check", "/nonexistent"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_kb_test_lists_questions_that_miss(
    kb_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "test", str(kb_copy)]) == 0
    assert "example questions find their own entry" in capsys.readouterr().out
    library = kb_copy / "ockero" / "leisure.yaml"
    text = library.read_text(encoding="utf-8")
    library.write_text(
        text.replace("Är biblioteket öppet under coronan?", "Det brinner i köket, hjälp!", 1),
        encoding="utf-8",
    )
    assert main(["kb", "test", str(kb_copy)]) == 1
    out = capsys.readouterr().out
    assert "leisure.yaml:9: [sv] 'Det brinner i köket, hjälp!' -> emergency" in out


def test_kb_export_is_the_whole_knowledge_base(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "export", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {m["id"] for m in document["municipalities"]} == {
        "asker",
        "ockero",
        "hallstahammar",
        "katrineholm",
    }
    entry = next(e for e in document["entries"] if e["id"] == "asker-invoice-deferral")
    assert entry["reviewed"] == "2026-11-22"
    assert set(entry["answer"]) == {"nb", "en"}
    assert document["emergency"]["NO"][0]["number"] == "113"


def test_broken_knowledge_base_still_answers_with_a_warning(
    kb_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (kb_copy / "ockero" / "leisure.yaml").write_text("entries: [\n", encoding="utf-8")
    assert main(["ask", "--kb", str(kb_copy), "-m", "asker", "innbyggerservice telefon"]) == 0
    captured = capsys.readouterr()
    assert "66 700 000" in captured.out
    assert "error(s)" in captured.err


def test_kb_test_with_errors_lists_them_first_and_exits_1(
    kb_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = kb_copy / "asker" / "payments.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("    topic:", "    topik:", 1), encoding="utf-8"
    )
    assert main(["kb", "test", str(kb_copy)]) == 1
    out = capsys.readouterr().out
    summary = out.index("example questions find their own entry")
    assert out.index(f"{broken}:3: error: unknown field 'topik'") < summary
    assert out.startswith(f"{broken}:")
    assert "error(s): the entries they are in were not tested" in out[summary:]


def test_kb_export_needs_no_format_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "export"]) == 0
    assert "municipalities" in json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("days", ["-3", "0", "lots"])
def test_unanswered_refuses_a_period_that_is_not_positive(
    days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["unanswered", "--days", days])
    assert exit_info.value.code == 2
    assert "--days" in capsys.readouterr().err


def test_a_python_without_the_packages_gets_one_line_not_a_traceback() -> None:
    # -S: no site-packages, as with a system Python where nothing was installed.
    done = subprocess.run(
        [sys.executable, "-S", "-m", "bot", "ask", "hei"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "is not installed" in done.stderr


def test_kb_reviewed_stamps_one_entry_and_check_then_catches_a_stale_language(
    kb_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = kb_copy / "asker" / "payments.yaml"
    before = path.read_text(encoding="utf-8").splitlines(keepends=True)
    argv = ["kb", "reviewed", "asker-invoice-deferral", "--date", "2026-12-01", "--kb"]
    assert main([*argv, str(kb_copy)]) == 0
    assert "1 entry marked reviewed on 2026-12-01" in capsys.readouterr().out
    after = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # The shipped file is stamped already and the answers are as they were: only the date.
    assert [(b, a) for b, a in zip(before, after, strict=True) if b != a] == [
        ("    reviewed: 2026-11-22\n", "    reviewed: 2026-12-01\n")
    ]

    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("If you have suddenly", "If you have recently", 1))
    assert main(["kb", "check", str(kb_copy)]) == 0
    out = capsys.readouterr().out
    assert (
        "the English answer of 'asker-invoice-deferral' changed since the review on 2026-12-01 "
        "but the Norwegian one did not: check it is still current"
    ) in out
    edited = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert main([*argv, str(kb_copy)]) == 0
    capsys.readouterr()
    restamped = path.read_text(encoding="utf-8").splitlines(keepends=True)
    [(was, now)] = [(b, a) for b, a in zip(edited, restamped, strict=True) if b != a]
    assert was.startswith("    reviewed_hashes: {") and now.startswith("    reviewed_hashes: {")
    assert main(["kb", "check", str(kb_copy)]) == 0
    assert "changed since the review" not in capsys.readouterr().out


def test_kb_reviewed_all_leaves_the_stamped_shipped_files_as_they_are(
    kb_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "reviewed", "--all", "--date", "2026-11-22", "--kb", str(kb_copy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 entries marked reviewed on 2026-11-22, 49 already were")


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["asker-nowhere"], "no entry 'asker-nowhere' loaded"),
        ([], "name the entries to mark reviewed, or use --all"),
        (["--all", "asker-invoice-deferral"], "name the entries to mark reviewed, or use --all"),
    ],
)
def test_kb_reviewed_refuses_what_it_cannot_mark_and_changes_nothing(
    kb_copy: Path, capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str
) -> None:
    before = {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")}
    assert main(["kb", "reviewed", *argv, "--kb", str(kb_copy)]) == 2
    assert complaint in capsys.readouterr().err
    assert {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")} == before


def test_kb_reviewed_refuses_a_date_that_is_not_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["kb", "reviewed", "--all", "--date", "22.11.2026"])
    assert exit_info.value.code == 2
    assert "is not a date written as YYYY-MM-DD" in capsys.readouterr().err
