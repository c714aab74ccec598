#!/usr/bin/env bash
# Mutation testing of src/microcred/verification.py with mutmut (`make mutation`, never part of
# `make test`). Runs in a throw-away copy (MUTATION_DIR, default a folder under /tmp) so that
# mutmut's `mutants/` tree never appears in the checkout; the configuration is [tool.mutmut] in
# pyproject.toml. Prints every mutant not killed and the score (killed / total); the survivors
# are explained in docs/mutation.md.
#   MUTATION_JOBS     mutants tested at once (default: the number of CPUs)
#   MUTATION_SRC_REV, MUTATION_TESTS_REV  take src/ (tests/) from this git revision instead of the
#                     work tree: to measure a commit while others edit the work tree
# Not under .cache/: Ape never compiles or loads contracts from a path with .cache in it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${MUTATION_DIR:-${TMPDIR:-/tmp}/microcred-mutation}"
BIN="$ROOT/.venv/bin"
JOBS="${MUTATION_JOBS:-$(nproc)}"
export SOLCX_BINARY_PATH="$ROOT/tools/solc" PATH="$BIN:$ROOT/node_modules/.bin:$PATH"

rm -rf "$WORK"
mkdir -p "$WORK"
# What the selected tests need: the sources, the tests, the Ape project (config, contracts and the
# compiled artifacts the chain fixtures deploy from).
cp -r "$ROOT/contracts" "$ROOT/.build" "$ROOT/pyproject.toml" "$ROOT/ape-config.yaml" "$WORK/"
for tree in src tests; do
  rev_var="MUTATION_$(tr '[:lower:]' '[:upper:]' <<<"$tree")_REV"
  if [[ -n "${!rev_var:-}" ]]; then
    git -C "$ROOT" archive "${!rev_var}" "$tree" | tar -x -C "$WORK"
  else
    cp -r "$ROOT/$tree" "$WORK/"
  fi
done
find "$WORK" -name __pycache__ -prune -exec rm -rf {} +
cd "$WORK"
started=$(date +%s)
"$BIN/mutmut" run --max-children "$JOBS" >"$WORK/run.log" 2>&1 || {
  tail -40 "$WORK/run.log"
  exit 1
}
"$BIN/mutmut" results --all true >"$WORK/results.txt" 2>&1 || true
"$BIN/python" "$ROOT/tools/mutation_score.py" "$WORK/results.txt" "$(( $(date +%s) - started ))"
