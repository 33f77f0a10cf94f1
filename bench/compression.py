"""Size and CPU time of Brotli and gzip levels on the shop's pages, to choose COMPRESS_* levels."""

from __future__ import annotations

import argparse
import gzip
import time
import urllib.request

import brotli

PAGES = ("/", "/products", "/kits/microneedling-recovery-kit", "/kit-finder")
LEVELS = [("br", q) for q in (1, 3, 4, 5, 6, 9, 11)] + [("gzip", n) for n in (1, 4, 6, 9)]


def compress(body: bytes, algorithm: str, level: int) -> bytes:
    """Compress as Flask-Compress does for that algorithm and level."""
    if algorithm == "br":
        return brotli.compress(body, quality=level, lgwin=22)
    return gzip.compress(body, level)


def main() -> None:
    """Fetch each page uncompressed, then time every level on it (median of `--repeat`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    bodies = {}
    for path in PAGES:
        with urllib.request.urlopen(args.base_url.rstrip("/") + path) as response:
            bodies[path] = response.read()
    print(f"{'page':34} {'bytes':>7}  " + "  ".join(f"{a} {n:>2}".rjust(13) for a, n in LEVELS))
    for path, body in bodies.items():
        cells = []
        for algorithm, level in LEVELS:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                size = len(compress(body, algorithm, level))
                times.append(time.perf_counter() - start)
            median_ms = sorted(times)[len(times) // 2] * 1000
            cells.append(f"{size:>6} {median_ms:5.2f}ms")
        print(f"{path:34} {len(body):>7}  " + "  ".join(cells))


if __name__ == "__main__":
    main()
