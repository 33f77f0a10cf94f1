"""The audit trail: every staff and admin action, recorded in the caller's transaction."""

from __future__ import annotations

from typing import Any

from models import AuditEntry, db


def record(
    user_id: int | None,
    action: str,
    target_type: str,
    target_id: Any = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session; the calling service commits it with its change.

    Never pass health data here: the audit log is read by every admin.
    """
    entry = AuditEntry(
        user_id=user_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry
