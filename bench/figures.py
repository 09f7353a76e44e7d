"""Shared by the benchmark scripts: percentiles of a list of timings, the five-year clinic they measure."""

import statistics
from datetime import date
from pathlib import Path


def build_five_year_clinic(path: Path) -> Path:
    """The five-year demo clinic docs/performance.md is measured on (same seed), built at `path`."""
    from console.demo.builder import build_demo
    from console.store.database import sqlite_url

    build_demo(sqlite_url(path), today=date.today(), years=5, seed=7)
    return path


def percentiles(timings_ms: list[float]) -> dict[str, float]:
    ordered = sorted(timings_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }
