"""Stats room: dashboards and exports (reads only)."""
