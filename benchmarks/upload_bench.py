"""Upload a large file through the running app on loopback; compare with `cp`.

    .venv/bin/python benchmarks/upload_bench.py --size-mb 1024

The server runs in a child process (werkzeug, SQLite, local storage in a temp folder);
its peak RSS (VmHWM) is read before and after the upload. Results go to stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVER = r"""
import sys, json
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from werkzeug.serving import make_server
from odr import create_app
from odr.config import TestConfig
from odr.extensions import db
tmp = Path(sys.argv[2])
app = create_app(TestConfig(tmp / "instance", f"sqlite:///{tmp / 'bench.sqlite'}"))
app.config["MAX_UPLOAD_BYTES"] = app.config["CASE_QUOTA_BYTES"] = 1 << 40
app.config["RATELIMIT_ENABLED"] = False
with app.app_context():
    db.create_all()
    from tests.factories import build_world
    from tests.case_factories import file_case
    from odr.accounts.services import issue_token
    world = build_world()
    case = file_case(world)
    raw, _row = issue_token(world.applicant)
    db.session.commit()
    info = {"case_id": case.id, "token": raw}
server = make_server("127.0.0.1", 0, app, threaded=True)
info["port"] = server.server_port
print(json.dumps(info), flush=True)
server.serve_forever()
"""


def hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    tmp = Path(tempfile.mkdtemp(prefix="odr-bench-"))
    src = tmp / "big.pdf"
    with open(src, "wb") as fh:
        fh.write(b"%PDF-1.4\n")
        block = os.urandom(1024 * 1024)
        while fh.tell() < size:
            fh.write(block[: size - fh.tell()])
    t0 = time.perf_counter()
    shutil.copyfile(src, tmp / "copy.pdf")
    os.sync()
    cp_s = time.perf_counter() - t0
    (tmp / "copy.pdf").unlink()

    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(ROOT), str(tmp)], stdout=subprocess.PIPE,
                            env={**os.environ, "ODR_SECRET_KEY": "bench"}, cwd=ROOT)
    info = json.loads(proc.stdout.readline())
    try:
        before = hwm_kb(proc.pid)
        boundary = "----odrbench"
        pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nbench\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
               "Content-Type: application/pdf\r\n\r\n").encode()
        post = f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=600)
        t0 = time.perf_counter()
        conn.putrequest("POST", f"/api/v1/cases/{info['case_id']}/evidence")
        conn.putheader("Authorization", f"Bearer {info['token']}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(pre) + size + len(post)))
        conn.endheaders()
        conn.send(pre)
        with open(src, "rb") as fh:
            while block := fh.read(1024 * 1024):
                conn.send(block)
        conn.send(post)
        resp = conn.getresponse()
        body = resp.read()
        up_s = time.perf_counter() - t0
        after = hwm_kb(proc.pid)
        assert resp.status == 201, body
        mb = size / 1024 / 1024
        print(json.dumps({"size_mb": args.size_mb, "cp_seconds": round(cp_s, 2),
                          "cp_mb_s": round(mb / cp_s, 1), "upload_seconds": round(up_s, 2),
                          "upload_mb_s": round(mb / up_s, 1), "ratio": round(cp_s / up_s, 2),
                          "server_peak_rss_growth_mb": round((after - before) / 1024, 1)}))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
