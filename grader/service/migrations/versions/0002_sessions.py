"""Sessions that end with their account: a per-account session generation (a sign-out or a
reset ends every session of the account), accounts that can be disabled and the service's persisted secrets (the key that
signs session cookies, shared by every API process and kept across restarts).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(sa.Column("session_generation", sa.Integer, nullable=False, server_default="0"))
        accounts.add_column(sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_secrets")
    with op.batch_alter_table("accounts") as accounts:
        accounts.drop_column("disabled")
        accounts.drop_column("session_generation")
