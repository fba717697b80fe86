"""Ranked matching for one case, and the directory query with filters, at county and
province scale (docs/benchmarks.md, "Mediator pools").

    .venv/bin/python benchmarks/matching_bench.py [--database-url URL] [--runs 200]

Builds the schema in the given database (default: a fresh SQLite file), seeds the county
pool, then the province pool, and prints median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _measure(fn: Any, runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="odr-bench-"))
    from odr import create_app
    from odr.config import TestConfig
    from odr.extensions import db

    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app(TestConfig(tmp / "instance", url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        from sqlalchemy import select

        from odr.cases.assignment import rank_candidates
        from odr.cases.models import Case
        from odr.demo import seed_county, seed_province
        from odr.mediators.directory import directory_query

        print(seed_county())
        case = db.session.execute(select(Case).where(Case.status == "in_mediation").limit(1)).scalar_one()
        case.mediator_id = None
        db.session.commit()

        def match() -> None:
            rank_candidates(case)
            db.session.rollback()

        med, p95 = _measure(match, args.runs)
        print(f"{db.engine.dialect.name} county  ranked matching: median {med:.2f} ms, p95 {p95:.2f} ms")
        print(seed_province())
        med, p95 = _measure(match, args.runs)
        print(f"{db.engine.dialect.name} province ranked matching: median {med:.2f} ms, p95 {p95:.2f} ms")
        with app.test_client() as client:

            def api_directory() -> None:
                resp = client.get("/api/v1/mediators?category=family&region_code=3301&available_within=7")
                assert resp.status_code == 200, resp.get_data()

            med, p95 = _measure(api_directory, args.runs // 2)
            print(f"{db.engine.dialect.name} province GET /api/v1/mediators with filters: "
                  f"median {med:.2f} ms, p95 {p95:.2f} ms")
        q = directory_query(category="family", region_code="3301", available_within=7).limit(20)
        med, p95 = _measure(lambda: db.session.execute(q).scalars().all(), args.runs)
        print(f"{db.engine.dialect.name} province directory query (20 rows): median {med:.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
