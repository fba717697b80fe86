"""The embedded default in one process: ``python -m odr.serve``.

Seeds the demo on first start, prints the logins, starts the scheduler inside this
process (SQLite has one writer; there is no second scheduler to elect against), starts
the media server as a child process (aiortc needs its own event loop), and serves the
app on 127.0.0.1:5000 with a threaded WSGI server until Ctrl-C. Production runs
gunicorn on wsgi.py, ``flask odr scheduler`` and ``python -m mediation`` separately.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlparse

from werkzeug.serving import make_server

from odr import create_app

log = logging.getLogger("odr.serve")


def _seed(app: Any) -> list[tuple[str, str, str]]:
    with app.app_context():
        from odr.demo import seed_base_demo

        return seed_base_demo()


def _start_media(app: Any) -> subprocess.Popen[bytes] | None:
    media = urlparse(app.config["MEDIA_URL"])
    env = dict(os.environ)
    env.setdefault("ODR_MEDIA_SECRET", app.config["MEDIA_SECRET"])
    env.setdefault("ODR_PUBLIC_URL", app.config["PUBLIC_URL"])
    env.setdefault("ODR_MEDIA_RECORDINGS_DIR", os.path.join(app.instance_path, "recordings"))
    cmd = [sys.executable, "-m", "mediation", "--host", media.hostname or "127.0.0.1",
           "--port", str(media.port or 5001)]
    try:
        return subprocess.Popen(cmd, env=env)
    except OSError as exc:
        log.error("media server did not start: %s", exc)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the ODR service on its embedded default.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--no-media", action="store_true", help="do not start the media server")
    parser.add_argument("--no-seed", action="store_true", help="do not seed demo data")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler.executors", "apscheduler.scheduler", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    app = create_app()
    logins = [] if args.no_seed else _seed(app)
    media = None if args.no_media else _start_media(app)
    if app.config.get("SCHEDULER_ENABLED"):
        from odr.scheduling.jobs import start_embedded_scheduler

        start_embedded_scheduler(app)
    from threading import Thread

    from odr.documents.render import preload

    # The first legal document a user asks for should not pay WeasyPrint's cold start.
    Thread(target=preload, name="weasyprint-preload", daemon=True).start()
    server = make_server(args.host, args.port, app, threaded=True)
    url = f"http://{args.host}:{server.port}"
    print("\n" + "=" * 64)
    print(f"ODR service: {url}   (media server: {app.config['MEDIA_URL']})")
    if logins:
        print("Demo logins (role  username  password):")
        for role, username, password in logins:
            print(f"  {role:<10} {username:<16} {password}")
    print("Press Ctrl-C to stop.")
    print("=" * 64 + "\n", flush=True)

    def _stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if media is not None and media.poll() is None:
            media.terminate()
            try:
                media.wait(timeout=10)
            except subprocess.TimeoutExpired:
                media.kill()
        time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
