"""Entry point for `python -m bot`."""

import sys


def _run() -> int:
    try:
        from bot.cli import main

        return main()
    except ModuleNotFoundError as error:
        # Run with a Python that lacks the project's packages (not .venv's): say so in one
        # line, not a traceback. A missing module of our own is a bug and is raised.
        if error.name is None or error.name.split(".")[0] == "bot":
            raise
        print(
            f"crisis-help-bot: the package '{error.name}' is not installed for {sys.executable}. "
            "Run `make install` and use .venv/bin/python -m bot.",
            file=sys.stderr,
        )
        return 2


raise SystemExit(_run())
