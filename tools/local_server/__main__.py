"""`python -m tools.local_server` (make serve): run the chatbot locally until Ctrl-C."""

from __future__ import annotations

import argparse
import getpass
import logging
import signal
import sys
import threading
from pathlib import Path

from rich.console import Console

from .errors import StartupError
from .server import DEFAULT_USERS, REPO, LocalServer, Options, is_loopback

# Printed only while the users file still has these passwords (checked against its hashes).
DEFAULT_PASSWORDS = {"admin": "admin-local-only", "user": "user-local-only"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.local_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--data-dir", type=Path, default=REPO / ".local",
                        help="where PostgreSQL's data and the signing key are kept (default .local)")
    models = parser.add_mutually_exclusive_group()
    models.add_argument("--bedrock", dest="models", action="store_const", const="bedrock",
                        help="use Amazon Bedrock (fails without AWS credentials)")
    models.add_argument("--local-models", dest="models", action="store_const", const="local",
                        help="local mode: local embeddings and extractive answers, even with AWS credentials")
    parser.add_argument("--region", help="AWS region for Bedrock (default: your profile's, else us-east-1)")
    parser.add_argument("--users", type=Path, default=DEFAULT_USERS,
                        help="users file (default local/users.yaml)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a --host that is not loopback (public default passwords, no TLS)")
    parser.add_argument("--verbose", action="store_true", help="log the handlers' INFO messages")
    parser.add_argument("--hash-password", action="store_true",
                        help="print a password hash for the users file and exit")
    parser.set_defaults(models="auto")
    return parser.parse_args(argv)


def _print_users(console: Console, server: LocalServer) -> None:
    from .users import load_users, verify_password

    for user in load_users(server.options.users_file).values():
        groups = ", ".join(user.groups) or "no group"
        known = DEFAULT_PASSWORDS.get(user.username)
        password = known if known and verify_password(known, user.password_hash) else "(see your users file)"
        console.print(f"  user [bold]{user.username}[/] / {password}  [dim]({groups})[/]")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(highlight=False)
    if args.hash_password:
        from .users import hash_password

        print(hash_password(getpass.getpass("Password: ")))
        return 0
    # On the handler too: some app modules set their own loggers to INFO, as Lambda wants.
    log_handler = logging.StreamHandler()
    log_handler.setLevel(logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=log_handler.level, format="%(levelname)s %(name)s: %(message)s",
                        handlers=[log_handler])
    if not is_loopback(args.host) and args.allow_remote:
        console.print(f"[bold red]Warning:[/] listening on {args.host}: anyone who can reach it can sign in "
                      "with the default passwords, over plain HTTP.")
    options = Options(host=args.host, port=args.port, data_dir=args.data_dir.resolve(), models=args.models,
                      region=args.region, users_file=args.users, allow_remote=args.allow_remote)

    def progress(step: str, seconds: float) -> None:
        console.print(f"[green]✓[/] {step} [dim]{seconds:.1f} s[/]")

    server = LocalServer(options, progress=progress)
    console.print("[bold]Starting the chatbot locally[/] (Ctrl-C stops it)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # while starting: stop right after
    try:
        server.start()  # on any failure it has already stopped what it started
    except StartupError as exc:
        console.print(f"[bold red]Cannot start:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        console.print("Interrupted; stopped.")
        return 130
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    console.print(f"[bold yellow]{server.mode.notice}[/]")
    if server.mode.expires:
        console.print(f"  AWS credentials expire at {server.mode.expires}; restart then.")
    console.print(f"\nOpen [bold underline]{server.url}/[/]")
    console.print(f"Users from {options.users_file} (local use only):")
    _print_users(console, server)
    stop.wait()
    console.print("\nStopping...")
    server.stop()
    console.print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
