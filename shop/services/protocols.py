"""Protocol versions: each version stored once and kept, so advice renders as it was given."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select, tuple_

from models import ProtocolVersion, Treatment, db
from shop.aftercare import Protocol, ProtocolError, content_hash, protocol_from_dict
from shop.aftercare.protocols import protocol_to_dict, version_key
from shop.services import shared_cache


class ProtocolChanged(ValueError):
    """A protocol file's content differs from the stored copy of the same version."""


def store_protocol(treatment: Treatment, protocol: Protocol) -> bool:
    """Keep `protocol` as a version of `treatment`; make it current when it is newer.

    Part of the caller's unit of work (nothing is committed here). Returns whether the
    treatment's current protocol changed. Raises ProtocolChanged, naming the protocol, when
    the same version is already stored with other content: a change needs a new version.
    """
    digest = content_hash(protocol)
    stored = None
    if treatment.id is not None:
        stored = db.session.execute(
            select(ProtocolVersion).where(
                ProtocolVersion.treatment_id == treatment.id,
                ProtocolVersion.version == protocol.version,
            )
        ).scalar_one_or_none()
    if stored is not None and stored.content_hash != digest:
        raise ProtocolChanged(
            f"The {protocol.name} protocol ({protocol.slug}) has changed but its version is "
            f"still {protocol.version}: give it a newer version to replace the stored one."
        )
    if stored is None:
        if treatment.id is None:
            db.session.add(treatment)
            db.session.flush()
        db.session.add(
            ProtocolVersion(
                treatment_id=treatment.id,
                version=protocol.version,
                content_hash=digest,
                data=protocol_to_dict(protocol),
            )
        )
    current = treatment.protocol_version
    keeps_current = (
        current is not None
        and treatment.protocol is not None
        and version_key(protocol.version) <= version_key(current)
    )
    if keeps_current:
        return False
    treatment.protocol = protocol_to_dict(protocol)
    treatment.protocol_version = protocol.version
    treatment.protocol_hash = digest
    treatment.reviewed_by_clinician = protocol.reviewed_by_clinician
    treatment.reviewed_on = (
        date.fromisoformat(protocol.reviewed_on) if protocol.reviewed_on else None
    )
    return True


def current_protocol(treatment: Treatment) -> Protocol:
    """Return the treatment's current protocol, read and checked once per content and catalogue.

    Reading a protocol validates every rule in it (a few milliseconds); kept in the shared
    cache under its content hash, so a plan, a kit page or the staff kit list reads it once.
    The stored document itself is loaded only when it is not cached. Raises ProtocolError.
    """
    if treatment.protocol_hash is None:
        # Nothing names this content, so nothing may be kept under a name for it.
        return protocol_from_dict(treatment.protocol)
    return shared_cache.remember(
        "protocol",
        (treatment.slug, treatment.protocol_hash),
        lambda: protocol_from_dict(treatment.protocol),
        stock=False,
    )


def protocols_by_hash(
    wanted: Iterable[tuple[int, str | None]],
) -> dict[tuple[int, str], Protocol]:
    """Return the stored protocol versions asked for as (treatment id, content hash); one query.

    A version that cannot be read (it should not happen) is left out, so callers fall back.
    """
    keys = {(treatment_id, digest) for treatment_id, digest in wanted if digest}
    if not keys:
        return {}
    rows = db.session.execute(
        select(
            ProtocolVersion.treatment_id, ProtocolVersion.content_hash, ProtocolVersion.data
        ).where(tuple_(ProtocolVersion.treatment_id, ProtocolVersion.content_hash).in_(keys))
    ).all()
    found: dict[tuple[int, str], Protocol] = {}
    for treatment_id, digest, data in rows:
        try:
            found[(treatment_id, digest)] = protocol_from_dict(data)
        except ProtocolError:
            continue
    return found


def advice_protocol(treatment: Treatment, digest: str | None) -> Protocol:
    """Return the protocol a piece of advice was made with, or the current one if unknown."""
    stored = protocols_by_hash([(treatment.id, digest)]).get((treatment.id, digest or ""))
    return stored if stored is not None else protocol_from_dict(treatment.protocol)
