"""Accounts of the service: students and instructors, each known by a random token.

A token is 32 random bytes (``secrets.token_urlsafe``), printed once when the account is made
and stored only as its sha256 (a token has far more entropy than a password, so a plain hash is
enough to make a leaked database useless). A student sees only their own submissions; an
instructor sees the course's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.errors import RequestError
from grader.service.tables import INSTRUCTOR, STUDENT, Account

#: What an account name may be (a student id as nbgrader and the exchange accept it).
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}$")


class AccountError(RequestError):
    """An account that cannot be made (a bad or taken name)."""


def hash_token(token: str) -> str:
    """The stored form of ``token``: its sha256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_accounts(session: Session, names: list[str], role: str) -> list[tuple[str, str]]:
    """Make an account of ``role`` for each name; ``[(name, token)]``, committed together (none
    when one name is bad or taken)."""
    made: list[tuple[str, str]] = []
    for name in names:
        if not NAME.match(name):
            raise AccountError(f"{name!r} is not an allowed account name (letters, digits, _ . @ -, starting with a letter or digit)")
        if session.scalar(select(Account).where(Account.name == name)) is not None or name in dict(made):
            raise AccountError(f"an account named {name!r} already exists")
        token = secrets.token_urlsafe(32)
        session.add(Account(name=name, role=role, token_hash=hash_token(token)))
        made.append((name, token))
    session.commit()
    return made


def add_students(session: Session, names: list[str]) -> list[tuple[str, str]]:
    """Student accounts: ``[(id, token)]``."""
    return add_accounts(session, names, STUDENT)


def add_instructor(session: Session, name: str) -> tuple[str, str]:
    """An instructor account: ``(name, token)``."""
    return add_accounts(session, [name], INSTRUCTOR)[0]


def roster_ids(path: Path) -> list[str]:
    """The student ids of a roster CSV: the column ``id`` (or ``student``, ``student_id``,
    ``username``), else the first column; blank rows skipped."""
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    for name in ("id", "student", "student_id", "username"):
        if name in header:
            column = header.index(name)
            return [row[column].strip() for row in rows[1:] if len(row) > column and row[column].strip()]
    return [row[0].strip() for row in rows if row and row[0].strip()]


def authenticate(session: Session, token: str | None) -> Account | None:
    """The account whose token is ``token`` (and not disabled), or None."""
    if not token:
        return None
    return session.scalar(select(Account).where(Account.token_hash == hash_token(token), Account.disabled.is_(False)))


def account_named(session: Session, name: str) -> Account:
    """The account ``name``; :class:`AccountError` when there is none."""
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None:
        raise AccountError(f"no account named {name!r} (grade service list shows them)")
    return account


def reset_token(session: Session, name: str) -> str:
    """A new token for ``name`` (printed once); the old one, and every session signed in with
    it, stop working."""
    account = account_named(session, name)
    token = secrets.token_urlsafe(32)
    account.token_hash = hash_token(token)
    account.session_generation = (account.session_generation or 0) + 1
    session.commit()
    return token


def set_disabled(session: Session, name: str, disabled: bool = True) -> Account:
    """Disable ``name`` (its token and sessions stop working) or enable it again."""
    account = account_named(session, name)
    account.disabled = disabled
    account.session_generation = (account.session_generation or 0) + 1
    session.commit()
    return account


def list_accounts(session: Session) -> list[tuple[Account, int]]:
    """Every account, instructors first, with its number of submissions."""
    from sqlalchemy import func

    from grader.service.tables import Submission

    counts = dict(session.execute(select(Submission.student, func.count()).group_by(Submission.student)).all())
    accounts = session.scalars(select(Account).order_by(Account.role, Account.name)).all()
    return [(account, counts.get(account.name, 0)) for account in accounts]
