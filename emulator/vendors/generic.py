"""The generic vendor: a complete RFC 7643/7644 target with nothing restricted."""

from ..auth.styles import BearerTokens
from ..scim.schema import ENTERPRISE_USER, GROUP, USER
from .profile import VendorProfile

PROFILE = VendorProfile(
    name="generic",
    title="Generic RFC 7643/7644 SCIM 2.0 service provider",
    auth=(BearerTokens(),),
    user_schema=USER,
    user_extensions=(ENTERPRISE_USER,),
    group_schema=GROUP,
    filterable=None,
    notes=(
        "Every core User and Group attribute and the enterprise extension; the whole filter grammar; "
        "sorting, ETags and paging. A bearer token issued by the control plane.",
    ),
)
