"""One request to a running emulator's control plane over HTTP, with the standard library only.

Shared by the CLI's ``RemoteEmulator`` and the pytest plugin's ``ControlPlane``, which map its
failures to their own errors; importing it loads nothing of the emulator.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


def send(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    admin_token: str | None = None,
    timeout: float = 30.0,
) -> bytes:
    """The raw answer of ``/_emulator<path>``; urllib's HTTPError for an error status, OSError when
    the emulator cannot be reached. Query parameters that are None are left out."""
    url = f"{base_url.rstrip('/')}/_emulator{path}"
    params = {k: v for k, v in (query or {}).items() if v is not None}
    if params:
        url += "?" + urllib.parse.urlencode(params)
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if admin_token:
        headers["Authorization"] = f"Bearer {admin_token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw: bytes = response.read()
    return raw
