"""The ``grade`` console script's entry point, apart from :mod:`grader.cli`: a batch worker that
multiprocessing starts reads the script again (as ``__mp_main__``), and this way imports nothing
of the command line (click and every command) that it never runs."""


def main() -> None:
    """Run the ``grade`` command line (:data:`grader.cli.main`)."""
    from grader.cli import main as command

    command()
