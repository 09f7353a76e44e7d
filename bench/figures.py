"""Shared by the benchmark scripts: percentiles of a list of timings."""

import statistics


def percentiles(timings_ms: list[float]) -> dict[str, float]:
    ordered = sorted(timings_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
    }
