"""Classification speed: training on the whole corpus, and classifying one letter at a time once loaded.

Run: ``.venv/bin/python bench/classify_speed.py``. Targets (issue "Classification"): p95 ≤ 20 ms per letter,
training ≤ 60 s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classify.corpus import load, split  # noqa: E402
from classify.store import ModelStore  # noqa: E402
from classify.training import train  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = ModelStore(Path(tmp))
        started = time.perf_counter()
        result = train(store, [], force=True)
        train_s = time.perf_counter() - started
        load_started = time.perf_counter()
        model = store.load(result.version)
        load_s = time.perf_counter() - load_started
    _, heldout = split(load())
    texts = [r["text"] for r in heldout] * 3
    model.predict(texts[0])  # warm caches
    times = []
    for text in texts:
        t0 = time.perf_counter()
        model.predict(text)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"training on {result.trained_on} letters: {train_s:.1f} s (target <= 60 s: "
          f"{'met' if train_s <= 60 else 'NOT met'}); model load {load_s * 1000:.0f} ms")
    print(f"classify one letter ({len(times)} letters, extraction included): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"max {times[-1]:.1f} ms (target p95 <= 20 ms: {'met' if p95 <= 20 else 'NOT met'})")


if __name__ == "__main__":
    main()
