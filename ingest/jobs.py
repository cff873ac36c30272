"""RQ job entry points: thin wrappers that build services from the worker's environment."""

from __future__ import annotations

from functools import lru_cache

from ingest import pipeline
from ingest.dispatch import RQDispatcher
from ingest.services import Services


@lru_cache(maxsize=1)
def _services() -> Services:
    return Services.from_env()


def prepare_job(letter_id: int) -> None:
    svc = _services()
    pipeline.prepare_letter(svc, RQDispatcher(svc), letter_id)


def page_job(letter_id: int, index: int) -> None:
    svc = _services()
    pipeline.read_letter_page(svc, RQDispatcher(svc), letter_id, index)


def stages_job(letter_id: int) -> None:
    svc = _services()
    pipeline.run_stages(svc, letter_id)


def weekly_report_job() -> int:
    from ingest.reports.filing import file_weekly_report

    report, _made = file_weekly_report(_services())
    return report.id


def remind_job() -> int:
    from datetime import date

    from ingest.followup import remind

    return remind(_services(), date.today())


def train_job(force: bool = False) -> dict:
    from ingest.classification import retrain

    return retrain(_services(), force=force).as_dict()
