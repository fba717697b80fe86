"""The administrative divisions the demo and tests use, and synthetic ones at scale.

Codes follow GB/T 2260 (6-digit county level) extended to 9-digit towns and 12-digit
villages as the statistics bureau does. Zhuji (诸暨市, 330681) is the seed county.
"""

from __future__ import annotations

from sqlalchemy import select

from odr.extensions import db
from odr.organizations.models import Region

BASE_REGIONS: list[tuple[str, str, str, str | None]] = [
    ("330000", "浙江省", "province", None),
    ("330600", "绍兴市", "city", "330000"),
    ("330681", "诸暨市", "county", "330600"),
    ("330602", "越城区", "county", "330600"),
]
ZHUJI_TOWNS = ["暨阳街道", "浣东街道", "陶朱街道", "大唐街道", "次坞镇", "店口镇", "阮市镇", "江藻镇",
               "枫桥镇", "赵家镇", "马剑镇", "草塔镇", "牌头镇", "同山镇", "安华镇", "街亭镇",
               "璜山镇", "岭北镇", "陈宅镇", "王家井镇", "应店街镇", "五泄镇", "山下湖镇", "东白湖镇",
               "东和乡", "姚江镇", "浬浦镇"]
VILLAGES_PER_TOWN = 4


def town_code(i: int) -> str:
    return f"330681{i + 1:03d}"


def village_code(town: int, v: int) -> str:
    return f"{town_code(town)}{v + 1:03d}"


def ensure_regions() -> None:
    """Insert the base regions, Zhuji's towns and a few villages each, if missing."""
    have = set(db.session.execute(select(Region.code)).scalars())
    rows: list[Region] = []
    for code, name, level, parent in BASE_REGIONS:
        if code not in have:
            rows.append(Region(code=code, name=name, level=level, parent_code=parent))
    for i, town in enumerate(ZHUJI_TOWNS):
        if town_code(i) not in have:
            rows.append(Region(code=town_code(i), name=town, level="town", parent_code="330681"))
        for v in range(VILLAGES_PER_TOWN):
            if village_code(i, v) not in have:
                rows.append(Region(code=village_code(i, v), name=f"{town}第{v + 1}村", level="village",
                                   parent_code=town_code(i)))
    db.session.add_all(rows)
    db.session.flush()


def region_exists(code: str) -> bool:
    return db.session.get(Region, code) is not None
