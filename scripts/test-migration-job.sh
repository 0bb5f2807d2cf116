#!/usr/bin/env bash
# Runs the migration Job in isolation, then verifies the tables the
# application needs (schemagate.yaml verify.tables), and cleans up after itself.
#
#   scripts/test-migration-job.sh           on the current cluster: a fresh run of the
#                                           migration Job, then a one-off verify Job;
#                                           both are deleted afterwards (--keep keeps them)
#   scripts/test-migration-job.sh --local   on a throwaway embedded PostgreSQL, deleted afterwards
#
# Exit status: 0 when the migrations applied and the schema verified, the CLI's
# exit code otherwise (see the README's exit codes), 2 on bad usage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=cluster
keep=0
for arg in "$@"; do
  case "$arg" in
    --local) mode=local ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$mode" = local ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/schemagate-job-test.XXXXXX")
  # As root, PostgreSQL runs as the postgres user, which must be able to enter the folder.
  chmod 755 "$tmp"
  cleanup() {
    # Where the data went: elsewhere when the postgres user could not reach $tmp (then delete it too).
    local data
    data=$(schemagate local status --data-dir "$tmp/pg" --json 2>/dev/null \
      | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { try { const d = JSON.parse(s).dataDir; if (typeof d === "string") console.log(d); } catch {} })' || true)
    # Only the folder schemagate makes for it: <tmp>/schemagate-<12 hex digits>/data.
    case "$data" in
      /*/schemagate-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]/data)
        rm -rf "$(dirname "$data")" ;;
    esac
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  echo "== migrating a throwaway embedded PostgreSQL (port $port)"
  schemagate up --local --fresh --data-dir "$tmp/pg" --port "$port"
  echo "== migration test passed (embedded PostgreSQL removed)"
  exit 0
fi

echo "== running the migration Job"
if [ "$keep" = 1 ]; then schemagate migrate --rerun; else schemagate migrate --rerun --cleanup; fi
echo "== verifying the schema"
schemagate verify
echo "== migration Job test passed"
