"""The service's database, the system of record: accounts, submissions and their grading jobs.

A submission (its archive, sha256, lesson, student, the server's receipt time) and its job are
written in one transaction before the API answers ``202 Accepted``. A job's status goes
``queued`` -> ``grading`` -> ``graded`` or ``grader-error``; its result (the COURSE.md JSON) is
written once: a second delivery of the same job's result changes nothing. The schema is
created and upgraded by Alembic (:func:`upgrade`, migrations in ``migrations/``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint, create_engine, event, false
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

#: Job statuses (the API's too). ``graded`` and ``grader-error`` are final.
QUEUED, GRADING, GRADED, GRADER_ERROR = "queued", "grading", "graded", "grader-error"
FINAL = (GRADED, GRADER_ERROR)
STUDENT, INSTRUCTOR = "student", "instructor"


def utcnow() -> datetime:
    """Now, in UTC (naive, as the database stores it)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Account(Base):
    """A student or an instructor, known by a random token stored only as its hash."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Part of every session cookie's signature: raised by a sign-out, which ends every
    #: session of the account.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    #: A disabled account signs in nowhere (``grade service disable``).
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())


class ServiceSecret(Base):
    """A secret of the service made once and kept (the key that signs session cookies)."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Submission(Base):
    """One upload, as it arrived: never changed afterwards."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("student", "idempotency_key", name="uq_submission_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    student: Mapped[str] = mapped_column(String(200), index=True)
    lesson: Mapped[str] = mapped_column(String(100), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    late: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    job: Mapped[Job] = relationship(back_populates="submission", uselist=False)


class Job(Base):
    """The grading of one submission: its status, its attempts, its result once final."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    dispatched_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    result: Mapped[str | None] = mapped_column(Text)
    submission: Mapped[Submission] = relationship(back_populates="job")


def database_url(db: str | Path) -> str:
    """``db`` as an SQLAlchemy URL: a URL as it is (``postgresql+psycopg://...``), a path as SQLite."""
    text = str(db)
    return text if "://" in text else f"sqlite:///{Path(text).resolve()}"


#: Connections: the API's worker threads (40, Starlette's default), the dispatcher's and the sweeper's.
POOL = {"pool_size": 10, "max_overflow": 50, "pool_timeout": 60}


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite in WAL mode with a busy timeout, so readers never block the
    writer and two writers wait for each other instead of failing. The pool holds a connection
    for each of the server's request threads (:data:`POOL`)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **POOL)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def upgrade(url: str) -> None:
    """Create or upgrade the schema at ``url`` with Alembic's migrations (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def open_database(db: str | Path) -> sessionmaker:
    """Upgrade the database ``db`` (a path, whose folder is made, or a URL) and return its
    session factory."""
    if "://" not in str(db):
        Path(db).resolve().parent.mkdir(parents=True, exist_ok=True)
    url = database_url(db)
    upgrade(url)
    return sessionmaker(make_engine(url), expire_on_commit=False)
