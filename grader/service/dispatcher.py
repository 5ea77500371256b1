"""Grading jobs onto Dask, results back into the database exactly once, lost work found again.

:class:`Dispatcher` sends each queued job to the Dask cluster as ``grade one request``
(:func:`grader.core.batch.grade_one`, the same call the batch makes), with the submission's files
in the request (no shared filesystem needed). When a future finishes, its result is written
with a conditional update (only while the job is not final), so a duplicate delivery changes
nothing. The sweeper re-dispatches every unfinished job that no future of this process is
working on: after a restart of the service (nothing in flight), a lost worker (Dask re-runs
its tasks; a task that kills worker after worker ends as ``grader-error``), or a scheduler
that went away. Every job ends in a visible state.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import uuid
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from grader.core.request import GradeRequest
from grader.core.results import NOT_THE_STUDENTS, GradingResult
from grader.course.catalogue import get_lesson
from grader.errors import RequestError
from grader.runner.intake import NOTEBOOK_SUFFIX, SubmissionFiles, read_submission
from grader.service.tables import FINAL, GRADED, GRADER_ERROR, GRADING, QUEUED, Job, utcnow
from grader.service.worker import grade_job

log = logging.getLogger("grader.service")

#: How often the sweeper looks for jobs nobody is working on, in seconds.
SWEEP_EVERY_S = 2.0
#: Dispatches of one job before it ends as ``grader-error`` (each one lost a worker or more).
MAX_ATTEMPTS = 3
#: The Dask worker resource a model lesson's job needs: a worker that grades one job at a time
#: with all of its machine's cores (``dask worker --nthreads 1 --resources model=1``; every
#: worker of ``grade serve``'s own LocalCluster has it).
MODEL_RESOURCE = "model"


def files_of(archive: bytes, filename: str, lesson_id: str) -> SubmissionFiles:
    """The files of an uploaded archive as the intake reads them (the lesson's files first)."""
    name = Path(filename).name
    if not name.endswith((".tar.gz", ".tgz", ".tar", ".zip", NOTEBOOK_SUFFIX)) or name.startswith("."):
        name = "submission.tar.gz"  # an archive is read by its name's suffix: gzip'd tar unless it says otherwise
    with tempfile.TemporaryDirectory(prefix="grader-upload-") as scratch:
        path = Path(scratch) / name
        path.write_bytes(archive)
        files = read_submission(path, first=get_lesson(lesson_id).module_files)
    return SubmissionFiles(filename, files.files, files.refused, files.note)


class Dispatcher:
    """Sends jobs to a Dask ``client`` and records their results (see the module docstring)."""

    def __init__(self, sessions: sessionmaker, client, *, sweep_every_s: float = SWEEP_EVERY_S):
        self.sessions = sessions
        self.client = client
        self.sweep_every_s = sweep_every_s
        self._in_flight: dict[int, object] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_forever, name="grader-sweeper", daemon=True)

    def start(self) -> None:
        """Start the sweeper (which also dispatches what an earlier run left unfinished)."""
        self._sweeper.start()

    def stop(self) -> None:
        self._stop.set()
        self._sweeper.join(timeout=10)

    def submit(self, job_id: int, files: SubmissionFiles | None = None) -> None:
        """Dispatch a job that was just committed (the sweeper would find it too); ``files``:
        its submission as the upload's intake already read it."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is not None and job.status not in FINAL:
                self._dispatch(session, job, files)

    def sweep(self) -> int:
        """Dispatch every unfinished job that no future of this process works on; how many."""
        dispatched = 0
        with self.sessions() as session:
            for job in session.scalars(select(Job).where(Job.status.in_((QUEUED, GRADING))).order_by(Job.id)):
                with self._lock:
                    busy = job.id in self._in_flight
                if not busy:
                    self._dispatch(session, job)
                    dispatched += 1
        return dispatched

    def _sweep_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # noqa: BLE001 - a database or scheduler hiccup: the next sweep retries
                log.exception("sweep failed")
            self._stop.wait(self.sweep_every_s)

    def _dispatch(self, session, job: Job, files: SubmissionFiles | None = None) -> None:
        with self._lock:
            if job.id in self._in_flight:
                return
            self._in_flight[job.id] = None
        try:
            if job.attempts >= MAX_ATTEMPTS:
                self.record(job.id, self._failure(job, f"grading it failed {job.attempts} times (a worker died each time); grade it again"))
                return
            submission = job.submission
            try:
                files = files or files_of(submission.archive, submission.filename, submission.lesson)
            except RequestError as error:
                self.record(job.id, self._failure(job, f"its stored archive could not be read ({error}); {NOT_THE_STUDENTS}"))
                return
            request = GradeRequest(submission.lesson, files, student=submission.student)
            # Only while not final: the sweeper's rows may be older than a result just recorded.
            claimed = session.execute(
                update(Job).where(Job.id == job.id, Job.status.not_in(FINAL)).values(status=GRADING, attempts=Job.attempts + 1, dispatched_at=utcnow())
            ).rowcount
            session.commit()
            if not claimed:
                with self._lock:
                    self._in_flight.pop(job.id, None)
                return
            # A model lesson trains with every core of its worker: only on workers that say so.
            resources = {MODEL_RESOURCE: 1} if get_lesson(submission.lesson).is_model else None
            future = self.client.submit(grade_job, request, key=f"grade-{job.id}-{uuid.uuid4().hex[:12]}", pure=False, resources=resources)
            with self._lock:
                self._in_flight[job.id] = future
            future.add_done_callback(lambda done, job_id=job.id: self._finished(job_id, done))
        except BaseException:
            with self._lock:
                self._in_flight.pop(job.id, None)
            raise

    def _finished(self, job_id: int, future) -> None:
        try:
            if future.status == "finished":
                self.record(job_id, future.result())
            # else: lost (a worker killed every time, the scheduler gone): the sweeper re-dispatches it
        except Exception:  # noqa: BLE001 - the sweeper re-dispatches it
            log.exception("recording job %s failed", job_id)
        finally:
            with self._lock:
                self._in_flight.pop(job_id, None)

    @staticmethod
    def _failure(job: Job, message: str) -> dict:
        submission = job.submission
        return GradingResult.grader_error(submission.lesson, submission.filename, message, submission.student).to_dict()

    def record(self, job_id: int, result: dict) -> bool:
        """Write ``result`` as the job's, once: False when the job was already final."""
        status = GRADED if result.get("status", GRADED) == GRADED else GRADER_ERROR
        with self.sessions() as session:
            submission_id = session.scalar(select(Job.submission_id).where(Job.id == job_id))
            if submission_id is not None:
                result = {**result, "submission": submission_id}
            changed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.not_in(FINAL))
                .values(status=status, result=json.dumps(result), score=result.get("score"), max_score=result.get("max_score"), finished_at=utcnow())
            ).rowcount
            session.commit()
        return bool(changed)


def queue_position(session, job: Job) -> int:
    """How many unfinished jobs are ahead of ``job`` (0: it is next, or being graded)."""
    if job.status in FINAL:
        return 0
    return session.scalar(select(func.count()).select_from(Job).where(Job.status.in_((QUEUED, GRADING)), Job.id < job.id)) or 0

