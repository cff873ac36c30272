"""Alembic environment: the URL comes from the config the caller built (see models.migrate)."""

from alembic import context

from models import Base
from models.session import get_engine, is_sqlite

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = get_engine(url)
    with engine.connect() as connection:
        # batch mode lets ALTER TABLE work on SQLite
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=is_sqlite(url))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
