"""``python -m mediation --host H --port P [--workers N] [--dev]``: run the media server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from aiohttp import web

from mediation.config import ConfigError, from_env
from mediation.server import create_app


def _workers_default() -> int:
    raw = os.environ.get("ODR_MEDIA_WORKERS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediation", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=_workers_default(),
                        help="media processes behind this address, rooms shared out by session "
                             "(default: ODR_MEDIA_WORKERS or 1)")
    parser.add_argument("--dev", action="store_true",
                        help="allow running without ODR_MEDIA_SECRET (insecure, local only)")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--unix", help=argparse.SUPPRESS)  # a worker's private socket (--workers)
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format=f"%(asctime)s %(levelname)s [{os.getpid()}] %(name)s: %(message)s")
    try:
        settings = from_env(dev=args.dev)
    except ConfigError as exc:
        print(f"mediation: {exc}", file=sys.stderr)
        return 2
    if args.dev and not settings.allowed_origins:
        settings.allowed_origins = ["*"]
    if args.unix:
        app = create_app(settings)
        if args.parent_pid:
            from mediation.workers import PARENT_WATCH_KEY, exit_with_parent

            async def watch_parent(_app: web.Application) -> None:
                _app[PARENT_WATCH_KEY] = asyncio.create_task(exit_with_parent(args.parent_pid))

            app.on_startup.append(watch_parent)
        web.run_app(app, path=args.unix, print=None)
    elif args.workers > 1:
        from mediation.workers import WorkerPool, create_front_app

        pool = WorkerPool(args.workers, dev=args.dev, verbose=args.verbose)
        web.run_app(create_front_app(settings, pool), host=args.host, port=args.port, print=None)
    else:
        web.run_app(create_app(settings), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
