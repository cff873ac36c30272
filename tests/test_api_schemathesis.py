"""Schemathesis against ``/api/v1/openapi.json``: generated valid and invalid requests for every documented operation,
with the bearer tokens of a reviewer, a clerk and a leader, never get a 5xx and always get a response the document
describes. ``bench/api_fuzz.py`` runs the same with many more examples and prints the figures."""

from __future__ import annotations

from ingest.services import Services
from tests.apifuzz import fuzz_api, seed_api
from web.app import create_app
from web.openapi import openapi_document

EXAMPLES = 12  # per operation, generation mode and role: about 600 requests, well under a minute


def test_generated_requests_never_get_a_5xx_and_always_get_a_documented_response(svc: Services) -> None:
    tokens = seed_api(svc)
    report = fuzz_api(create_app(svc.settings), tokens, examples=EXAMPLES)
    documented = {f"{method.upper()} {path}" for path, item in openapi_document()["paths"].items() for method in item}
    assert set(report.operations) == documented
    assert report.cases >= len(documented) * 2 * len(tokens) * 3  # every operation really was tried
    assert {200, 404}.issubset(report.by_status) and any(400 <= s < 500 for s in report.by_status if s != 404)
    assert report.server_errors == 0, report.failures
    assert report.violations == 0, report.failures
