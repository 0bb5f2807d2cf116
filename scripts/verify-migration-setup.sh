#!/usr/bin/env bash
# Checks that this machine and this project are ready for the schemagate dev
# loop, one line per check, then a summary. Changes nothing.
#
#   scripts/verify-migration-setup.sh            tools, project, and the cluster when one is reachable
#   scripts/verify-migration-setup.sh --local    only what `schemagate up --local` needs (Node.js)
#   scripts/verify-migration-setup.sh --no-cluster   skip the cluster checks
#
# Exit status: 0 when every check passed, 1 when one failed, 2 on bad usage.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

local_only=0
cluster=auto
for arg in "$@"; do
  case "$arg" in
    --local) local_only=1 ;;
    --no-cluster) cluster=no ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

passed=0
failed=0
report() { # status name detail [hint]
  if [ "$1" = ok ]; then passed=$((passed + 1)); printf 'ok    %-12s %s\n' "$2" "$3"
  else failed=$((failed + 1)); printf 'FAIL  %-12s %s\n' "$2" "$3"; [ -n "${4:-}" ] && printf '      %-12s %s\n' "" "$4"
  fi
  return 0
}

# Tools: name, how to get its version, how to install it.
tool() {
  local name=$1 version_cmd=$2 hint=$3
  if command -v "$name" >/dev/null 2>&1; then
    report ok "$name" "$(eval "$version_cmd" 2>/dev/null | head -n 1)"
  else
    report fail "$name" "not found on PATH" "install: $hint"
  fi
}

if command -v node >/dev/null 2>&1; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -ge 20 ]; then report ok node "$(node --version)"
  else report fail node "$(node --version) is too old" "schemagate needs Node.js 20 or newer: https://nodejs.org/en/download"
  fi
else
  report fail node "not found on PATH" "install Node.js 20 or newer: https://nodejs.org/en/download"
fi
if [ "$local_only" = 0 ]; then
  tool docker 'docker --version' 'https://docs.docker.com/get-docker/ (Docker Desktop, or the engine on Linux)'
  # The client alone is not enough: kind and Tilt need a running engine.
  if command -v docker >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
    report fail docker-engine "the docker client cannot reach an engine" "start Docker Desktop (or: sudo systemctl start docker), then run this again"
  fi
  tool kind 'kind version' 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation (e.g. go install sigs.k8s.io/kind@v0.25.0)'
  tool kubectl 'kubectl version --client' 'https://kubernetes.io/docs/tasks/tools/#kubectl'
  tool tilt 'tilt version' 'https://docs.tilt.dev/install.html (0.36 or newer)'
fi

# The project: configuration, migrations, seeds, the lint gate (Squawk over
# the migrations after lint.since), manifests; and the cluster, when there is one.
args=(check)
if [ "$local_only" = 0 ] && [ "$cluster" = auto ]; then
  if [ -n "${KUBECONFIG:-}" ] || [ -f "$HOME/.kube/config" ]; then args+=(--cluster)
  else printf 'skip  %-12s %s\n' cluster 'no kubeconfig (KUBECONFIG or ~/.kube/config): cluster checks skipped'
  fi
fi
out=$(schemagate "${args[@]}" 2>&1)
status=$?
while IFS= read -r line; do
  case "$line" in
    "ok  "*) passed=$((passed + 1)); echo "$line" ;;
    FAIL*) failed=$((failed + 1)); echo "$line" ;;
    *" checks passed"|*" checks failed") ;;
    *) echo "$line" ;;
  esac
done <<< "$out"
if [ "$status" -ne 0 ] && ! grep -q '^FAIL' <<< "$out"; then
  report fail schemagate "the check itself failed (exit $status)"
fi

echo
if [ "$failed" -eq 0 ]; then
  echo "all $passed checks passed"
  exit 0
fi
echo "$failed of $((passed + failed)) checks failed"
exit 1
