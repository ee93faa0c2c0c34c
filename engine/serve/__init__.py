"""``coopcheck serve``: the decision service other systems call, and its Python client.

A surface, like :mod:`coopcheck.cli` and at the same layer: it uses the library (core,
analysis, presentation) and nothing uses it; it does not import the CLI (the CLI's ``serve``
subcommand imports it). Modules:

- :mod:`~coopcheck.serve.app`: the ASGI application (its routes, each failing closed);
- :mod:`~coopcheck.serve.service`: the configuration and the state the routes share (policies,
  metrics, decision log, tokens, worker threads under the time limit);
- :mod:`~coopcheck.serve.requests`: the token check, query parameters, the body within its
  limits read as JSON, the batch limit;
- :mod:`~coopcheck.serve.responses`: the JSON response and the error objects;
- :mod:`~coopcheck.serve.answers`: decide, explain and compare over a request's scenarios;
- :mod:`~coopcheck.serve.views`: policies, terms, health, metrics, OpenAPI, the page;
- :mod:`~coopcheck.serve.store`: the served policies, recompiled in the background and swapped
  atomically, each with its revision;
- :mod:`~coopcheck.serve.decisionlog`: the buffered, rotated, masked decision log;
- :mod:`~coopcheck.serve.metrics`: Prometheus counters and the latency histogram;
- :mod:`~coopcheck.serve.openapi`: the OpenAPI document; :mod:`~coopcheck.serve.page`: the page
  for compliance staff;
- :mod:`~coopcheck.serve.command`: the command line (``coopcheck serve``);
- :mod:`~coopcheck.serve.client`: :class:`Client`, standard library only, every error a deny.

Why Starlette and uvicorn (``pip install 'coopcheck[serve]'``): the service needs routing, a
request/response model, an ASGI server with keep-alive and graceful shutdown, and a test
client — and nothing more. Starlette is a small, well-kept ASGI toolkit (a few thousand lines,
one dependency, anyio) with a test client; uvicorn is the reference ASGI server, on h11 alone
in its plain install. A full framework (Django, or FastAPI's validation and generated
documentation) would bring far more code and dependencies than a dozen JSON routes need; the
OpenAPI document here is written by hand and tested against the routes. Only the client is
imported with ``coopcheck`` (lazily, as ``coopcheck.Client``); the server's dependencies are
needed only to serve.
"""

from coopcheck.serve.client import Client

__all__ = ["Client"]
