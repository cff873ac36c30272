"""The built-in post-OCR stages, in order: classify (10) → index (20) → duplicates (30).

Search and duplicate detection register theirs with their issue; until then the pipeline ends at classify.
"""

from __future__ import annotations

from ingest.classification import classify_letter
from ingest.stages import register_stage

register_stage("classify", order=10)(classify_letter)
