"""The handles every job, view and command works with: settings, database, file store and search index."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from core.settings import Settings, load_settings
from ingest.storage import FileStore
from models.session import Database
from search.base import SearchBackend
from search.factory import open_backend


@dataclass
class Services:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def store(self) -> FileStore:
        return FileStore(self.settings.data_dir)

    @cached_property
    def search(self) -> SearchBackend:
        return open_backend(self.settings)

    @classmethod
    def from_env(cls) -> Services:
        return cls(load_settings())
