"""The harness's ``Server`` serves the checkout it is given (``bench.cpu --variant name@/checkout:``)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from bench.run import Server


def test_a_server_of_another_checkout_serves_that_checkouts_code(tmp_path: Path) -> None:
    other = tmp_path / "checkout"
    other.mkdir()
    (other / "gunicorn.conf.py").write_text("")
    # the same module name as this checkout's WSGI entry point, answering with its own file
    (other / "app.py").write_text(
        "import json\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [json.dumps({'served': __file__}).encode()]\n"
    )
    server = Server("other", "app:app", 1, {}, tmp_path, root=other)
    try:
        server.start("/")
        with urllib.request.urlopen(server.url + "/", timeout=10) as answer:
            served = json.loads(answer.read())["served"]
    finally:
        server.stop()

    assert Path(served) == other / "app.py"
