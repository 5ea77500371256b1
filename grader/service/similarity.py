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
        ``load(id)`` gives a :class:`Submission` row); how many submissions were fingerprinted."""
        with self.lock:
            changed = {student: row_id for student, row_id in latest.items() if student not in self.students or self.submission_ids[self.students.index(student)] != row_id}
            gone = [student for student in self.students if student not in latest]
            for student in gone:
                self._remove(self.students.index(student))
            for student, row_id in sorted(changed.items()):
                row = load(row_id)
                code = similarity.fingerprint(student, similarity.code_of_files(self.lesson, files_of(row.archive, row.filename, self.lesson.id)), self.boilerplate)
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
        regions; and every pair's score above 0."""
        with self.lock:
            scores = np.triu((self.coverage + self.coverage.T) / 2, 1)
            rows, columns = np.nonzero(scores > 0)
            every = sorted((float(value) for value in scores[rows, columns]), reverse=True)
            pairs = []
            for i, j in zip(rows.tolist(), columns.tolist()):
                if scores[i, j] >= threshold:
                    pair = similarity.compare(self.codes[i], self.codes[j], self.ignored)
                    pair.score, pair.coverage_a, pair.coverage_b = float(scores[i, j]), float(self.coverage[i, j]), float(self.coverage[j, i])
                    pairs.append(pair)
        pairs.sort(key=lambda pair: (-round(pair.score, 12), pair.a, pair.b))
        return pairs, every

    def code_of(self, submission_id: str) -> similarity.Code | None:
        """The code of a submission the index holds (a student's latest), else None."""
        with self.lock:
            return self.codes[self.submission_ids.index(submission_id)] if submission_id in self.submission_ids else None

    def submission_of(self, student: str) -> str | None:
        with self.lock:
            return self.submission_ids[self.students.index(student)] if student in self.students else None


class SimilarityReports:
    """One :class:`LessonSimilarity` per lesson, brought up to date from the database on each read."""

    def __init__(self, sessions: sessionmaker):
        self.sessions = sessions
        self.lessons: dict[str, LessonSimilarity] = {}
        self.lock = threading.Lock()

    def of(self, lesson_id: str) -> LessonSimilarity:
        """The lesson's index, with each student's latest submission in it."""
        with self.lock:
            index = self.lessons.setdefault(lesson_id, LessonSimilarity(lesson_id))
        with self.sessions() as session:
            rows = session.execute(select(Submission.student, Submission.id).where(Submission.lesson == lesson_id).order_by(Submission.received_at, Submission.id)).all()
            index.update({student: row_id for student, row_id in rows}, lambda row_id: session.get(Submission, row_id))
        return index
