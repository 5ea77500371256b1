"""Authoring a course: lesson folders -> released assignments, student distribution, nbgrader
sources and Gradescope zips; ``grade new`` and ``grade validate``; the typical-bug catalogue."""
