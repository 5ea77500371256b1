"""Hidden checks of `fashion_mnist`: train under the budget, accuracy tiers on the test split
(see :mod:`grader.hidden.model_support` and the lesson's tiers in :mod:`grader.lessons`)."""

from grader.hidden.model_support import model_tests

globals().update(model_tests("fashion_mnist"))
