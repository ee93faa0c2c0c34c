"""The HTTP floor of the service section: a bare ASGI endpoint on the same server stack as
``coopcheck serve`` — a Starlette app with one route answering a fixed JSON body (a decision's
size class, :data:`BODY`), served by uvicorn from a socket made by the service's own
``_listen`` (``IPPROTO_TCP``, so ``TCP_NODELAY``) with the service's uvicorn options. No
middleware, no decision, the request body not read.

``python -m bench.bare_asgi --port 0`` listens on 127.0.0.1 only and prints
``bare asgi: listening on http://127.0.0.1:PORT`` to stderr (the line
:class:`bench.service.Service` waits for); SIGTERM is a clean exit 0, as for the service.
"""

from __future__ import annotations

import argparse
import json
import sys

HOST = "127.0.0.1"
PATH = "/v1/decide"

#: A fixed decision-shaped answer, 886 bytes: the size class of the service's single decisions
#: (on the benchmark's single stream: median 1 063 bytes with the stamps, 667 to 4 959).
BODY = json.dumps({
    "coop": "aizu", "decision": "permit", "basis": "purpose", "obligations": [],
    "citations": ["aizu 指針1 なお書き"],
    "reasons": ["`sensitive_data` (要配慮個人情報): permitted on a declared purpose, `kyosai_guidance` "
                "(共済商品・サービスの案内・提供) — rule aizu:112 [aizu 指針1 なお書き]"],
    "would_permit_with_consent": None,
    "items": [{"item": "sensitive_data", "decision": "permit", "basis": "purpose", "rule": "aizu:112",
               "rules": ["aizu:112"], "citations": ["aizu 指針1 なお書き"]}],
    "rules": ["aizu:112"],
    "scenario": {"coop": "aizu", "action": "use", "subject": "member", "data": ["sensitive_data"],
                 "recipient": None, "purpose": "kyosai_guidance", "consent": False, "optout_offered": False,
                 "anonymized": False, "pseudonymized": False, "emergency": False},
    "revision": "0123456789abcdef", "decision_id": "0123456789abcdef0123456789abcdef",
}, ensure_ascii=False).encode("utf-8")


def app():
    """The Starlette app: ``GET`` or ``POST`` :data:`PATH` answers :data:`BODY`."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def fixed(request) -> Response:
        return Response(BODY, media_type="application/json")

    return Starlette(routes=[Route(PATH, fixed, methods=["GET", "POST"])])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bare_asgi", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default 0: any free port)")
    p.add_argument("--log-level", default="warning")
    args = p.parse_args(argv)

    from coopcheck.serve.command import _listen, serve_on

    sock = _listen(HOST, args.port)
    host, port = sock.getsockname()[:2]
    print(f"bare asgi: listening on http://{host}:{port} — {len(BODY)} bytes a response",
          file=sys.stderr, flush=True)
    serve_on(app(), sock, args.log_level)  # the server and options of `coopcheck serve`
    return 0


if __name__ == "__main__":
    sys.exit(main())
