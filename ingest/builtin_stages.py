"""The built-in post-OCR stages, in order: classify (10) → index (20) → duplicates (30).

Each is safe to run again: classify overwrites its prediction, index replaces the letter's search document,
duplicates recomputes the stored candidates.
"""

from __future__ import annotations

from ingest.classification import classify_letter
from ingest.duplicates import check_letter
from ingest.indexing import index_letter
from ingest.stages import register_stage

register_stage("classify", order=10)(classify_letter)
register_stage("index", order=20)(index_letter)
register_stage("duplicates", order=30)(check_letter)
