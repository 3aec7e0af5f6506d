"""What turns events elsewhere into audit entries, without those places importing the audit log.

- Django's login signals: logins, failed logins (with the username tried, never the password),
  logouts.
- ``core.signals.access_denied``: every 401/403 the REST API or a plain view answers.
- ``post_save`` / ``post_delete`` of every model of ours (everything but the excluded apps and
  history tables below): a write through the API, the admin, a workflow or a job is one entry,
  whichever path made it. Writes with neither a request nor an ``acting_as`` block around them
  (migrations, the demo loader, the job runner's own bookkeeping) are not someone's act and are
  not logged. Bulk writes (ingest) send no signals; their job records one ``import`` entry.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.signals import token_issued, token_revoked
from core.context import current_actor, current_request
from core.signals import access_denied, personal_data_shown
from policy.resources import RESOURCES

from .models import AuditAction, Outcome
from .writer import record

# Apps whose rows are not acts of a user (or are the log itself).
UNAUDITED_APPS = frozenset({"audit", "admin", "sessions", "contenttypes", "auth"})
# Models whose writes another signal records better (tokens: issued/revoked), or that are the
# bookkeeping of one (a password's history, a project's timeline beside the project's own entry).
# Messages and their deliveries are what an audited step told people; an event's timeline and
# warnings, like a project's, are the bookkeeping of the event's own entries; the places a patrol run
# reached are measured from its audited finish. A phone's sync operations and photo uploads are the
# bookkeeping of the records they wrote, which are audited themselves.
UNAUDITED_MODELS = frozenset(
    {
        "accounts.authtoken",
        "accounts.passwordhistory",
        "projects.projectevent",
        "inbox.message",
        "inbox.delivery",
        "grid.eventaction",
        "grid.eventwarning",
        "patrols.placevisit",
        "sync.operation",
        "sync.photoupload",
    }
)
# Fields a login updates by itself (the login is the entry): the last login, the second factor's
# last accepted step.
BOOKKEEPING_FIELDS = frozenset({"last_login", "last_step"})


@receiver(user_logged_in)
def _login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(AuditAction.LOGIN, user=user, request=request, object_type="accounts.user", object_id=user.pk)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    record(
        AuditAction.LOGIN_FAILED,
        request=request,
        outcome=Outcome.FAILURE,
        detail={"username": str(credentials.get("username", ""))[:150]},
    )


@receiver(user_logged_out)
def _logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(AuditAction.LOGOUT, user=user, request=request, object_type="accounts.user", object_id=user.pk)


@receiver(token_issued)
def _token_issued(sender: Any, token: Any, request: Any = None, **kwargs: Any) -> None:
    _token(AuditAction.TOKEN_ISSUED, token, request)


@receiver(token_revoked)
def _token_revoked(sender: Any, token: Any, request: Any = None, **kwargs: Any) -> None:
    _token(AuditAction.TOKEN_REVOKED, token, request)


def _token(action: AuditAction, token: Any, request: Any) -> None:
    # The token's owner is the subject; the actor is whoever is logged in (or the owner logging in).
    record(
        action,
        request=request,
        user=None if request is not None and request.user.is_authenticated else token.user,
        object_type="accounts.authtoken",
        object_id=token.pk,
        detail={"owner": token.user.get_username(), "kind": token.kind, "prefix": token.prefix},
    )


@receiver(access_denied)
def _denied(sender: Any, request: Any, status: int, reason: str, **kwargs: Any) -> None:
    record(
        AuditAction.DENIED,
        request=request,
        outcome=Outcome.DENIED,
        object_type=request.path[:64],
        detail={"status": status, "method": request.method, "reason": reason[:200]},
    )


@receiver(personal_data_shown)
def _personal_data(sender: Any, request: Any, shown: dict[str, dict[str, Any]], **kwargs: Any) -> None:
    for object_type, what in shown.items():
        ids = what["ids"]
        record(
            AuditAction.READ_PERSONAL,
            request=request,
            object_type=object_type,
            object_id=ids[0] if len(ids) == 1 else "",
            detail={"ids": ids, "fields": what["fields"]},
        )


@cache
def _division_field(label: str) -> str | None:
    """The field holding a record's 12-digit division code, from the policy declaration."""
    for resource in RESOURCES.values():
        if resource.model and resource.model.lower() == label and resource.scope.division:
            field = resource.scope.division
            return None if "__" in field else field
    return None


def _audited(sender: type[Model]) -> bool:
    meta = sender._meta
    return (
        meta.app_label not in UNAUDITED_APPS
        and meta.label_lower not in UNAUDITED_MODELS
        and not hasattr(meta, "simple_history_model")
        and not (meta.object_name or "").startswith("Historical")
    )


def _write(instance: Model, action: AuditAction, detail: dict[str, Any] | None = None) -> None:
    label = instance._meta.label_lower
    field = _division_field(label)
    division = (getattr(instance, field, "") or "") if field else None
    record(action, object_type=label, object_id=instance.pk, division=division, detail=detail)


@receiver(post_save)
def _saved(
    sender: type[Model], instance: Model, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if kwargs.get("raw") or not _audited(sender):
        return
    if current_request() is None and current_actor() is None:
        return
    if update_fields is not None and set(update_fields) <= BOOKKEEPING_FIELDS:
        return  # the login itself is the entry
    detail = {"fields": sorted(update_fields)} if update_fields else None
    if created:
        action = AuditAction.CREATE
    elif getattr(instance, "deleted_at", None) is not None:
        action = AuditAction.DELETE  # layer records are deleted softly, by a save
    else:
        action = AuditAction.UPDATE
    _write(instance, action, detail)


@receiver(post_delete)
def _deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if not _audited(sender) or (current_request() is None and current_actor() is None):
        return
    _write(instance, AuditAction.DELETE)
