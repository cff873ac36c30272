"""One settings object, read from ``DONTHU_*`` environment variables, for the web app, the workers and the CLI."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TypeVar

CHANNELS = ("post", "in_person", "reception", "agency", "email", "press", "deputy")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"DONTHU_{name}")
    return value if value not in (None, "") else default


_Num = TypeVar("_Num", int, float)


def _number(name: str, default: _Num) -> _Num:
    """``DONTHU_<name>`` as a number of the default's type; a clear error when it is not one."""
    raw = _env(name)
    kind = type(default)
    try:
        return kind(raw) if raw is not None else default
    except ValueError as exc:
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"DONTHU_{name} must be {what}, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Build it with :func:`load_settings`; tests use :meth:`with_overrides`."""

    data_dir: Path
    database_url: str
    redis_url: str | None  # None: use the private redis-server started by ``donthu run`` (or the local default)
    search_url: str = "fts5:"
    ocr_lang: str = "vie"
    ocr_dpi: int = 300
    secret_key: str = field(default="", repr=False)
    admin_password: str | None = field(default=None, repr=False)
    max_upload_bytes: int = 50 * 1024 * 1024
    max_pages: int = 200
    max_image_pixels: int = 60_000_000  # ~A3 at 600 dpi; larger is treated as a decompression bomb
    max_text_chars: int = 500_000  # a .txt letter longer than ~150 typed pages is refused
    job_timeout: int = 600  # seconds for one page job
    # address space (MiB) of one job's work-horse and the Tesseract it starts: a hostile page fails with
    # MemoryError instead of taking the machine down (0: no limit)
    job_memory_mb: int = 3072
    job_retries: int = 3
    max_page_attempts: int = 5  # a page whose worker died this many times is failed, not retried forever
    sweep_interval: int = 60
    stale_after: int = 900  # seconds without progress before the sweeper re-queues a letter
    workers: int = 0  # 0: one per core
    # OCR workers run at this nice level, so that page views keep their CPU while a batch is read (0: as the web)
    worker_nice: int = 10
    queue_name: str = "donthu"
    review_threshold: float = 0.6  # type confidence under which a letter needs review
    agency_review_threshold: float = 0.35  # agency confidence under which a letter needs review
    retrain_interval: int = 86400  # seconds between scheduled retraining checks (0: never)
    chores_interval: int = 3600  # seconds between the weekly report / reminder jobs (0: never)
    model_tolerance: float = 0.01  # a new model may score at most this much lower on the held-out split
    # the office printed on forwarding slips and guidance letters
    office_parent: str = "TỈNH ỦY"
    office_name: str = "BAN NỘI CHÍNH"
    office_place: str = "……"
    signer_title: str = "TL. BAN THƯỜNG VỤ\nTRƯỞNG BAN"
    signer_name: str = ""
    # cookies only over HTTPS: on behind a TLS proxy in production; off for http://127.0.0.1 on one machine
    secure_cookies: bool = False
    # reverse proxies in front of the web app (nginx …): their X-Forwarded-For/-Proto/-Host are trusted this many
    # hops deep, so login throttling and the audit see the client's address, not the proxy's (0: no proxy)
    proxy_hops: int = 0
    host: str = "127.0.0.1"
    port: int = 8000
    # e-mail for reminders: no host, no e-mail (the in-app notifications still appear)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "donthu@localhost"
    smtp_starttls: bool = False
    reminder_soon_days: int = 3  # a deadline this many days away or fewer is "due soon"
    # fault tests only (bench/faults.py): "name=seconds,..." pauses at core.failpoints.failpoint(name)
    failpoints: str = ""

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def private_redis_socket(self) -> Path:
        return self.data_dir / "run" / "redis.sock"

    @property
    def effective_redis_url(self) -> str:
        """The configured Redis, else the private one ``donthu run`` started, else the local default port."""
        if self.redis_url:
            return self.redis_url
        if self.private_redis_socket.exists():
            return f"unix://{self.private_redis_socket}"
        return "redis://127.0.0.1:6379/0"

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)

    def as_env(self) -> dict[str, str]:
        """The ``DONTHU_*`` variables that rebuild these settings in a child process."""
        env: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            env[f"DONTHU_{f.name.upper()}"] = str(value)
        return env


def _secret_key(data_dir: Path) -> str:
    """The configured key, else one generated once and kept in the data dir so sessions survive restarts."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(key)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return key


def load_settings() -> Settings:
    """Read settings from the environment (``DONTHU_DATA_DIR`` defaults to ``./var``)."""
    data_dir = Path(_env("DATA_DIR", "var")).expanduser().resolve()
    database_url = _env("DATABASE_URL") or f"sqlite:///{data_dir / 'donthu.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=_env("REDIS_URL"),
        search_url=_env("SEARCH_URL", "fts5:"),
        ocr_lang=_env("OCR_LANG", "vie"),
        ocr_dpi=_number("OCR_DPI", 300),
        secret_key=_secret_key(data_dir),
        admin_password=_env("ADMIN_PASSWORD"),
        max_upload_bytes=_number("MAX_UPLOAD_BYTES", 50 * 1024 * 1024),
        max_pages=_number("MAX_PAGES", 200),
        max_image_pixels=_number("MAX_IMAGE_PIXELS", 60_000_000),
        max_text_chars=_number("MAX_TEXT_CHARS", 500_000),
        job_timeout=_number("JOB_TIMEOUT", 600),
        job_memory_mb=_number("JOB_MEMORY_MB", 3072),
        job_retries=_number("JOB_RETRIES", 3),
        max_page_attempts=_number("MAX_PAGE_ATTEMPTS", 5),
        sweep_interval=_number("SWEEP_INTERVAL", 60),
        stale_after=_number("STALE_AFTER", 900),
        workers=_number("WORKERS", 0),
        worker_nice=_number("WORKER_NICE", 10),
        queue_name=_env("QUEUE_NAME", "donthu"),
        review_threshold=_number("REVIEW_THRESHOLD", 0.6),
        agency_review_threshold=_number("AGENCY_REVIEW_THRESHOLD", 0.35),
        retrain_interval=_number("RETRAIN_INTERVAL", 86400),
        chores_interval=_number("CHORES_INTERVAL", 3600),
        model_tolerance=_number("MODEL_TOLERANCE", 0.01),
        office_parent=_env("OFFICE_PARENT", "TỈNH ỦY"),
        office_name=_env("OFFICE_NAME", "BAN NỘI CHÍNH"),
        office_place=_env("OFFICE_PLACE", "……"),
        signer_title=_env("SIGNER_TITLE", "TL. BAN THƯỜNG VỤ\nTRƯỞNG BAN"),
        signer_name=_env("SIGNER_NAME", ""),
        secure_cookies=(_env("SECURE_COOKIES", "0") or "0").lower() in ("1", "true", "yes"),
        proxy_hops=_number("PROXY_HOPS", 0),
        host=_env("HOST", "127.0.0.1"),
        port=_number("PORT", 8000),
        smtp_host=_env("SMTP_HOST"),
        smtp_port=_number("SMTP_PORT", 25),
        smtp_user=_env("SMTP_USER"),
        smtp_password=_env("SMTP_PASSWORD"),
        smtp_from=_env("SMTP_FROM", "donthu@localhost"),
        smtp_starttls=(_env("SMTP_STARTTLS", "0") or "0").lower() in ("1", "true", "yes"),
        reminder_soon_days=_number("REMINDER_SOON_DAYS", 3),
        failpoints=_env("FAILPOINTS", ""),
    )
