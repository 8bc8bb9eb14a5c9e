"""Operations that cross the apps: health now; retention, sweeps and reconciliation of runs as they land.

Each app keeps its own repair and purge services; ops only orchestrates them (docs/architecture.md).
"""
