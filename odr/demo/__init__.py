"""Demo data: the one-command start's small set and the county/province pools.

``seed_base_demo()`` (a few seconds) is what the embedded default seeds on first start;
``seed_county()`` and ``seed_province()`` build the realistic and the benchmark pools
with bulk inserts. Each is idempotent: a second run finds its marker and does nothing.
"""

from odr.demo.base import seed_base_demo
from odr.demo.pool import seed_county, seed_province

__all__ = ["seed_base_demo", "seed_county", "seed_province"]
