"""The grader's configuration for the course platforms: the data directory, the course folder,
nbgrader's exchange and gradebook, read once from the environment and ``nbgrader_config.py``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.platforms.exchange import Exchange

@dataclass(frozen=True)
class Settings:
    """The grader's configuration, read once: the environment, then the course's
    ``nbgrader_config.py``, overridden by what the caller passes (command-line options).

    - ``data_dir``: ``$GRADER_DATA_DIR``, else ``~/.cache/nn-grader/datasets``.
    - ``course_dir``: the folder of ``nbgrader_config.py`` (default: the current folder).
    - ``exchange_root``: ``$GRADER_EXCHANGE_ROOT``, else ``c.Exchange.root``, else nbgrader's
      default; ``course_id``: ``$GRADER_COURSE_ID``, else ``c.CourseDirectory.course_id``;
      ``db_url``: ``c.CourseDirectory.db_url`` (default: the course's ``gradebook.db``).
    """

    data_dir: Path
    course_dir: Path = Path(".")
    exchange_root: Path | None = None
    course_id: str | None = None
    db_url: str | None = None

    @classmethod
    def load(
        cls,
        course_dir: str | Path | None = None,
        *,
        data_dir: str | Path | None = None,
        exchange_root: str | Path | None = None,
        course_id: str | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> Settings:
        """Read the settings (see the class docstring); the arguments override both sources."""
        from grader.data.store import default_data_dir
        from grader.platforms.exchange import DEFAULT_EXCHANGE, read_nbgrader_config

        config = read_nbgrader_config(course_dir)
        root = exchange_root or environ.get("GRADER_EXCHANGE_ROOT") or config["exchange_root"] or DEFAULT_EXCHANGE
        return cls(
            data_dir=Path(data_dir or environ.get("GRADER_DATA_DIR") or default_data_dir(environ)),
            course_dir=Path(course_dir or "."),
            exchange_root=Path(str(root)),
            course_id=course_id or environ.get("GRADER_COURSE_ID") or config["course_id"],
            db_url=config["db_url"],
        )

    def exchange(self) -> Exchange:
        """The course's nbgrader exchange; :class:`~grader.platforms.exchange.SubmissionError` when no
        course id is configured."""
        from grader.platforms.exchange import Exchange, SubmissionError

        if not self.course_id:
            raise SubmissionError("no course id: set c.CourseDirectory.course_id in nbgrader_config.py, GRADER_COURSE_ID, or --course-id")
        return Exchange(self.exchange_root or Path("."), self.course_id)
