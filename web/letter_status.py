"""A letter's pipeline progress as plain data, for ``donthu status`` and the status API."""

from __future__ import annotations

from typing import Any

from ingest.services import Services
from models import Letter


def letter_status(svc: Services, letter_id: int) -> dict[str, Any] | None:
    with svc.db.read() as session:
        letter = session.get(Letter, letter_id)
        if letter is None:
            return None
        return {
            "letter_id": letter.id,
            "register_no": letter.register_no,
            "status": letter.status,
            "page_count": letter.page_count,
            "pages_done": letter.pages_done,
            "text_source": letter.text_source,
            "ocr_confidence": letter.ocr_confidence,
            "error": letter.error,
            "upload_count": letter.upload_count,
            "stages": letter.stages or {},
            "stages_done": letter.stages_done,
            "pages": [
                {"index": p.index, "status": p.status, "source": p.source, "confidence": p.confidence,
                 "rotation": p.rotation, "skew": p.skew, "attempts": p.attempts, "error": p.error}
                for p in letter.pages
            ],
        }
