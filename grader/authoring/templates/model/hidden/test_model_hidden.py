"""Hidden checks of model lesson `${lesson}`: train under the budget, accuracy tiers on the test
split (see :mod:`grader.kit.model_checks`; the tiers and budgets are in ``lesson.toml``)."""

from grader.kit import this_lesson
from grader.kit.model_checks import model_tests

globals().update(model_tests(this_lesson(__file__).id))
