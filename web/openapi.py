"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {status: _json(_ref("Error"), text) for status, text in (
    ("400", "Bad request"), ("401", "Missing, invalid or revoked token"), ("403", "The caller's role may not do this"),
    ("404", "Not found"))}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def openapi_document() -> dict[str, Any]:
    letter_id, dossier_id = _id("letter_id"), _id("dossier_id")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Donthu API", "version": "1",
                 "description": "Letters (đơn thư), review, dossiers (hồ sơ vụ việc) and search. Authenticate with a "
                                "personal token: `Authorization: Bearer TOKEN` (`donthu user create EMAIL --role R "
                                "--token`). A token acts with its user's role; a read-only token (`--read-only-token`) "
                                "is refused (403) on anything but GET. A denouncer's identity is masked for callers "
                                "who do not handle the letter."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/letters": {"post": {
                "summary": "Upload one or more files; each becomes a registered letter read in the background",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"},
                                   "channel": {"type": "string", "enum": ["post", "in_person", "reception", "agency",
                                                                          "email", "press", "deputy"]},
                                   "received": {"type": "string", "format": "date"}}}}}},
                "responses": {"202": _json(_ref("Accepted"), "Registered; follow status_url"),
                              "413": _json(_ref("Error"), "Too large"), "415": _json(_ref("Error"), "Unsupported type"),
                              "422": _json(_ref("Error"), "Refused by content (empty, corrupt, encrypted, ...)"),
                              "507": _json(_ref("Error"), "The server's storage is full: send it again later"),
                              **ERRORS}}},
            "/letters/{letter_id}": {"get": {
                "summary": "A letter: status, text, classification, duplicate candidates, labels, dossier",
                "parameters": [letter_id], "responses": {"200": _json(_ref("Letter"), "The letter"), **ERRORS}}},
            "/letters/{letter_id}/status": {"get": {
                "summary": "Pipeline progress", "parameters": [letter_id],
                "responses": {"200": _json({"type": "object"}, "Status of the letter and its pages"), **ERRORS}}},
            "/letters/{letter_id}/review": {"post": {
                "summary": "Confirm or correct the labels, attach to a dossier and decide the handling",
                "parameters": [letter_id],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Review")}}},
                "responses": {"200": _json(_ref("ReviewOutcome"), "Saved"),
                              "422": _json(_ref("Error"), "Invalid labels, dossier or decision"), **ERRORS}}},
            "/search": {"get": {
                "summary": "Search letters by name, content or number, with or without diacritics",
                "parameters": [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
                    ("q", "string"), ("type", "string"), ("agency", "string"), ("field", "string"),
                    ("status", "string"), ("channel", "string"), ("dossier", "integer"), ("from", "string"),
                    ("to", "string"), ("sort", "string"), ("limit", "integer"), ("offset", "integer"))],
                "responses": {"200": _json(_ref("SearchResult"), "Hits, best first"), **ERRORS}}},
            "/dossiers": {
                "get": {"summary": "Dossiers, newest first",
                        "parameters": [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
                            ("status", "string"), ("limit", "integer"), ("offset", "integer"))],
                        "responses": {"200": _json({"type": "object", "properties": {
                            "total": {"type": "integer"}, "dossiers": {"type": "array", "items": _ref("Dossier")}}},
                            "A page of dossiers"), **ERRORS}},
                "post": {"summary": "Open a dossier from a letter",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["letter_id"],
                             "properties": {"letter_id": {"type": "integer"}, "type": {"type": "string"},
                                            "field": {"type": "string"}, "agency": {"type": "string"},
                                            "summary": {"type": "string"}, "decision": {"type": "string"}}}}}},
                         "responses": {"201": _json(_ref("Dossier"), "Opened"),
                                       "409": _json(_ref("Error"), "The letter is already in a dossier"),
                                       "422": _json(_ref("Error"), "Invalid labels or decision"), **ERRORS}}},
            "/dossiers/{dossier_id}": {"get": {
                "summary": "A dossier with its letters and steps", "parameters": [dossier_id],
                "responses": {"200": _json(_ref("Dossier"), "The dossier"), **ERRORS}}},
            "/me": {"get": {"summary": "The caller", "responses": {"200": _json({"type": "object"}, "Who you are"),
                                                                   **ERRORS}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "code"],
                          "properties": {"error": {"type": "string"}, "code": {"type": "string"}}},
                "Accepted": {"type": "object", "properties": {
                    "letter_id": {"type": "integer"}, "register_no": {"type": "string"},
                    "status_url": {"type": "string"}, "duplicate_of": {"type": ["integer", "null"]}}},
                "Classification": {"type": "object", "description": "The shape `donthu classify --json` prints",
                                   "properties": {"type": {"type": "object"}, "agency": {"type": "object"},
                                                  "field": {"type": "object"}, "flags": {"type": "object"},
                                                  "extracted": {"type": "object"}, "needs_review": {"type": "boolean"},
                                                  "model_version": {"type": "string"},
                                                  "explanation": {"type": "array", "items": {"type": "string"}}}},
                "Duplicates": {"type": "object", "description": "The shape `donthu duplicates --json` prints",
                               "properties": {"letter_id": {"type": "integer"}, "register_no": {"type": "string"},
                                              "candidates": {"type": "array", "items": {"type": "object", "properties": {
                                                  "letter_id": {"type": "integer"}, "register_no": {"type": "string"},
                                                  "kind": {"type": "string",
                                                           "enum": ["repeat", "same_sender", "same_matter"]},
                                                  "score": {"type": "number"},
                                                  "reasons": {"type": "array", "items": {"type": "string"}}}}}}},
                "Letter": {"type": "object", "properties": {
                    "letter_id": {"type": "integer"}, "register_no": {"type": "string"}, "status": {"type": "string"},
                    "received_date": {"type": "string", "format": "date"}, "channel": {"type": "string"},
                    "text": {"type": ["string", "null"]}, "classification": {"oneOf": [_ref("Classification"),
                                                                                        {"type": "null"}]},
                    "duplicates": _ref("Duplicates"), "labels": {"type": "object"},
                    "protected": {"type": "boolean"}, "identity_masked": {"type": "boolean"},
                    "dossier_id": {"type": ["integer", "null"]}, "decision": {"type": ["string", "null"]},
                    "due_date": {"type": ["string", "null"]}}},
                "Review": {"type": "object", "required": ["type", "agency", "field"], "properties": {
                    "type": {"type": "string", "enum": ["khieu_nai", "to_cao", "kien_nghi", "phan_anh"]},
                    "agency": {"type": "string"}, "field": {"type": "string"},
                    "flags": {"type": "object", "additionalProperties": {"type": "boolean"}},
                    "decision": {"type": "string",
                                 "enum": ["thu_ly", "chuyen_don", "huong_dan", "tra_lai", "luu_don", "don_doc"]},
                    "dossier": {"description": "\"new\", a dossier id or a dossier number",
                                "oneOf": [{"type": "string"}, {"type": "integer"}]},
                    "complex": {"type": "boolean"}, "round": {"type": "integer", "enum": [1, 2]},
                    "note": {"type": "string"},
                    "prior_resolution": {"type": "string", "enum": ["none", "once", "many", "judgment"],
                                         "description": "earlier handling the letter tells of"}}},
                "ReviewOutcome": {"type": "object", "properties": {
                    "letter_id": {"type": "integer"}, "corrected": {"type": "boolean"},
                    "dossier_id": {"type": ["integer", "null"]}, "dossier_number": {"type": ["string", "null"]},
                    "position": {"type": ["integer", "null"]}, "decision": {"type": ["string", "null"]},
                    "deadline": {"type": ["string", "null"]}}},
                "SearchResult": {"type": "object", "description": "The shape `donthu search --json` prints",
                                 "properties": {"total": {"type": "integer"}, "hits": {"type": "array", "items": {
                                     "type": "object", "properties": {
                                         "letter_id": {"type": "integer"}, "register_no": {"type": "string"},
                                         "score": {"type": "number"}, "sender": {"type": ["string", "null"]},
                                         "snippet": {"type": "string"}, "received_date": {"type": "string"}}}}}},
                "Dossier": {"type": "object", "properties": {
                    "dossier_id": {"type": "integer"}, "number": {"type": "string"}, "summary": {"type": "string"},
                    "type": {"type": "string"}, "field": {"type": "string"}, "agency": {"type": "string"},
                    "status": {"type": "string"}, "decision": {"type": ["string", "null"]},
                    "deadline": {"type": ["string", "null"]}, "letters": {"type": "array"},
                    "steps": {"type": "array"}}},
            },
        },
    }
