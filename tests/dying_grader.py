"""A grading function for pool tests whose worker dies on one submission (importable by spawned workers)."""

from __future__ import annotations

import os

from grader.api import GradeRequest
from grader.core.batch import grade_one


def grade_or_die(request: GradeRequest) -> dict:
    """Grade ``request``, except that the worker process dies when the folder's name says ``die``."""
    if os.path.basename(request.source).startswith("die"):
        os._exit(9)
    return grade_one(request)
