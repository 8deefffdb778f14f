"""The ``nur-notebook`` command: ``serve`` the local server and manage its API ``keys``.

Each sub-command is one ``add_*`` function that registers its parser and sets
``func``, the function that runs it and returns the exit status. Adding a command is
one more ``add_*`` function and one line in ``build_parser``.

Examples::

    nur-notebook serve --port 0 --data-dir /tmp/nur
    nur-notebook keys create --label laptop
    nur-notebook keys list
    nur-notebook keys revoke key_4fGh...
    nur-notebook talk agt_abc123 --text "Where is order 12345?" --out reply.wav
    nur-notebook eval suite.yaml --variants v1,v2 --repeat 3 --min-pass-rate 0.8
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nur_notebook import __version__

if TYPE_CHECKING:
    from nur_notebook.server.pipeline.options import EngineOptions
    from nur_notebook.server.store import Store

_Subparsers = Any  # argparse's sub-parser action has no public type


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the server keeps its database and key (default: the user data dir)",
    )


def _data_dir(args: argparse.Namespace) -> Path:
    from nur_notebook.server.config import default_data_dir

    return Path(args.data_dir) if args.data_dir is not None else default_data_dir()


# serve


def add_serve(subparsers: _Subparsers) -> None:
    from nur_notebook.server.config import DEFAULT_HOST, DEFAULT_PORT, SPEED_FEATURES

    parser = subparsers.add_parser("serve", help="run the local Nur server")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 = a free port"
    )
    parser.add_argument(
        "--no-engines",
        dest="engines",
        action="store_false",
        help="serve REST only, without loading the speech and language engines",
    )
    parser.add_argument(
        "--brain-url",
        default=None,
        help="an OpenAI-compatible chat endpoint to use as the brain (default: the packaged model)",
    )
    parser.add_argument("--brain-model", default=None, help="the model name for --brain-url")
    parser.add_argument(
        "--llm-threads", type=int, default=None, help="threads of the local LLM (default: 2)"
    )
    parser.add_argument(
        "--llm-slots",
        type=int,
        default=None,
        help="conversations the local LLM batches and keeps cached at once (default: 4)",
    )
    parser.add_argument(
        "--llm-prefix-cells",
        type=int,
        default=None,
        help="KV cells the agents' shared, evaluated prompts may hold (default: 2048)",
    )
    parser.add_argument(
        "--stt-model",
        choices=("tiny.en", "base"),
        default=None,
        help="Whisper for English speech: tiny.en (default, fastest) or base (the multilingual "
        "base model: hears accents, noise and numbers better, about twice the time)",
    )
    parser.add_argument(
        "--off",
        action="append",
        choices=SPEED_FEATURES,
        default=[],
        metavar="FEATURE",
        help="run without a latency feature, to measure it (repeatable): "
        + ", ".join(SPEED_FEATURES),
    )
    parser.add_argument(
        "--exit-when-unused",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop once no registered kernel has been alive for SECONDS (as the notebook "
        "starts it; default: run until stopped)",
    )
    _data_dir_option(parser)
    parser.set_defaults(func=run_serve)


def _engine_options(args: argparse.Namespace) -> EngineOptions:
    """The engines ``serve`` was asked for; an option not given keeps the engines' default."""
    from nur_notebook.server.pipeline.options import EngineOptions

    given = {
        name: getattr(args, name)
        for name in ("brain_url", "brain_model", "llm_threads", "llm_slots", "llm_prefix_cells",
                     "stt_model")
        if getattr(args, name) is not None
    }  # fmt: skip
    return EngineOptions(**given)


def run_serve(args: argparse.Namespace) -> int:
    from nur_notebook.server.app import serve
    from nur_notebook.server.config import ServerConfig

    if not 0 <= args.port <= 65535:
        print(f"error: --port must be 0-65535, got {args.port}", file=sys.stderr)
        return 2
    if args.llm_prefix_cells is not None and args.llm_prefix_cells < 0:
        print(
            f"error: --llm-prefix-cells must be >= 0, got {args.llm_prefix_cells}", file=sys.stderr
        )
        return 2
    grace = args.exit_when_unused
    if grace is not None and not (math.isfinite(grace) and grace > 0):
        print(f"error: --exit-when-unused must be > 0 seconds, got {grace:g}", file=sys.stderr)
        return 2
    try:
        config = ServerConfig(
            data_dir=_data_dir(args),
            host=args.host,
            port=args.port,
            engines=args.engines,
            engine_options=_engine_options(args),
            features_off=frozenset(args.off),
            exit_when_unused=grace,
        )
        serve(config)
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


# keys


def add_keys(subparsers: _Subparsers) -> None:
    parser = subparsers.add_parser("keys", help="manage the local server's API keys")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="make a new key (a new account); prints it once")
    create.add_argument("--label", default="", help="a note to tell keys apart")
    _data_dir_option(create)
    create.set_defaults(func=run_keys_create)

    listing = actions.add_parser("list", help="list keys (their prefixes, never the secrets)")
    _data_dir_option(listing)
    listing.set_defaults(func=run_keys_list)

    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id", help="the key's id (key_...), from 'keys list'")
    _data_dir_option(revoke)
    revoke.set_defaults(func=run_keys_revoke)


def run_keys_create(args: argparse.Namespace) -> int:
    from nur_notebook.server.auth import create_api_key

    with _open_store(args, must_exist=False) as store:
        made = create_api_key(store, label=args.label)
    print(f"{made.record.key_id}\t{made.secret}")
    print("Shown once. Use it as: export NUR_API_KEY=<the key above>", file=sys.stderr)
    return 0


def run_keys_list(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        records = store.list_api_keys()
    print("KEY_ID\tPREFIX\tLABEL\tCREATED\tSTATUS")
    for record in records:
        status = "revoked" if record.revoked_at is not None else "active"
        when = _when(record.created_at)
        print(f"{record.key_id}\t{record.prefix}...\t{record.label}\t{when}\t{status}")
    return 0


def run_keys_revoke(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        revoked = store.revoke_api_key(args.key_id)
    if not revoked:
        print(f"error: no active key {args.key_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}")
    return 0


@contextmanager
def _open_store(args: argparse.Namespace, *, must_exist: bool = True) -> Iterator[Store]:
    from nur_notebook.protocol.data_dir import DataFiles
    from nur_notebook.server.store import Store

    path = DataFiles.under(_data_dir(args)).database
    if must_exist and not path.exists():
        raise _CommandError(
            f"no server data in {path.parent} (start the server once, or --data-dir)"
        )
    store = Store(path)
    try:
        yield store
    finally:
        store.close()


class _CommandError(Exception):
    """A failure the command reports in one line (exit status 1)."""


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


# talk


def add_talk(subparsers: _Subparsers) -> None:
    from nur_notebook.realtime.talk_cli import add_arguments, run

    parser = subparsers.add_parser(
        "talk", help="talk to an agent from the terminal: typed turns or a WAV recording"
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


# eval


def add_eval(subparsers: _Subparsers) -> None:
    from nur_notebook.evals.command import add_arguments

    parser = subparsers.add_parser(
        "eval", help="run an eval suite (docs/evals.md) against the local server or NUR_BASE_URL"
    )
    add_arguments(parser)
    parser.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    """Connect as ``%load_ext`` does (``NUR_BASE_URL`` with ``NUR_API_KEY``, else the local
    server, started or reused), then run the suite."""
    import os

    from nur_notebook.evals.command import EXIT_UNUSABLE, check_arguments, execute, load

    problem = check_arguments(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_UNUSABLE
    if not args.suite.is_file():
        print(f"error: no suite file at {args.suite}", file=sys.stderr)
        return EXIT_UNUSABLE
    suite = load(args)  # checked before any server is reached or started
    if suite is None:
        return EXIT_UNUSABLE
    base_url = os.environ.get("NUR_BASE_URL", "").strip().rstrip("/")
    api_key = os.environ.get("NUR_API_KEY", "").strip()
    if base_url and not api_key:
        print(f"error: NUR_BASE_URL is {base_url} but NUR_API_KEY is not set", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        client = _eval_client(base_url=base_url, api_key=api_key)
    except _CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        return execute(args, suite, client=client)
    finally:
        client.close()


def _eval_client(*, base_url: str, api_key: str) -> Any:
    import httpx

    from nur_notebook.client import NurClient

    if api_key:
        client = NurClient(api_key=api_key, base_url=base_url or None)
        try:
            httpx.get(f"{client.base_url}/health", timeout=5.0)
        except httpx.HTTPError as exc:
            client.close()
            raise _CommandError(
                f"cannot reach the Nur server at {client.base_url}: {exc}"
            ) from None
        return client
    from nur_notebook.notebook.context import connect
    from nur_notebook.notebook.errors import LocalServerError

    try:
        context = connect(progress=lambda line: print(line, file=sys.stderr, flush=True))
    except LocalServerError as exc:
        raise _CommandError(f"the local Nur server did not start: {exc}") from None
    if context.engine_problem:
        raise _CommandError(f"the local Nur server cannot run sessions: {context.engine_problem}")
    print(context.summary(), file=sys.stderr)
    return context.client


# the command


def build_parser() -> argparse.ArgumentParser:
    """The ``nur-notebook`` argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="nur-notebook", description="Prototype Nur voice agents; run the local Nur server."
    )
    parser.add_argument("--version", action="version", version=f"nur-notebook {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve(subparsers)
    add_keys(subparsers)
    add_talk(subparsers)
    add_eval(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nur-notebook`` with ``argv`` (default: the process arguments); the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except _CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
