"""Read every page of a file in this process (``donthu ocr``): validated like an upload, pages in parallel."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from core.settings import Settings
from ingest.reader import PageReading, read_page
from ingest.sniff import inspect


def _read(args: tuple[bytes, str, int, str, int, int]) -> PageReading:
    data, media_type, index, lang, dpi, max_pixels = args
    reading = read_page(data, media_type, index, lang=lang, dpi=dpi, max_pixels=max_pixels)
    reading.image = None  # not sent back across processes
    return reading


def ocr_file(data: bytes, name: str, settings: Settings, *, jobs: int = 1) -> list[PageReading]:
    """All pages of ``data`` in order. Raises IntakeError for files an upload would refuse."""
    os.environ["OMP_THREAD_LIMIT"] = "1"  # parallel processes, one tesseract thread each
    info = inspect(data, name, max_bytes=settings.max_upload_bytes, max_pages=settings.max_pages,
                   max_pixels=settings.max_image_pixels, max_text_chars=settings.max_text_chars)
    tasks = [(data, info.media_type, i, settings.ocr_lang, settings.ocr_dpi, settings.max_image_pixels)
             for i in range(info.page_count)]
    if jobs <= 1 or len(tasks) == 1:
        return [_read(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        return list(pool.map(_read, tasks))
