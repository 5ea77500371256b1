"""Public checks of `fashion_mnist`'s model.py: a smoke run (`grade check fashion_mnist`).

Trains on a slice of the training split under a small budget and labels a held-out part of it,
in your own Python: whether the interface works, and roughly where the accuracy stands. The
grading trains on the whole training split under the full budget and scores the test split.
The data set must be in your data directory: `grade data fetch fashion_mnist` (or `grade data import`).
"""

from grader.smoke import smoke_tests

globals().update(smoke_tests("fashion_mnist"))
