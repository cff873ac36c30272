"""duplicate candidates on letters; the index and duplicates stages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicates', sa.JSON(), nullable=True))
    # two new post-OCR stages (index, duplicates): letters read before them must pass through them
    op.execute(sa.text("UPDATE letters SET stages_done = :no").bindparams(no=False))


def downgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('duplicates')
