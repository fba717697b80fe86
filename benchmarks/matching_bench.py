"""Ranked matching for one case, and the directory query with filters, at county and
province scale (docs/benchmarks.md, "Mediator pools").

    .venv/bin/python benchmarks/matching_bench.py [--database-url URL] [--runs 200]

Builds the schema in the given database (default: a fresh SQLite file), seeds the county
pool, then the province pool, and prints median and p95 in milliseconds. The directory is
also timed with the filters written as before the ``mediator_tag`` table (JSON text LIKE,
region LIKE prefix) in the same run, so the ratio holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import gc
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


def _settle() -> None:
    """After a bulk seed, do what PostgreSQL's autovacuum does on a live server (this
    shared development server runs with autovacuum off): VACUUM ANALYZE, so the planner
    has statistics and index-only scans see a visibility map. SQLite is left as it is
    (the embedded default never runs ANALYZE)."""
    from sqlalchemy import text

    from odr.extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    # The seed leaves millions of dead objects in this process; a web worker that ranks
    # candidates has none, so collect them before timing (else gen-2 collections land in p95).
    db.session.expunge_all()
    gc.collect()


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

        print(seed_county())
        _settle()
        case = db.session.execute(select(Case).where(Case.status == "in_mediation").limit(1)).scalar_one()
        case.mediator_id = None
        db.session.commit()

        def match() -> None:
            with app.test_request_context():  # as in the admin's request (translations cached per request)
                rank_candidates(case)
            db.session.rollback()

        med, p95 = _measure(match, args.runs)
        print(f"{db.engine.dialect.name} county  ranked matching: median {med:.2f} ms, p95 {p95:.2f} ms")
        print(seed_province())
        case_id = case.id
        _settle()
        case = db.session.get(Case, case_id)  # the settle detached it
        med, p95 = _measure(match, args.runs)
        print(f"{db.engine.dialect.name} province ranked matching: median {med:.2f} ms, p95 {p95:.2f} ms")
        with app.test_client() as client:

            def api_directory() -> None:
                resp = client.get("/api/v1/mediators?category=family&region_code=3301&available_within=7")
                assert resp.status_code == 200, resp.get_data()

            med, p95 = _measure(api_directory, args.runs // 2)
            print(f"{db.engine.dialect.name} province GET /api/v1/mediators with filters: "
                  f"median {med:.2f} ms, p95 {p95:.2f} ms")
            def page() -> None:
                resp = client.get("/mediators?category=family&region=3301&within=7")
                assert resp.status_code == 200, resp.status_code

            med, p95 = _measure(page, args.runs // 2)
            print(f"{db.engine.dialect.name} province GET /mediators page with filters: "
                  f"median {med:.2f} ms, p95 {p95:.2f} ms")
        _directory(args.runs)


def _directory(runs: int) -> None:
    """The directory query (20 rows + total) as it is and as it was (JSON LIKE)."""
    from sqlalchemy import String, cast, func, select

    from odr.extensions import db
    from odr.mediators.directory import directory_query
    from odr.mediators.models import MediatorProfile

    def run(q: Any) -> None:
        db.session.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar_one()
        db.session.execute(q.limit(20)).scalars().all()

    name = db.engine.dialect.name
    for label, kw in (("category+region+within", {"category": "family", "region_code": "3301", "available_within": 7}),
                      ("category+language", {"category": "labour", "language": "诸暨话"})):
        new_q = directory_query(**kw)
        old_q = directory_query(available_within=kw.get("available_within"))
        old_q = old_q.where(cast(MediatorProfile.specialties, String).like(f'%"{kw["category"]}"%'))
        if kw.get("region_code"):
            old_q = old_q.where(MediatorProfile.region_code.startswith(kw["region_code"]))
        if kw.get("language"):
            old_q = old_q.where(cast(MediatorProfile.languages, String).like(f'%"{kw["language"]}"%'))
        med_new, p95_new = _measure(lambda q=new_q: run(q), runs)
        med_old, p95_old = _measure(lambda q=old_q: run(q), runs)
        print(f"{name} province directory query {label} (count + 20 rows): tags median {med_new:.2f} ms, "
              f"p95 {p95_new:.2f} ms; JSON LIKE median {med_old:.2f} ms, p95 {p95_old:.2f} ms; "
              f"ratio {med_old / med_new:.1f}x")


if __name__ == "__main__":
    main()
