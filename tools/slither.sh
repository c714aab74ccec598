#!/usr/bin/env bash
# Static analysis of the contracts with Slither, compiled by the project's own solc 0.8.28 (solc-js
# through tools/solc/solc-v0.8.28: native solc cannot be downloaded here).
#
#   tools/slither.sh [extra slither flags]
#
# Slither lives in its own venv (.venv-slither, created here when missing or on another version):
# its dependencies (web3 7, ...) must not move the pins of the project's .venv.
#
# It analyses contracts/*.sol (IssuerRegistry.sol and Credential.sol, with what they import) in one
# standard-JSON compilation; findings in node_modules (OpenZeppelin) and contracts/bench are left out.
# Every finding is looked up in the "triage" list of slither.config.json (check + the element it is
# about + optionally a piece of its text, so line moves do not matter) with the reason it is accepted.
# Exit status: 0 when every High/Medium finding is triaged (untriaged Low/Informational ones are
# printed as warnings), 1 when one is not, 2 when Slither itself could not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SLITHER_VERSION=0.11.6
CRYTIC_COMPILE_VERSION=0.4.2
VENV="${SLITHER_VENV:-$ROOT/.venv-slither}"
CONFIG="${SLITHER_CONFIG:-$ROOT/slither.config.json}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

for needed in node_modules/solc node_modules/@openzeppelin/contracts; do
  if [[ ! -d "$needed" ]]; then
    echo "slither.sh: $needed is missing: run \`make install\` (npm ci) first." >&2
    exit 2
  fi
done

installed="$("$VENV/bin/slither" --version 2>/dev/null || true)"
if [[ "$installed" != "$SLITHER_VERSION" ]]; then
  echo "slither.sh: installing slither-analyzer $SLITHER_VERSION into $VENV" >&2
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q \
    "slither-analyzer==$SLITHER_VERSION" "crytic-compile==$CRYTIC_COMPILE_VERSION"
fi

# Keep the venv out of git without touching the project's .gitignore.
[[ -f "$VENV/.gitignore" ]] || echo '*' >"$VENV/.gitignore"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Slither is given the config without the "triage" key (which it does not know and would echo).
"$VENV/bin/python" - "$CONFIG" "$work/slither.json" <<'EOF' || exit 2
import json, sys
config = json.load(open(sys.argv[1]))
config.pop("triage", None)
json.dump(config, open(sys.argv[2], "w"))
EOF

start=$SECONDS
set +e
"$VENV/bin/slither" contracts --config-file "$work/slither.json" --fail-none \
  --json "$work/results.json" "$@" >"$VENV/last-run.log" 2>&1
status=$?
set -e
elapsed=$((SECONDS - start))

if [[ $status -ne 0 || ! -s "$work/results.json" ]]; then
  cat "$VENV/last-run.log" >&2
  echo "slither.sh: slither failed (exit $status)." >&2
  exit 2
fi

echo "Slither's own output (and that of any extra flags): $VENV/last-run.log"
"$VENV/bin/python" - "$CONFIG" "$work/results.json" "$elapsed" <<'EOF'
import json, sys

config = json.load(open(sys.argv[1]))
output = json.load(open(sys.argv[2]))
elapsed = sys.argv[3]
if not output.get("success"):
    print(f"slither.sh: slither reported an error: {output.get('error')}", file=sys.stderr)
    sys.exit(2)

triage = config.get("triage", [])
for entry in triage:
    missing = {"check", "where", "reason"} - entry.keys()
    if missing or not entry["reason"].strip():
        print(f"slither.sh: triage entry {entry} needs check, where and a reason.", file=sys.stderr)
        sys.exit(2)


def matches(entry, finding):
    description = finding["description"]
    return (
        entry["check"] == finding["check"]
        and description.startswith(entry["where"] + " (")
        and entry.get("contains", "") in description
    )


findings = output.get("results", {}).get("detectors", [])
used = set()
untriaged = []
for finding in findings:
    hits = [i for i, entry in enumerate(triage) if matches(entry, finding)]
    used.update(hits)
    head = finding["description"].splitlines()[0]
    tag = f'{finding["impact"]}/{finding["confidence"]}'
    if hits:
        print(f'  triaged  {finding["check"]:<20} {tag:<18} {head}')
        print(f'           reason: {triage[hits[0]]["reason"]}')
    else:
        untriaged.append(finding)

failing = [f for f in untriaged if f["impact"] in ("High", "Medium")]
for finding in untriaged:
    level = "ERROR" if finding in failing else "warning"
    print(f'{level}: untriaged {finding["check"]} ({finding["impact"]}/{finding["confidence"]}): '
          f'{finding["description"].rstrip()}\n  see {finding.get("reference", "")}')
for i, entry in enumerate(triage):
    if i not in used:
        print(f'warning: stale triage entry (no such finding any more): {entry["check"]} at {entry["where"]}')

print(f"slither: {len(findings)} finding(s), {len(findings) - len(untriaged)} triaged, "
      f"{len(untriaged)} untriaged ({len(failing)} High/Medium) in {elapsed}s")
sys.exit(1 if failing else 0)
EOF
