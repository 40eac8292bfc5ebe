"""Entry point: ``python main.py [--db URL] [SUBCOMMAND]``; no subcommand opens the window."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from models.cli import EXIT_ERROR, PROG, run_command_line
from models.letter_cli import register_letter_subcommands
from models.operations import OpenedDatabase
from ui.export import render_referral_letter  # ReportLab only, no Qt

# The letter's renderer sits in ui/export, above models: wired here, in the composition root.
register_letter_subcommands(render_referral_letter)


def open_window(database: OpenedDatabase) -> int:
    # Imported here so the command line works on machines without Qt's system libraries.
    from ui.app import run_window

    return run_window(database.session_factory, sys.argv[:1])


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run_command_line(
            sys.argv[1:] if argv is None else argv, os.environ, open_window=open_window
        )
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``main.py trials | head``): stop quietly, as Unix tools do, and
        # keep Python from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as error:
        # The user gets a one-line message, never a traceback; TRIALMATCH_DEBUG shows it.
        if os.environ.get("TRIALMATCH_DEBUG"):
            raise
        print(
            f"{PROG}: unexpected error: {type(error).__name__}: {error} "
            "(set TRIALMATCH_DEBUG=1 to see the details)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
