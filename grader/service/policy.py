"""The course's rules per lesson, from a TOML file given to ``grade serve --policy``::

    [default]
    per_hour = 20                 # submissions per student per hour (beyond: 429)
    max_upload_mb = 20            # upload size
    before_deadline = "all"       # what students see of the hidden checks: "all" or "scores"
    export = "latest"             # which submission counts in `grade service export`: "latest" or "best"
    gradescope = "visible"        # on Gradescope (`grade release --gradescope`): "visible", "after_due_date" or "hidden"

    [lessons.activations]
    deadline = 2026-12-20T23:59:00Z   # later receipts are marked late
    before_deadline = "scores"        # anti-probing: per-task scores only until the deadline

Every key is optional; a lesson's table overrides ``[default]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import tomllib

from grader.course.catalogue import LESSONS
from grader.errors import RequestError
from grader.reports.exports import GRADESCOPE_VISIBILITY

VISIBILITY = ("all", "scores")
EXPORTS = ("latest", "best")


class PolicyError(RequestError):
    """A policy file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class LessonPolicy:
    """One lesson's rules (see the module docstring)."""

    deadline: datetime | None = None
    per_hour: int = 20
    max_upload_bytes: int = 20 * 1024 * 1024
    before_deadline: str = "all"
    export: str = "latest"
    gradescope: str = "visible"

    def is_late(self, received: datetime) -> bool:
        """Whether a receipt at ``received`` (naive UTC) is after the deadline."""
        return self.deadline is not None and received > self.deadline

    def shows_checks(self, now: datetime) -> bool:
        """Whether a student sees the hidden checks' names and messages at ``now`` (naive UTC)."""
        return self.before_deadline == "all" or (self.deadline is not None and now > self.deadline)


@dataclass(frozen=True)
class Policy:
    """The rules of every lesson."""

    default: LessonPolicy = field(default_factory=LessonPolicy)
    lessons: dict[str, LessonPolicy] = field(default_factory=dict)

    def of(self, lesson: str) -> LessonPolicy:
        """The rules of ``lesson``."""
        return self.lessons.get(lesson, self.default)

    def largest_upload_bytes(self) -> int:
        """The largest upload any lesson accepts (what the service reads of a body at most)."""
        return max([self.default.max_upload_bytes, *(rules.max_upload_bytes for rules in self.lessons.values())])


def _lesson_policy(table: dict, base: LessonPolicy, where: str) -> LessonPolicy:
    changes: dict = {}
    for key, value in table.items():
        if key == "deadline":
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if not isinstance(value, datetime):
                raise PolicyError(f"{where}.deadline must be a date and time such as 2026-12-20T23:59:00Z")
            changes["deadline"] = (value.astimezone(timezone.utc) if value.tzinfo else value).replace(tzinfo=None)
        elif key == "per_hour":
            if not isinstance(value, int) or value < 1:
                raise PolicyError(f"{where}.per_hour must be a whole number of at least 1")
            changes["per_hour"] = value
        elif key == "max_upload_mb":
            if not isinstance(value, (int, float)) or value <= 0:
                raise PolicyError(f"{where}.max_upload_mb must be a positive number")
            changes["max_upload_bytes"] = int(value * 1024 * 1024)
        elif key == "before_deadline":
            if value not in VISIBILITY:
                raise PolicyError(f"{where}.before_deadline must be one of {', '.join(VISIBILITY)}")
            changes["before_deadline"] = value
        elif key == "export":
            if value not in EXPORTS:
                raise PolicyError(f"{where}.export must be one of {', '.join(EXPORTS)}")
            changes["export"] = value
        elif key == "gradescope":
            if value not in GRADESCOPE_VISIBILITY:
                raise PolicyError(f"{where}.gradescope must be one of {', '.join(GRADESCOPE_VISIBILITY)}")
            changes["gradescope"] = value
        else:
            raise PolicyError(f"{where}: unknown key {key!r} (deadline, per_hour, max_upload_mb, before_deadline, export, gradescope)")
    return replace(base, **changes)


def load_policy(path: str | Path | None) -> Policy:
    """The policy in the TOML file ``path`` (None: the defaults)."""
    if path is None:
        return Policy()
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"cannot read the policy {path}: {error}") from None
    default = _lesson_policy(data.get("default", {}), LessonPolicy(), "default")
    lessons = {}
    for lesson, table in data.get("lessons", {}).items():
        if lesson not in LESSONS:
            raise PolicyError(f"lessons.{lesson}: no such lesson (grade list shows them)")
        lessons[lesson] = _lesson_policy(table, default, f"lessons.{lesson}")
    unknown = set(data) - {"default", "lessons"}
    if unknown:
        raise PolicyError(f"unknown section(s) {', '.join(sorted(unknown))} (default, lessons)")
    return Policy(default, lessons)
