"""``python -m grader`` runs the ``grade`` command line."""

from grader.cli import main

main()
