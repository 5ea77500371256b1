"""The grading service: students submit over HTTP from anywhere, results come back in seconds.

``grade serve`` runs it (:mod:`grader.service.server`); the HTTP API is :mod:`grader.service.app`;
the database (the system of record) is :mod:`grader.service.tables` with Alembic migrations;
grading runs on Dask (:mod:`grader.service.dispatcher`, and on each worker :mod:`grader.service.worker`); accounts and tokens are
:mod:`grader.service.accounts`; the course's rules per lesson are :mod:`grader.service.policy`;
the student's side of the wire is :mod:`grader.platforms.service_client`.
"""
