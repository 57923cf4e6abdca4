"""Database models: all state lives here so any number of workers act as one emulator."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .clock import utcnow
from .extensions import db


class Tenant(db.Model):
    """One emulated vendor tenant, addressed as (vendor, name)."""

    __tablename__ = "tenant"
    # ids are never reused (SQLite would give a deleted tenant's id to the next one created, and a
    # request still in flight to the deleted tenant would write into the new one). create_all does
    # not alter an existing table: a database file created before keeps reusing ids until recreated
    __table_args__ = (
        UniqueConstraint("vendor", "name", name="uq_tenant_vendor_name"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(63))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    journal_dropped: Mapped[int] = mapped_column(default=0)  # entries trimmed off the journal's bound

    credentials: Mapped[list[Credential]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", passive_deletes=True, order_by="Credential.id"
    )
    accounts: Mapped[list[Account]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Account.id"
    )

    @property
    def key(self) -> str:
        return f"{self.vendor}/{self.name}"


class TenantRow(NamedTuple):
    """A tenant as its own requests read it: one prepared statement (emulator/prepared.py), not an
    ORM object, since a tenant request never changes its tenant. ``rules_in_scope``: whether an
    enabled fault rule names it, its vendor or every tenant (read with it: no second statement)."""

    id: int
    vendor: str
    name: str
    options: dict[str, Any]
    created_at: datetime
    journal_dropped: int
    rules_in_scope: bool

    @property
    def key(self) -> str:
        return f"{self.vendor}/{self.name}"


class Account(db.Model):
    """A vendor-side user that owns credentials: a Jive admin, a Jostle Automation user, a Jellyfish admin."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("tenant_id", "username", name="uq_account_username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Credential(db.Model):
    """A secret a tenant accepts, stored only as a hash."""

    __tablename__ = "credential"
    __table_args__ = {"sqlite_autoincrement": True}  # a credential's id names one credential for good

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # bearer, api_key, access_token, refresh_token, code
    label: Mapped[str | None] = mapped_column(String(255))
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    # Britive-style validity: the credential lapses after this many days without use
    validity_days: Mapped[int | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    tenant: Mapped[Tenant] = relationship(back_populates="credentials")
    account: Mapped[Account | None] = relationship()


class Resource(db.Model):
    """A SCIM resource (User or Group) of one tenant; its document is JSON.

    ``unique_key`` is the userName (Users) or displayName (Groups) after the vendor's
    case rule, so uniqueness is a database constraint and the hot filter is an index hit.
    """

    __tablename__ = "resource"
    __table_args__ = (
        UniqueConstraint("tenant_id", "resource_type", "unique_key", name="uq_resource_unique_key"),
        UniqueConstraint("tenant_id", "resource_type", "scim_id", name="uq_resource_scim_id"),
        Index("ix_resource_external_id", "tenant_id", "resource_type", "external_id"),
    )

    pk: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(20))
    scim_id: Mapped[str] = mapped_column(String(64))
    unique_key: Mapped[str | None] = mapped_column(String(1024))
    external_id: Mapped[str | None] = mapped_column(String(1024))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)


class ResourceValue(db.Model):
    """An indexed value of a multi-valued attribute (e.g. every email), for filters that must not scan."""

    __tablename__ = "resource_value"
    __table_args__ = (Index("ix_resource_value_lookup", "tenant_id", "attribute", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("resource.pk", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    attribute: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(1024))


class Membership(db.Model):
    """A member of a group; one row each, so adding a member never loads the others."""

    __tablename__ = "membership"

    group_pk: Mapped[int] = mapped_column(ForeignKey("resource.pk", ondelete="CASCADE"), primary_key=True)
    member_pk: Mapped[int] = mapped_column(
        ForeignKey("resource.pk", ondelete="CASCADE"), primary_key=True, index=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    # sub-attributes exactly as the client sent them; the server computes none
    display: Mapped[str | None] = mapped_column(String(1024))
    ref: Mapped[str | None] = mapped_column(String(2048))
    kind: Mapped[str | None] = mapped_column(String(20))


class JournalEntry(db.Model):
    """One request a tenant received and what it answered."""

    __tablename__ = "journal_entry"
    __table_args__ = (Index("ix_journal_tenant_id", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    query: Mapped[str] = mapped_column(String(4096), default="")
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_body: Mapped[str | None]
    status: Mapped[int]
    response_body: Mapped[str | None]
    duration_ms: Mapped[float]
    # None is stored as NULL, not as the JSON text null (one serialisation less per request)
    fault: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class JournalSpool(db.Model):
    """How far each spool file beside a SQLite database has been written into the journal.

    Kept in the transaction that writes the file's entries, so a drain that dies after its
    commit and before it removes the file is not written twice (emulator/spool.py).
    """

    __tablename__ = "journal_spool"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    drained: Mapped[int]  # bytes of the file already in journal_entry


class FaultRule(db.Model):
    """A rule that makes matching requests misbehave; its counters are taken atomically."""

    __tablename__ = "fault_rule"
    # ids are never reused (SQLite would hand a cleared table's ids out again): a journal entry's
    # fault names one rule for good
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tenant: Mapped[str | None] = mapped_column(String(120), index=True)  # "vendor/name"
    vendor: Mapped[str | None] = mapped_column(String(40))
    method: Mapped[str | None] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(String(512))
    operation: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[dict[str, Any]] = mapped_column(JSON)
    times: Mapped[int | None]
    after: Mapped[int] = mapped_column(default=0)
    probability: Mapped[float | None]
    seed: Mapped[int | None]
    starts_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    matched: Mapped[int] = mapped_column(default=0)
    fired: Mapped[int] = mapped_column(default=0)
    scenario_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("scenario_run.id", ondelete="CASCADE"), index=True
    )


class ScenarioRun(db.Model):
    """A started scenario: its rules carry the time windows of its steps."""

    __tablename__ = "scenario_run"
    __table_args__ = {"sqlite_autoincrement": True}  # a run's id names one run for good

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int | None]
    tenant: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
