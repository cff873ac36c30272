"""dossiers, review and holidays: letters gain their dossier, decision, processing deadline, reviewer and review
queue position

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:10:31.171369
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dossier_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_dossier_counters'))
    )
    op.create_table('holidays',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_holidays'))
    )
    op.create_table('dossiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decided_at', sa.Date(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('deadline_step', sa.String(length=40), nullable=True),
    sa.Column('deadline_label', sa.String(length=200), nullable=True),
    sa.Column('deadline_working_days', sa.Boolean(), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=True),
    sa.Column('result_at', sa.Date(), nullable=True),
    sa.Column('result_note', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], name=op.f('fk_dossiers_assigned_to_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_dossiers_opened_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossiers')),
    sa.UniqueConstraint('number', name=op.f('uq_dossiers_number')),
    sa.UniqueConstraint('year', 'seq', name='uq_dossiers_year_seq')
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossiers_assigned_to_id'), ['assigned_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_dossiers_status'), ['status'], unique=False)

    op.create_table('dossier_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_path', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_attachments_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_dossier_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_attachments'))
    )
    with op.batch_alter_table('dossier_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_attachments_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('dossier_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_steps_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_dossier_steps_letter_id_letters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dossier_steps_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_steps'))
    )
    with op.batch_alter_table('dossier_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossier_steps_dossier_id'), ['dossier_id'], unique=False)

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dossier_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('queue_order', sa.Integer(), nullable=True))
        batch_op.create_index('ix_letters_queue', ['queue_order', 'due_date', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_reviewed_at'), ['reviewed_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_letters_reviewed_by_id_users'), 'users', ['reviewed_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_letters_dossier_id_dossiers'), 'dossiers', ['dossier_id'], ['id'], ondelete='SET NULL')

    _backfill_letters()


def _backfill_letters() -> None:
    """Letters classified before this revision: their processing deadline (by the rule of this revision; the
    holiday calendar is still empty) and their place in the review queue."""
    from core.deadlines import processing_deadline

    letters = sa.table('letters', sa.column('id', sa.Integer), sa.column('received_date', sa.Date),
                       sa.column('channel', sa.String), sa.column('classification', sa.JSON),
                       sa.column('needs_review', sa.Boolean), sa.column('duplicates', sa.JSON),
                       sa.column('due_date', sa.Date), sa.column('queue_order', sa.Integer))
    bind = op.get_bind()
    rows = bind.execute(sa.select(letters.c.id, letters.c.received_date, letters.c.channel, letters.c.classification,
                                  letters.c.needs_review, letters.c.duplicates)).all()
    for row in rows:
        if not row.classification:
            continue
        kind = (row.classification.get('type') or {}).get('label')
        due = processing_deadline(row.received_date, type=kind, channel=row.channel).due
        order = 0 if row.needs_review else (1 if row.duplicates else 2)
        bind.execute(letters.update().where(letters.c.id == row.id).values(due_date=due, queue_order=order))


def downgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letters_dossier_id_dossiers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_letters_reviewed_by_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_letters_queue')
        batch_op.drop_column('queue_order')
        batch_op.drop_index(batch_op.f('ix_letters_reviewed_at'))
        batch_op.drop_index(batch_op.f('ix_letters_due_date'))
        batch_op.drop_index(batch_op.f('ix_letters_dossier_id'))
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('due_date')
        batch_op.drop_column('decision')
        batch_op.drop_column('dossier_id')

    with op.batch_alter_table('dossier_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_steps_dossier_id'))

    op.drop_table('dossier_steps')
    with op.batch_alter_table('dossier_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossier_attachments_dossier_id'))

    op.drop_table('dossier_attachments')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_status'))
        batch_op.drop_index(batch_op.f('ix_dossiers_deadline'))
        batch_op.drop_index(batch_op.f('ix_dossiers_assigned_to_id'))

    op.drop_table('dossiers')
    op.drop_table('holidays')
    op.drop_table('dossier_counters')
