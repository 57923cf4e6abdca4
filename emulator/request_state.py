"""What one request carries from the flow's first step to its last (``emulator/request_flow.py``).

One typed object on ``g`` instead of loose attributes: the flow creates it, and each step reads
or fills in its part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import g, has_request_context

if TYPE_CHECKING:
    from .auth.styles import AccountRow, CredentialRow
    from .models import TenantRow
    from .tenancy import TenantScope


@dataclass(slots=True)
class RequestState:
    """One request's tenant, credential, write phase and fault, in the order the flow fills them."""

    key: tuple[str, str] | None  # the (vendor, name) the Host or the /t/ alias addresses
    started: float  # perf_counter at the flow's start: the journal's duration
    tenant: TenantRow | None = None  # the addressed tenant, read once; None if there is none
    scope: TenantScope | None = None  # its vendor profile and effective options
    credential: CredentialRow | AccountRow | None = None  # what authenticated a SCIM request
    # whether the transaction may write: None decides by method (any but GET/HEAD/OPTIONS); a SCIM
    # request reads first (False) and writes in ``database.write_phase()``
    writes: bool | None = None
    fault: dict[str, Any] | None = None  # the rule that fired, as the journal records it
    fault_after: dict[str, Any] | None = None  # a firing rule's action on the finished response

    @classmethod
    def begin(cls, key: tuple[str, str] | None) -> RequestState:
        state = cls(key, time.perf_counter())
        g.state = state
        return state

    @property
    def tenant_scope(self) -> TenantScope:
        """The scope of a request that has a tenant (the SCIM and OAuth views)."""
        assert self.scope is not None, "the request flow resolves a tenant before these views"
        return self.scope


def current() -> RequestState | None:
    """This request's state; None outside a request (the CLI, start-up) or before the flow began."""
    return g.get("state") if has_request_context() else None
