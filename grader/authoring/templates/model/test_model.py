"""Public checks of `${lesson}`'s model.py: a smoke run (`grade check ${lesson}`).

Trains on a slice of the training split under a small budget and labels a held-out part of it,
in your own Python: whether the interface works, and roughly where the accuracy stands.
The data set must be in your data directory: `grade data fetch ${dataset}` (or `grade data import`).
"""

from grader.smoke import smoke_tests

globals().update(smoke_tests("${lesson}"))
