"""Uploads from the web page and the API: register each file in order, then dispatch it."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import FileStorage

from core.dates import parse_day
from ingest.dispatch import dispatch_new_letter
from ingest.errors import IntakeError
from ingest.intake import check_channel, register_file
from ingest.services import Services

# the HTTP status of a refused file, by its refusal code; content refusals (corrupt, encrypted, ...) are 422
STATUS_FOR_CODE = {"unsupported_type": 415, "file_too_large": 413, "too_many_pages": 413, "image_too_large": 413,
                   "bad_request": 400, "storage_full": 507}


def refusal_status(outcomes: list[dict]) -> int | None:
    """When no file of an upload was registered: the status its first refusal calls for; else None."""
    if not outcomes or any("letter_id" in o for o in outcomes):
        return None
    return STATUS_FOR_CODE.get(outcomes[0].get("code", ""), 422)


def parse_received(value: str | None) -> date | None:
    """``dd/mm/yyyy`` or ``YYYY-MM-DD``; empty means today."""
    try:
        return parse_day(value)
    except ValueError as exc:
        raise IntakeError(f"received date {value!r} is not dd/mm/yyyy or YYYY-MM-DD", "bad_request") from exc


def register_uploads(svc: Services, files: list[FileStorage], channel: str, received: date | None,
                     user_id: int | None, actor: str) -> list[dict]:
    """One outcome per file, in the order given: the letter's fields, or ``error``/``code`` when refused."""
    check_channel(channel)
    limit = svc.settings.max_upload_bytes
    outcomes: list[dict] = []
    for upload in files:
        name = upload.filename or "unnamed"
        data = upload.stream.read(limit + 1)  # never read more than the limit into memory
        try:
            if len(data) > limit:
                raise IntakeError(f"file is larger than the limit of {limit} bytes", "file_too_large")
            result = register_file(svc, data, name, channel=channel, received=received, user_id=user_id,
                                   actor=actor)
        except IntakeError as exc:
            outcomes.append({"file": name, **exc.as_dict()})
            continue
        if result.duplicate_of is None:
            dispatch_new_letter(svc, result.letter_id, result.job_id)
        outcomes.append({"file": name, **result.as_dict()})
    return outcomes
