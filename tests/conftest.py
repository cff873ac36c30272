"""Shared fixtures: a private real Redis, real databases (SQLite always, PostgreSQL when configured), settings
for one test, and background workers running as real processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from core.settings import Settings, load_settings
from ingest.services import Services
from models.session import dispose_all
from web.bootstrap import prepare_database

PG_URL = os.environ.get("DONTHU_TEST_DATABASE_URL")
ARTIFACTS = Path(__file__).parent / "artifacts"


class RedisServer:
    """A redis-server of the test session's own on a Unix socket, so tests may stop and restart it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run `make setup`")
        self.socket.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis(unix_socket_path=str(self.socket)).ping():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.05)
        raise RuntimeError("test redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # like a crash: whatever it held is gone
            self.proc.wait()
        self.socket.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test alone, for tests that stop or restart it."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()


def _pg_admin():  # noqa: ANN202
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    return psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                           dbname=url.database, autocommit=True), url


@contextlib.contextmanager
def scratch_pg_database(admin_url: str, prefix: str = "donthu_s") -> Iterator[str]:
    """A new, empty PostgreSQL database on ``admin_url``'s server, dropped on the way out (tests and benches)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                            dbname=url.database, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database test runs on SQLite, and again on a fresh PostgreSQL database when one is configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'donthu.db'}"
        dispose_all()
        return
    if not PG_URL:
        pytest.skip("DONTHU_TEST_DATABASE_URL is not set")
    admin, url = _pg_admin()
    name = f"donthu_t_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    dispose_all()
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The classifier trained once from the shipped corpus; each test gets its own copy in its data dir."""
    from classify.store import ModelStore
    from classify.training import ensure_model

    models_dir = tmp_path_factory.mktemp("models")
    ensure_model(ModelStore(models_dir))
    return models_dir


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_server: RedisServer, trained_models: Path,
             monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for one test, also exported as DONTHU_* so CLI calls and worker processes see the same."""
    shutil.copytree(trained_models, tmp_path / "data" / "models")
    env = {
        "DONTHU_DATA_DIR": str(tmp_path / "data"),
        "DONTHU_DATABASE_URL": database_url,
        "DONTHU_REDIS_URL": redis_server.url,
        "DONTHU_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}",  # no job leaks between tests
        "DONTHU_SWEEP_INTERVAL": "2",
        "DONTHU_STALE_AFTER": "30",
        "DONTHU_JOB_RETRIES": "2",
        "DONTHU_WORKERS": "2",
        "DONTHU_ADMIN_PASSWORD": "admin-pass-1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings()


@pytest.fixture
def svc(settings: Settings) -> Services:
    services = Services(settings)
    prepare_database(services, with_admin=True)
    return services


@pytest.fixture
def client(svc: Services):  # noqa: ANN201 - flask.testing.FlaskClient
    """A test client of the web app on this test's services (not logged in)."""
    from tests.webkit import app_client

    return app_client(svc)


@pytest.fixture(scope="session")
def ocr_dev_letters(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The development set as OCR'd damaged scans, made once per test session (about a minute)."""
    from tests.dev_set import ocr_dev_set

    return ocr_dev_set(tmp_path_factory.mktemp("dev-scans"))


class Workers:
    """``donthu worker`` as a real process tree: a supervisor, its RQ workers and their work-horses."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.proc: subprocess.Popen | None = None
        self.log = settings.data_dir / "workers.log"

    def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.settings.as_env(), "DONTHU_LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "-n", str(self.count)], env=env,
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def workers(settings: Settings, svc: Services) -> Iterator[Workers]:
    pool = Workers(settings, 2)
    pool.start()
    yield pool
    pool.stop()


def wait_for(predicate, timeout: float = 120, interval: float = 0.25, message: str = "condition"):  # noqa: ANN001, ANN201
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
