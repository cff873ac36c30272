"""API fuzzing figures: schemathesis against the app's OpenAPI document with many examples.

    .venv/bin/python bench/api_fuzz.py [--examples 100] [--database-url URL] [--json] [--show N]

A fresh data dir (SQLite unless ``--database-url``), a private redis-server, the classifier, a complaint in a
dossier and a denunciation, and one API token each for a reviewer, a clerk and a leader; then every documented
operation gets ``--examples`` generated requests per role, valid and invalid ones, in process (WSGI). Prints the
operations tested, the cases tried, the 5xx count and the schema violations (responses the document does not
describe), and the first distinct failures. Exits 1 if there is a 5xx or a violation. Cases are derandomized, so
the same arguments give the same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.settings import load_settings  # noqa: E402
from ingest.redis_server import start_private_redis  # noqa: E402
from ingest.services import Services  # noqa: E402
from models.session import dispose_all  # noqa: E402
from tests.apifuzz import fuzz_api, seed_api  # noqa: E402
from web.app import create_app  # noqa: E402
from web.bootstrap import prepare_database, prepare_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100, help="cases per operation, mode and role")
    parser.add_argument("--database-url", help="an empty database to use instead of SQLite in the temp dir")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--show", type=int, default=10, help="how many distinct failures to print")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="donthu-api-fuzz-") as tmp:
        data = Path(tmp) / "data"
        redis = start_private_redis(data / "run" / "redis.sock", data / "run" / "redis.log")
        try:
            os.environ.update(DONTHU_DATA_DIR=str(data), DONTHU_REDIS_URL=f"unix://{data / 'run' / 'redis.sock'}",
                              DONTHU_QUEUE_NAME=f"fuzz-{uuid.uuid4().hex[:8]}", DONTHU_ADMIN_PASSWORD="fuzz-admin-1")
            if args.database_url:
                os.environ["DONTHU_DATABASE_URL"] = args.database_url
            svc = Services(load_settings())
            prepare_database(svc, with_admin=True)
            prepare_model(svc)
            tokens = seed_api(svc)
            report = fuzz_api(create_app(svc.settings), tokens, examples=args.examples)
        finally:
            dispose_all()
            redis.terminate()
            redis.wait(10)
    figures = report.as_dict()
    if args.json:
        print(json.dumps({**figures, "failures": report.failures}, ensure_ascii=False, indent=2))
    else:
        print(f"operations tested   {figures['operations_tested']}  ({', '.join(report.operations)})")
        print(f"cases tried         {report.cases}  ({args.examples} per operation, mode and role; "
              f"{len(tokens)} roles; {figures['seconds']} s)")
        print(f"5xx responses       {report.server_errors}")
        print(f"schema violations   {report.violations}")
        print(f"statuses            {figures['statuses']}")
        for title, example in list(report.failures.items())[:args.show]:
            print(f"\n--- {title}\n{example}")
    return 1 if report.server_errors or report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
