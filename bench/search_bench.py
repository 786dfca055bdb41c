#!/usr/bin/env python3
"""Summarises hey's per-request CSV files (hey -o csv), called by bench/search.sh. Stdlib only.

  search_bench.py NAME FILE [NAME FILE ...]

Prints one row per NAME (requests, errors, achieved rate, p50 / p90 / p99 / max in ms) and a
last row over every request of every file.
"""
import csv
import sys


def percentile(sorted_ms, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_ms:
        return float("nan")
    rank = max(1, -(-len(sorted_ms) * p // 100))
    return sorted_ms[int(rank) - 1]


def read(path):
    """(response times in ms, non-200 count, seconds spanned) of one hey CSV file."""
    times, errors, last_offset = [], 0, 0.0
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            times.append(float(row["response-time"]) * 1000)
            if row["status-code"] != "200":
                errors += 1
            last_offset = max(last_offset, float(row["offset"]))
    return times, errors, last_offset


def line(name, times, errors, span):
    times = sorted(times)
    rate = len(times) / span if span else float("nan")
    return (
        f"| {name} | {len(times)} | {errors} | {rate:.0f} | {percentile(times, 50):.1f} | "
        f"{percentile(times, 90):.1f} | {percentile(times, 99):.1f} | {times[-1] if times else 0:.1f} |"
    )


def main(argv):
    pairs = list(zip(argv[0::2], argv[1::2]))
    print("| query | requests | errors | req/s | p50 | p90 | p99 | max |")
    print("|---|---|---|---|---|---|---|---|")
    every, every_errors = [], 0
    for name, path in pairs:
        times, errors, span = read(path)
        print(line(name, times, errors, span))
        every += times
        every_errors += errors
    print(line("**all queries**", every, every_errors, 0).replace("| nan |", "| |"))


if __name__ == "__main__":
    main(sys.argv[1:])
