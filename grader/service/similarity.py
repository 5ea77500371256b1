"""The service's similarity report per lesson: the latest submission of every student compared
with every other's (:mod:`grader.core.similarity`), kept in memory and brought up to date
incrementally.

A submission never changes once stored, so its fingerprints are computed once (from its
archive, read by the intake as the grader reads it). The first report of a lesson compares
every pair at once; after that, a student's newer submission is compared with the others
alone (its row and column of the coverage matrix), and a student's older one leaves. Hashes
too common to tell anything are fixed at the full comparison and recomputed with it when the
class has grown by a quarter since.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from grader.core import similarity
from grader.course.catalogue import get_lesson
from grader.service.dispatcher import files_of
from grader.service.tables import Submission

#: Regrow the common hashes once the class has grown by this share since they were fixed.
REBUILD_GROWTH = 0.25


class LessonSimilarity:
    """The pairs of one lesson's latest submissions (see the module docstring)."""

    def __init__(self, lesson_id: str):
        self.lesson = get_lesson(lesson_id)
        self.boilerplate = similarity.lesson_boilerplate(self.lesson)
        self.students: list[str] = []
        self.submission_ids: list[str] = []
        self.codes: list[similarity.Code] = []
        self.coverage = np.zeros((0, 0))
        self.ignored: set[int] = set()
        self.built_for = 0
        self.lock = threading.Lock()

    def update(self, latest: dict[str, str], load) -> int:
        """Bring the index to ``latest`` (``{student: the id of their latest submission}``;
        ``load(id)`` gives a :class:`Submission` row); how many submissions were fingerprinted.
        Call with :attr:`lock` held. Every new submission is fingerprinted before anything
        changes, so a failure leaves the index as it was."""
        changed = {student: row_id for student, row_id in latest.items() if student not in self.students or self.submission_ids[self.students.index(student)] != row_id}
        gone = [student for student in self.students if student not in latest]
        fingerprinted = {}
        for student, row_id in sorted(changed.items()):
            row = load(row_id)
            text = similarity.code_of_files(self.lesson, files_of(row.archive, row.filename, self.lesson.id))
            fingerprinted[student] = (row_id, similarity.fingerprint(student, text, self.boilerplate))
        for student in gone:
            self._remove(self.students.index(student))
        for student, (row_id, code) in fingerprinted.items():
            self._put(student, row_id, code)
        if changed or gone:
            if not self.built_for or len(self.codes) > self.built_for * (1 + REBUILD_GROWTH) or self.built_for > len(self.codes) * (1 + REBUILD_GROWTH):
                self._rebuild()
            else:
                for student in changed:
                    self._refresh(self.students.index(student))
        return len(changed)

    def _put(self, student: str, submission_id: str, code: similarity.Code) -> None:
        if student in self.students:
            index = self.students.index(student)
            self.submission_ids[index], self.codes[index] = submission_id, code
            return
        self.students.append(student)
        self.submission_ids.append(submission_id)
        self.codes.append(code)
        grown = np.zeros((len(self.codes), len(self.codes)))
        grown[: len(self.coverage), : len(self.coverage)] = self.coverage
        self.coverage = grown

    def _remove(self, index: int) -> None:
        for kept in (self.students, self.submission_ids, self.codes):
            del kept[index]
        self.coverage = np.delete(np.delete(self.coverage, index, axis=0), index, axis=1)

    def _rebuild(self) -> None:
        self.ignored = similarity.common_hashes(self.codes)
        self.coverage = similarity.coverage_matrix(self.codes, self.ignored)
        self.built_for = len(self.codes)

    def _refresh(self, index: int) -> None:
        """The row and column of submission ``index``, compared with every other."""
        self.coverage[index, :] = self.coverage[:, index] = 0
        for other in range(len(self.codes)):
            if other != index:
                pair = similarity.compare(self.codes[index], self.codes[other], self.ignored)
                self.coverage[index, other], self.coverage[other, index] = pair.coverage_a, pair.coverage_b

    def pairs(self, threshold: float) -> tuple[list[similarity.Pair], list[float]]:
        """The pairs scoring ``threshold`` or more (names are students), best first, with their
        regions; and every pair's score above 0. Call with :attr:`lock` held."""
        return similarity.ranked_pairs(self.codes, self.coverage, self.ignored, threshold)


@dataclass
class Report:
    """One reading of a lesson's similarity, consistent in itself: the pairs at or above the
    threshold, every pair's score above 0, and each student's latest submission's id."""

    pairs: list[similarity.Pair]
    scores: list[float]
    submissions: dict[str, str]


class SimilarityReports:
    """One :class:`LessonSimilarity` per lesson, brought up to date from the database on each read."""

    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions
        self.lessons: dict[str, LessonSimilarity] = {}
        self.lock = threading.Lock()

    def _current(self, lesson_id: str) -> LessonSimilarity:
        """The lesson's index, up to date with each student's latest submission; returned with
        its lock held (the caller releases it)."""
        with self.lock:
            if lesson_id not in self.lessons:
                self.lessons[lesson_id] = LessonSimilarity(lesson_id)
            index = self.lessons[lesson_id]
        index.lock.acquire()
        try:
            with self.sessions() as session:
                query = select(Submission.student, Submission.id).where(Submission.lesson == lesson_id).order_by(Submission.received_at, Submission.id)
                index.update({student: row_id for student, row_id in session.execute(query).all()}, lambda row_id: session.get(Submission, row_id))
        except BaseException:
            index.lock.release()
            raise
        return index

    def report(self, lesson_id: str, threshold: float) -> Report:
        """The lesson's pairs at or above ``threshold`` over each student's latest submission."""
        index = self._current(lesson_id)
        try:
            pairs, scores = index.pairs(threshold)
            return Report(pairs, scores, dict(zip(index.students, index.submission_ids)))
        finally:
            index.lock.release()

    def pair(self, lesson_id: str, first: str, second: str) -> tuple[similarity.Pair, dict[str, similarity.Code]] | None:
        """The pair of two submissions that are their students' latest (and its codes by
        student), or None."""
        index = self._current(lesson_id)
        try:
            if first not in index.submission_ids or second not in index.submission_ids or first == second:
                return None
            one, other = (index.codes[index.submission_ids.index(submission_id)] for submission_id in (first, second))
            return similarity.compare(one, other, index.ignored), {one.name: one, other.name: other}
        finally:
            index.lock.release()
