"""The registry of stages that run after a letter's text is assembled (classify, index, duplicates, ...).

Each stage is a function ``stage(svc, letter_id)`` that is safe to run again; the pipeline records its
outcome in ``Letter.stages`` and runs the stages in ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingest.services import Services

StageFunc = Callable[[Services, int], None]


@dataclass(frozen=True)
class Stage:
    name: str
    order: int
    run: StageFunc


_REGISTRY: dict[str, Stage] = {}


def register_stage(name: str, order: int) -> Callable[[StageFunc], StageFunc]:
    """Decorator: add a post-OCR stage (re-registering a name replaces it)."""

    def add(func: StageFunc) -> StageFunc:
        _REGISTRY[name] = Stage(name, order, func)
        return func

    return add


def unregister_stage(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered_stages() -> list[Stage]:
    _load_builtin_stages()
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.name))


def _load_builtin_stages() -> None:
    """Import the modules that register the built-in stages (they land with their issues)."""
    import ingest.builtin_stages  # noqa: F401
