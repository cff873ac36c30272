"""``donthu run``: the whole system in one command on embedded defaults.

Migrate and seed, start a private redis-server when none is configured, one worker per core (with the
sweeper), and gunicorn serving the web app. Ctrl-C stops every child.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import click

from ingest.redis_server import start_private_redis
from ingest.services import Services
from ingest.workers import WorkerSupervisor
from web.bootstrap import prepare_database, prepare_model


def run_system(svc: Services, *, demo: bool, workers: int, web_workers: int) -> int:
    settings = svc.settings
    generated = prepare_database(svc, with_admin=True)
    if not (settings.models_dir / "classifier" / "current.json").exists():
        click.echo("Đang huấn luyện mô hình phân loại lần đầu (khoảng 10 giây)…")
    prepare_model(svc)
    children: list[subprocess.Popen] = []
    stop = threading.Event()

    def handle(signum, _frame):  # noqa: ANN001
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)

    if not settings.redis_url:
        redis = start_private_redis(settings.private_redis_socket, settings.data_dir / "run" / "redis.log")
        children.append(redis)
        settings = settings.with_overrides(redis_url=f"unix://{settings.private_redis_socket}")
        svc = Services(settings)
    env = {**os.environ, **settings.as_env()}

    supervisor = WorkerSupervisor(svc, workers or settings.worker_count)
    sup_thread = threading.Thread(target=supervisor.run, name="workers", daemon=True)
    sup_thread.start()

    bind = f"{settings.host}:{settings.port}"
    web = subprocess.Popen(
        # two processes a core with two threads each: a kept-alive connection stays with one process, so more,
        # smaller processes share 20 users' connections more evenly than 2 × 4 threads did (bench/web_load.py)
        [sys.executable, "-m", "gunicorn", "--workers", str(web_workers or 2 * (os.cpu_count() or 1)),
         "--threads", "2", "--bind", bind,
         "--access-logfile", str(settings.data_dir / "run" / "access.log"), "--graceful-timeout", "10",
         "--control-socket", str(settings.data_dir / "run" / "gunicorn.ctl"),
         "web.wsgi:app"],
        env=env, start_new_session=True,
    )
    children.append(web)
    click.echo(f"Donthu đang chạy tại http://{bind}  (dữ liệu: {settings.data_dir}; Ctrl-C để dừng)")
    if generated:
        click.echo(f"Tài khoản quản trị: admin@donthu.local  mật khẩu: {generated}  (chỉ hiện một lần)")
    if demo:
        from web.demo_letters import load_demo

        count = load_demo(svc)
        click.echo(f"Đã nạp {count} đơn mẫu.")

    code = 0
    while not stop.wait(0.5):
        if web.poll() is not None:
            click.echo(f"web server exited with code {web.returncode}", err=True)
            code = web.returncode or 1
            break
        if len(children) > 1 and children[0].poll() is not None:
            click.echo("the private redis-server exited", err=True)
            code = 1
            break
    click.echo("Đang dừng…")
    supervisor.stop()
    if web.poll() is None:
        os.killpg(web.pid, signal.SIGTERM)
    sup_thread.join(timeout=30)
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return code
