"""The score of a mutmut run: killed / total, and every mutant that was not killed.

Usage: ``python tools/mutation_score.py RESULTS_FILE [SECONDS]`` where RESULTS_FILE holds the
output of ``mutmut results --all true`` (one ``name: status`` line per mutant)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def main(results: Path, seconds: str | None) -> int:
    statuses: dict[str, str] = {}
    for line in results.read_text().splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            statuses[name] = status.strip()
    if not statuses:
        print(f"No mutant results in {results}:\n{results.read_text()[-2000:]}")
        return 1
    counts = Counter(statuses.values())
    for name, status in sorted(statuses.items()):
        if status != "killed":
            print(f"{status:>10}  {name}")
    killed, total = counts["killed"], len(statuses)
    took = f" in {int(seconds) // 60} min {int(seconds) % 60} s" if seconds else ""
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print(f"mutation score: {killed}/{total} killed ({100 * killed / total:.1f}%){took}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None))
