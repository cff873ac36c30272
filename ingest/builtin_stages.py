"""The built-in post-OCR stages: classify → index → duplicates. Each registers itself with ingest.stages.

They arrive with the classification and search issues; until then the pipeline ends at ``ocr_done``.
"""
