"""``coopcheck serve``: run the decision service (the CLI's ``serve`` subcommand is this module).

Safe by default: it listens on 127.0.0.1, and refuses (exit 2) any other address unless
``--token-file`` names the bearer tokens clients must send. Exit codes as every subcommand: 0
after a clean shutdown (Ctrl-C, SIGTERM), 2 for bad options, an unreadable token file, a
policy path that does not exist, a decision log that cannot be opened, or an address that
cannot be listened on.

The token file holds one token a line — ``TOKEN`` or ``CALLER TOKEN`` (the caller's name goes
into the decision log) — blank lines and ``#`` comments ignored; a token is at least 16
printable characters without spaces.

>>> check_bind("127.0.0.1", False) is None and check_bind("::1", False) is None
True
>>> check_bind("0.0.0.0", False).startswith("refusing to listen on 0.0.0.0 without --token-file")
True
>>> check_bind("0.0.0.0", True) is None
True
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import socket
import stat
import sys

HELP = "run the decision service: decisions over HTTP/JSON, a page for staff, hot policy reloads"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8181
MIN_TOKEN = 16


class UsageError(Exception):
    """A problem with the options: printed as ``coopcheck serve: error: ...``, exit 2."""


def register(p: argparse.ArgumentParser) -> None:
    """Add ``serve``'s arguments."""
    p.add_argument("--host", default=DEFAULT_HOST,
                   help="address to listen on (default: 127.0.0.1; any other needs --token-file)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--policies", nargs="+", action="extend", default=[], metavar="PATH",
                   help="policy files or folders of *.policy files to serve besides the shipped ones (a policy "
                        "with a shipped policy's id replaces it); watched for changes")
    p.add_argument("--no-shipped", action="store_true", help="serve only the policies of --policies")
    p.add_argument("--token-file", metavar="FILE",
                   help="bearer tokens clients must send, one a line (`TOKEN` or `CALLER TOKEN`)")
    p.add_argument("--decision-log", metavar="FILE", help="append one JSON line per decision to FILE")
    p.add_argument("--log-mask", action="append", default=[], metavar="FIELD",
                   help="mask a field in the decision log (`input.recipient`, or a bare name at any depth: `data`)")
    p.add_argument("--log-drop", action="append", default=[], metavar="FIELD",
                   help="leave a field out of the decision log (as --log-mask)")
    p.add_argument("--log-max-bytes", type=int, default=100 * 1024 * 1024, metavar="N",
                   help="rotate the decision log before it passes N bytes (default: 100 MiB)")
    p.add_argument("--log-backups", type=int, default=5, metavar="N", help="rotated logs kept (default: 5)")
    p.add_argument("--log-buffer", type=int, default=10_000, metavar="N",
                   help="decision-log lines buffered before new ones are dropped (default: 10000)")
    p.add_argument("--require-log", action="store_true",
                   help="answer 503 instead of a decision whose log line cannot be written")
    p.add_argument("--max-body", type=int, default=1024 * 1024, metavar="BYTES",
                   help="largest request body (default: 1 MiB)")
    p.add_argument("--max-batch", type=int, default=1000, metavar="N",
                   help="most scenarios in one request (default: 1000)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="time limit to decide one request of several scenarios (default: 10; one "
                        "scenario's decision is bounded by the input limits and answered at once)")
    p.add_argument("--poll", type=float, default=1.0, metavar="SECONDS",
                   help="how often policy files are checked for changes (default: 1)")
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info",
                   help="server log level (default: info)")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``) or ``localhost``."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything, so it counts as reachable


def check_bind(host: str, have_token: bool) -> str | None:
    """Why listening on ``host`` is refused (None when it is allowed)."""
    if is_loopback(host) or have_token:
        return None
    return (f"refusing to listen on {host} without --token-file: that address can be reached from other "
            f"machines, and anyone who reaches it could ask for decisions and read the policies. Give "
            f"--token-file FILE (bearer tokens the clients send) or listen on 127.0.0.1")


def read_tokens(path: str) -> dict[str, str | None]:
    """The tokens of a token file: token -> caller name (or None). Raises UsageError."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        mode = os.stat(path).st_mode
    except OSError as err:
        raise UsageError(f"cannot read the token file `{path}`: {err.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the token file `{path}` is not UTF-8 text") from None
    tokens: dict[str, str | None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 2:
            raise UsageError(f"{path}:{number}: a line holds `TOKEN` or `CALLER TOKEN`")
        name, token = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
        if len(token) < MIN_TOKEN or not token.isprintable() or not token.isascii():
            raise UsageError(f"{path}:{number}: a token is at least {MIN_TOKEN} printable ASCII characters")
        if token in tokens:
            raise UsageError(f"{path}:{number}: the same token twice")
        tokens[token] = name
    if not tokens:
        raise UsageError(f"the token file `{path}` holds no token")
    if stat.S_IMODE(mode) & 0o077:
        print(f"coopcheck serve: warning: `{path}` can be read by other users (chmod 600 it)", file=sys.stderr)
    return tokens


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket (IPv4 or IPv6), made here so a failure is a clear message."""
    bare = host.strip().strip("[]")
    try:
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UsageError(f"cannot listen on {host}: {err.strerror}") from None
    family, _, _, _, address = infos[0]
    # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets whose protocol
    # says TCP, and without it every kept-alive response waited ~40 ms on the peer's delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.set_inheritable(True)
    return sock


def config_from_args(args: argparse.Namespace):
    """The :class:`~coopcheck.serve.app.ServeConfig` of the command line (raises UsageError)."""
    from coopcheck.serve.app import ServeConfig
    from coopcheck.serve.store import Source, shipped_sources

    for name in ("max_body", "max_batch", "log_max_bytes", "log_buffer"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.timeout <= 0 or args.poll <= 0 or args.log_backups < 0:
        raise UsageError("--timeout and --poll must be positive, --log-backups at least 0")
    if args.require_log and not args.decision_log:
        raise UsageError("--require-log needs --decision-log FILE")
    if args.no_shipped and not args.policies:
        raise UsageError("--no-shipped needs --policies PATH")
    tokens = read_tokens(args.token_file) if args.token_file else {}
    refusal = check_bind(args.host, bool(tokens))
    if refusal:
        raise UsageError(refusal)
    for path in args.policies:
        if not os.path.exists(path):
            raise UsageError(f"no such policy file or folder: `{path}`")
    if args.decision_log:
        try:
            with open(args.decision_log, "ab"):
                pass
        except OSError as err:
            raise UsageError(f"cannot open the decision log `{args.decision_log}`: {err.strerror}") from None
    sources = ([] if args.no_shipped else shipped_sources()) + [Source(p) for p in args.policies]
    return ServeConfig(sources=sources, tokens=tokens, decision_log=args.decision_log, log_mask=tuple(args.log_mask),
                       log_drop=tuple(args.log_drop), log_max_bytes=args.log_max_bytes, log_backups=args.log_backups,
                       log_buffer=args.log_buffer, require_log=args.require_log, max_body=args.max_body,
                       max_batch=args.max_batch, timeout=args.timeout, poll_interval=args.poll, freeze_gc=True)


def run(args: argparse.Namespace) -> int:
    """Run ``serve`` until interrupted; see the module docstring for exit codes."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        print(f"coopcheck serve: error: the service needs Starlette and uvicorn ({err.name} is missing): "
              "pip install 'coopcheck[serve]'", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
        from coopcheck.serve.app import create_app, health
        from coopcheck.serve.service import freeze_loaded

        app = create_app(config)
        sock = _listen(args.host, args.port)
    except UsageError as err:
        print(f"coopcheck serve: error: {err}", file=sys.stderr)
        return 2
    service = app.state.service
    freeze_loaded()  # this process serves: the policies just loaded stay out of full collections
    code, body = health(service)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"coopcheck serve: listening on http://{shown}:{port} — {len(body['policies'])} policies "
          f"({', '.join(body['policies'])}), health {body['status']}", file=sys.stderr, flush=True)
    for reason in body["reasons"]:
        print(f"coopcheck serve: warning: {reason}", file=sys.stderr)
    serve_on(app, sock, args.log_level)
    return 0


def serve_on(app, sock, log_level: str) -> None:
    """Serve the ASGI ``app`` on the listening socket ``sock`` (made by :func:`_listen`) with
    the options ``coopcheck serve`` uses, until SIGINT or SIGTERM; closes the socket. (The
    benchmark's bare endpoint is served by this too, so it is the same stack.)"""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(
        app, log_level=log_level, timeout_keep_alive=5, limit_concurrency=512, timeout_graceful_shutdown=10,
        server_header=False, proxy_headers=False, lifespan="on"))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again with the
    # handler that was there before: for SIGTERM that is this one, so a stop is a clean exit 0
    # (Ctrl-C still ends as an interrupt, 130)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
