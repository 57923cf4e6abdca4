"""The discovery documents of a tenant, derived from its vendor profile."""

from __future__ import annotations

from typing import Any

from ..vendors import VendorProfile

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def service_provider_config(profile: VendorProfile, base_url: str, max_results: int) -> dict[str, Any]:
    """RFC 7643 §5 for this vendor: what it supports, as a client would probe it."""
    auth_schemes = {
        "bearer": {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token in the Authorization header",
        },
        "basic": {
            "type": "httpbasic",
            "name": "HTTP Basic",
            "description": "Authentication with a user name and password (HTTP Basic)",
        },
    }
    schemes = dict.fromkeys(style.scheme.lower() for style in profile.auth)  # e.g. API keys are bearer too
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": profile.sort},
        "etag": {"supported": profile.etag},
        "authenticationSchemes": [auth_schemes[s] for s in schemes if s in auth_schemes],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def list_response(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
