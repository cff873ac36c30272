"""Bring a database up to date: migrations, the agency catalog and the first admin."""

from __future__ import annotations

from ingest.services import Services
from models.agencies import seed_catalog
from models.migrate import upgrade
from web.accounts import ensure_admin


def prepare_model(svc: Services) -> str:
    """The classifier's current version, training the first one from the shipped corpus (about 10 s, once)."""
    from classify.training import ensure_model
    from ingest.classification import model_store

    return ensure_model(model_store(svc.settings))


def prepare_database(svc: Services, *, with_admin: bool = False) -> str | None:
    """Migrate and seed; returns a generated admin password (to print once) when one was just created."""
    svc.settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(svc.settings.database_url)
    with svc.db.write() as session:
        seed_catalog(session)
        if with_admin:
            _admin, generated = ensure_admin(session, svc.settings.admin_password)
            return generated
    return None
