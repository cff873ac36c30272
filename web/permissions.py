"""Who may do what: one permission table for every page and API route (the permission matrix test reads it)."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for

from models import ROLES, User

ALL = frozenset(ROLES)
PERMISSIONS: dict[str, frozenset[str]] = {
    "letters.view": ALL,
    "letters.upload": frozenset({"clerk", "reviewer", "admin"}),
    "letters.review": frozenset({"reviewer", "admin"}),
    "dossiers.view": ALL,
    "dossiers.create": frozenset({"reviewer", "admin"}),
    "dossiers.edit": frozenset({"reviewer", "officer", "admin"}),
    "search": ALL,
    "reports.view": frozenset({"reviewer", "officer", "leader", "admin"}),
    "followup.view": frozenset({"reviewer", "officer", "leader", "admin"}),
    "followup.urge": frozenset({"reviewer", "officer", "admin"}),
    "reception.view": ALL,
    "reception.edit": frozenset({"clerk", "reviewer", "officer", "admin"}),
    "admin": frozenset({"admin"}),
}


def can(user: User | None, permission: str) -> bool:
    return user is not None and user.role in PERMISSIONS[permission]


def requires(permission: str):  # noqa: ANN201
    """A page view for signed-in users holding ``permission``: others go to the login page or get 403."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(view):  # noqa: ANN001, ANN202
        @wraps(view)
        def wrapped(*args, **kwargs):  # noqa: ANN202
            user = g.get("user")
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if not can(user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate
