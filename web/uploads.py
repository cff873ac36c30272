"""Uploads from the web page and the API: register each file in order, then dispatch it."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import FileStorage

from ingest.dispatch import dispatch_new_letter
from ingest.errors import IntakeError
from ingest.intake import check_channel, register_file
from ingest.services import Services


def parse_received(value: str | None) -> date | None:
    """``YYYY-MM-DD`` (HTML date inputs) or ``dd/mm/yyyy``; empty means today."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            from datetime import datetime

            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise IntakeError(f"received date {value!r} is not YYYY-MM-DD", "bad_request")


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
