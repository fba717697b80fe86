"""``python -m mediation --host H --port P [--dev]``: run the media server."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from mediation.config import ConfigError, from_env
from mediation.server import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediation", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--dev", action="store_true",
                        help="allow running without ODR_MEDIA_SECRET (insecure, local only)")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = from_env(dev=args.dev)
    except ConfigError as exc:
        print(f"mediation: {exc}", file=sys.stderr)
        return 2
    if args.dev and not settings.allowed_origins:
        settings.allowed_origins = ["*"]
    web.run_app(create_app(settings), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
