"""The handles every job, view and command works with: settings, database and file store."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from core.settings import Settings, load_settings
from ingest.storage import FileStore
from models.session import Database


@dataclass
class Services:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @cached_property
    def store(self) -> FileStore:
        return FileStore(self.settings.data_dir)

    @classmethod
    def from_env(cls) -> Services:
        return cls(load_settings())
