"""Benchmark the legal-document renderer (WeasyPrint) against LibreOffice headless.

Run on demand, from the repository root:

    .venv/bin/python benchmarks/documents_bench.py            # installs LibreOffice if missing
    .venv/bin/python benchmarks/documents_bench.py --no-libreoffice

Measures, for a settlement agreement (人民调解协议书, 3 A4 pages):
* cold start: the first document in a fresh Python process (imports, font
  configuration, render), timed inside a subprocess; median of several processes;
  also with WeasyPrint's C bindings imported the normal way (``ODR_WEASYPRINT_FAST_FFI=0``);
* warm: median and p90 of 100 renders in one process (wall and CPU time);
* memory: RSS after 1, 10, 50 and 100 documents and the peak (should stay flat);
* file size of the PDF (fonts subset);
* LibreOffice: ``soffice --headless --convert-to pdf`` of the same HTML, each
  conversion a fresh soffice process (that is how a CLI conversion runs).

Prints a Markdown section for docs/benchmarks.md. Writes only to a temporary folder and,
as the app does, to the documents' cache folder (odr/documents/caches.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KIND = "settlement_agreement"
COLD_CHILD = """
import time, json, sys
t_start = time.perf_counter()
sys.path.insert(0, {root!r})
import odr.documents  # the app package: Flask, SQLAlchemy... already loaded in a real app process
from tests.documents.documents_samples import sample_context, SIGNED, TITLES
t0 = time.perf_counter()
from odr.documents.render import render_pdf, preload
if {preload!r}:
    preload()
t1 = time.perf_counter()
title, author = TITLES[{kind!r}]
pdf = render_pdf({kind!r}, sample_context({kind!r}), title=title, author=author, created=SIGNED)
t2 = time.perf_counter()
from odr.documents import weasyffi
print(json.dumps({{"engine": t2 - t0, "preload": t1 - t0, "first": t2 - t1, "process": t2 - t_start,
                  "ffi": weasyffi.state()}}))
"""


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _cold_child(with_preload: bool, fast_ffi: bool = True) -> dict:
    code = COLD_CHILD.format(root=str(ROOT), kind=KIND, preload=with_preload)
    env = {key: value for key, value in os.environ.items() if key != "ODR_WEASYPRINT_FAST_FFI"}
    if not fast_ffi:
        env["ODR_WEASYPRINT_FAST_FFI"] = "0"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def cold_runs(count: int) -> dict[str, float | str]:
    """Time the first document of fresh processes, without and with ``preload()``.

    ``engine`` starts after the app package is imported (a real app process has
    Flask and SQLAlchemy loaded already) and covers importing WeasyPrint, the font
    configuration, compiling the templates and rendering; ``process`` adds the
    interpreter and app-package imports. The same is measured, interleaved, with
    WeasyPrint's C bindings imported the normal way (``ODR_WEASYPRINT_FAST_FFI=0``,
    see odr/documents/weasyffi.py) to show what the prebuilt bindings save. The
    caches (prebuilt bindings, compiled templates) exist after the first child.
    """
    _cold_child(False)  # builds the caches if this checkout has none yet
    runs: dict[str, list[dict]] = {"plain": [], "normal_ffi": [], "preload": []}
    for _ in range(count):
        runs["plain"].append(_cold_child(False))
        runs["normal_ffi"].append(_cold_child(False, fast_ffi=False))
        runs["preload"].append(_cold_child(True))

    def med(kind: str, key: str) -> float:
        return _ms(statistics.median(run[key] for run in runs[kind]))

    return {"median_ms": med("plain", "engine"), "process_ms": med("plain", "process"),
            "normal_ffi_ms": med("normal_ffi", "engine"), "ffi": runs["plain"][0]["ffi"],
            "preload_ms": med("preload", "preload"), "after_preload_ms": med("preload", "first")}


def warm_runs(count: int) -> dict[str, object]:
    """Render ``count`` documents in this process; timings, RSS trajectory and size."""
    import psutil

    from odr.documents.render import render_pdf
    from tests.documents.documents_samples import SIGNED, TITLES, sample_context

    title, author = TITLES[KIND]
    context = sample_context(KIND)
    baseline = round(psutil.Process().memory_info().rss / 2**20, 1)
    for _ in range(3):
        render_pdf(KIND, context, title=title, author=author, created=SIGNED)
    process = psutil.Process()
    wall, cpu, rss = [], [], {}
    pdf = b""
    for index in range(1, count + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        pdf = render_pdf(KIND, context, title=title, author=author, created=SIGNED)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        if index in (1, 10, 50, 100, count):
            rss[index] = round(process.memory_info().rss / 2**20, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall.sort()
    return {
        "median_ms": _ms(statistics.median(wall)),
        "p90_ms": _ms(wall[int(len(wall) * 0.9) - 1]),
        "cpu_median_ms": _ms(statistics.median(cpu)),
        "rss_before_mb": baseline,
        "rss_mb": rss,
        "peak_rss_mb": round(peak, 1),
        "bytes": len(pdf),
    }


def ensure_soffice(install: bool) -> str | None:
    """Find soffice; install libreoffice-writer-nogui with apt-get when allowed."""
    found = shutil.which("soffice")
    if found or not install:
        return found
    print("soffice missing: apt-get install -y libreoffice-writer-nogui", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "libreoffice-writer-nogui"],
                   check=True, env=env)
    return shutil.which("soffice")


def libreoffice_runs(soffice: str, count: int, workdir: Path) -> dict[str, float]:
    """Convert the same HTML ``count`` times, each a fresh soffice process."""
    from odr.documents.render import render_html
    from tests.documents.documents_samples import sample_context

    source = workdir / "agreement.html"
    source.write_text(render_html(KIND, sample_context(KIND)), encoding="utf-8")
    profile = (workdir / "lo-profile").as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
               "--outdir", str(workdir / "out"), str(source)]
    times = []
    for _ in range(count + 1):  # the first run also creates the profile: reported apart
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        times.append(time.perf_counter() - start)
    produced = workdir / "out" / "agreement.pdf"
    return {
        "first_ms": _ms(times[0]),
        "median_ms": _ms(statistics.median(times[1:])),
        "bytes": produced.stat().st_size,
        "command": "soffice -env:UserInstallation=file:///tmp/lo-profile --headless --convert-to pdf --outdir out agreement.html",
    }


def markdown(cold: dict, warm: dict, lo: dict | None, args: argparse.Namespace) -> str:
    import weasyprint

    from odr.documents.render import harfbuzz_subset_available

    lines = [
        "## Documents (WeasyPrint)",
        "",
        f"Command: `.venv/bin/python benchmarks/documents_bench.py --warm {args.warm} --cold {args.cold}"
        f" --lo {args.lo}` — {KIND} (人民调解协议书, 3 A4 pages, Noto Serif CJK SC regular + bold, QR, e-seal).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"WeasyPrint {weasyprint.__version__}, HarfBuzz-Subset {'yes' if harfbuzz_subset_available() else 'NO'}.",
        "",
        "| measure | WeasyPrint | target | LibreOffice headless | ratio LO / WP |",
        "|---|---|---|---|---|",
    ]
    lo_cold = lo_warm = lo_size = "—"
    ratio_cold = ratio_warm = "—"
    if lo:
        lo_cold, lo_warm, lo_size = f"{lo['first_ms']} ms", f"{lo['median_ms']} ms", f"{lo['bytes'] / 1024:.0f} KB"
        ratio_cold = f"{lo['first_ms'] / cold['median_ms']:.1f}×"
        ratio_warm = f"{lo['median_ms'] / warm['median_ms']:.1f}×"
    lines += [
        f"| cold: first document in a fresh process (median of {args.cold}; WeasyPrint import + fonts + "
        f"templates + render) | {cold['median_ms']} ms ({cold['process_ms']} ms incl. interpreter and app "
        f"package imports) | < 1000 ms | {lo_cold} (first run, new profile) | {ratio_cold} |",
        f"| cold, WeasyPrint's C bindings imported the normal way (`ODR_WEASYPRINT_FAST_FFI=0`; "
        f"above: {cold['ffi']}) | {cold['normal_ffi_ms']} ms | — | — | — |",
        f"| cold with `preload()` at app start | preload {cold['preload_ms']} ms, then first document "
        f"{cold['after_preload_ms']} ms | — | — | — |",
        f"| warm: median of {args.warm} documents | {warm['median_ms']} ms (p90 {warm['p90_ms']} ms, CPU "
        f"{warm['cpu_median_ms']} ms) | < 200 ms | {lo_warm} (median of {args.lo}, one soffice process each) "
        f"| {ratio_warm} |",
        f"| RSS before / after 1 / 10 / 50 / 100 documents | {warm['rss_before_mb']} / "
        f"{' / '.join(str(v) for v in warm['rss_mb'].values())} MB (peak {warm['peak_rss_mb']} MB) "
        f"| flat, < 200 MB | — | — |",
        f"| file size | {warm['bytes'] / 1024:.0f} KB | < 500 KB | {lo_size} | — |",
    ]
    if lo:
        lines += ["", f"LibreOffice command: `{lo['command']}`"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warm", type=int, default=100)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--lo", type=int, default=5, help="LibreOffice conversions")
    parser.add_argument("--no-libreoffice", action="store_true")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install LibreOffice")
    args = parser.parse_args()

    cold = cold_runs(args.cold)
    warm = warm_runs(args.warm)
    lo = None
    if not args.no_libreoffice:
        soffice = ensure_soffice(install=not args.no_install)
        if soffice:
            with tempfile.TemporaryDirectory(prefix="documents-bench-") as tmp:
                lo = libreoffice_runs(soffice, args.lo, Path(tmp))
    print(json.dumps({"cold": cold, "warm": warm, "libreoffice": lo}, ensure_ascii=False, indent=1), file=sys.stderr)
    print(markdown(cold, warm, lo, args))


if __name__ == "__main__":
    main()
