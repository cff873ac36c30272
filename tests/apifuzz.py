"""Schemathesis against the API's own OpenAPI document, in process: generated requests (valid and invalid) for every
documented operation, sent with the bearer tokens of several roles, each response checked for a server error and
against the document (status codes, content type, headers, body schema, authentication enforced).

Shared by ``tests/test_api_schemathesis.py`` (few examples, a gate) and ``bench/api_fuzz.py`` (many, the figures).
Examples are derandomized: the same data and the same number of examples give the same cases and figures.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from flask import Flask, got_request_exception
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ingest.dossiers import open_dossier
from ingest.services import Services
from models import Letter
from tests.webkit import COMPLAINT, DENUNCIATION, make_letter, make_user

ROLES = ("reviewer", "clerk", "leader")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, ignored_auth]


@dataclass
class FuzzReport:
    operations: list[str] = field(default_factory=list)
    cases: int = 0
    by_status: Counter = field(default_factory=Counter)
    server_errors: int = 0  # responses with a 5xx status (or an exception out of the app)
    violations: int = 0  # responses that break the document (other failed checks)
    failures: dict[str, str] = field(default_factory=dict)  # one example per distinct failure
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"operations_tested": len(self.operations), "operations": self.operations, "cases_tried": self.cases,
                "server_errors_5xx": self.server_errors, "schema_violations": self.violations,
                "statuses": dict(sorted(self.by_status.items())), "distinct_failures": len(self.failures),
                "seconds": round(self.seconds, 1)}


def seed_api(svc: Services) -> dict[str, str]:
    """Data for the requests to find (a complaint in a dossier, a denunciation, ids 1 and 2), and one API token
    per role in ``ROLES``."""
    tokens = {role: make_user(svc, role, f"{role}-fuzz@example.vn", token=True)[1] for role in ROLES}
    complaint = make_letter(svc, COMPLAINT, "khieu-nai.txt")
    make_letter(svc, DENUNCIATION, "to-cao.txt")
    with svc.db.write() as db:
        open_dossier(db, db.get(Letter, complaint), None, type="khieu_nai", field="dat_dai", agency="UBND_TINH")
    return tokens


def fuzz_api(app: Flask, tokens: dict[str, str], *, examples: int) -> FuzzReport:
    """Run every documented operation with ``examples`` generated cases per role and generation mode."""
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)  # a failing view answers 500, as in production
    app.logger.disabled = True  # the 500s are counted and reported here, not logged as tracebacks
    crashes: list[str] = []

    def crashed(_sender: Any, exception: BaseException, **_extra: Any) -> None:  # noqa: ANN401
        crashes.append(f"{type(exception).__name__}: {exception}")

    got_request_exception.connect(crashed, app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    report = FuzzReport()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        report.operations.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for role, token in tokens.items():
                _run(operation, operation.as_strategy(generation_mode=mode), f"Bearer {token}", examples, report,
                     crashes, f"{mode.value}/{role}")
    report.seconds = time.monotonic() - started
    got_request_exception.disconnect(crashed, app)
    return report


def _run(operation: Any, strategy: Any, bearer: str, examples: int, report: FuzzReport, crashes: list[str],  # noqa: ANN401
         label: str) -> None:
    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def one(case: Any) -> None:  # noqa: ANN401
        case.headers = {**(case.headers or {}), "Authorization": bearer}
        report.cases += 1
        before = len(crashes)
        try:
            response = case.call()
        except Exception as exc:  # noqa: BLE001 - an exception out of the app is a server error too
            report.server_errors += 1
            report.failures.setdefault(f"{operation.label} raised {type(exc).__name__}", f"{label}: {exc}"[:2000])
            return
        report.by_status[response.status_code] += 1
        if response.status_code >= 500:
            report.server_errors += 1
            detail = crashes[before] if len(crashes) > before else response.text[:300]
            report.failures.setdefault(f"{operation.label} {response.status_code} {detail[:80]}",
                                       f"{label}: {detail}\n{case.as_curl_command()}"[:2000])
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=case.headers)
        except (AssertionError, BaseExceptionGroup) as exc:  # one failed check, or a FailureGroup of them
            failed = getattr(exc, "exceptions", [exc])
            report.violations += 1
            for failure in failed:
                title = getattr(failure, "title", type(failure).__name__)
                report.failures.setdefault(f"{operation.label} {title}", f"{label}: {failure}"[:2000])

    one()
