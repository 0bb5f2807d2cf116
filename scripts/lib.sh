# Shared by the scripts: how to run the schemagate CLI of this checkout.
# SCHEMAGATE overrides it (e.g. SCHEMAGATE=schemagate for an installed one).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

schemagate() {
  if [ -n "${SCHEMAGATE:-}" ]; then
    # shellcheck disable=SC2086
    $SCHEMAGATE "$@"
  elif [ -f "$repo_root/dist/src/cli.js" ]; then
    node "$repo_root/dist/src/cli.js" "$@"
  else
    echo "error: the schemagate CLI is not built: run \`npm ci && npm run build\` in $repo_root (or set SCHEMAGATE)" >&2
    return 2
  fi
}
