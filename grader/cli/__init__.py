"""The ``grade`` command line (click): the commands in :mod:`grader.cli.commands`, the batch
command's run in :mod:`grader.cli.autograde`. The console script is ``grader.console:main``, which runs ``main``."""

from grader.cli.commands import INSTRUCTOR_COMMANDS, main

__all__ = ["INSTRUCTOR_COMMANDS", "main"]
