"""Alembic's environment for the service's database (run by :func:`grader.service.tables.upgrade`)."""

from alembic import context
from sqlalchemy import create_engine, pool

from grader.service.tables import Base

config = context.config


def run_migrations() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
