"""labels as they stand on letters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 22:25:26.126286
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('field', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('agency', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_letters_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_type'), ['type'], unique=False)
        batch_op.create_index('ix_letters_report', ['received_date', 'reviewed_at', 'decision', 'dossier_id', 'type',
                                                    'field', 'agency', 'prior_resolution'], unique=False)
    _backfill()


def _backfill() -> None:
    """The labels as they stand: the latest reviewer label, else the model's prediction."""
    letters = sa.table('letters', sa.column('id', sa.Integer), sa.column('classification', sa.JSON),
                       sa.column('type', sa.String), sa.column('field', sa.String), sa.column('agency', sa.String))
    labels = sa.table('letter_labels', sa.column('id', sa.Integer), sa.column('letter_id', sa.Integer),
                      sa.column('type', sa.String), sa.column('field', sa.String), sa.column('agency', sa.String))
    predicted = letters.c.classification
    op.execute(letters.update().where(letters.c.classification.is_not(None)).values(
        type=predicted['type']['label'].as_string(), field=predicted['field']['label'].as_string(),
        agency=predicted['agency']['label'].as_string()))
    latest = (sa.select(labels.c.letter_id, sa.func.max(labels.c.id).label('last'))
              .group_by(labels.c.letter_id).subquery())
    bind = op.get_bind()
    rows = bind.execute(sa.select(labels.c.letter_id, labels.c.type, labels.c.field, labels.c.agency)
                        .join(latest, labels.c.id == latest.c.last)).all()
    for letter_id, kind, field, agency in rows:
        bind.execute(letters.update().where(letters.c.id == letter_id).values(type=kind, field=field, agency=agency))


def downgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_report')
        batch_op.drop_index(batch_op.f('ix_letters_type'))
        batch_op.drop_index(batch_op.f('ix_letters_agency'))
        batch_op.drop_column('agency')
        batch_op.drop_column('field')
        batch_op.drop_column('type')
