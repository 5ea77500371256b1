"""An auto-grader for an introductory neural-networks course (see README.md)."""

__version__ = "0.1.0"
