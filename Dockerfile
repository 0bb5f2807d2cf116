# syntax=docker/dockerfile:1
# One image for everything schemagate runs in a cluster: the migration, seed
# and reset Jobs (`db migrate`, `db seed`, `db reset --yes`), the backend's
# init containers (`db wait`, `db verify`) and the sample backend (`backend`).
# The manifests give only `args`; the ENTRYPOINT is the schemagate CLI.
#
#   docker build -t schemagate:dev .      (Tilt builds it from the Tiltfile)
#
# Node 22 (LTS). For reproducible release builds, pin the base by digest:
#   FROM node:22-bookworm-slim@sha256:<digest>

# --- build: compile the TypeScript (needs the dev dependencies) -------------
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts are not needed to compile (they restore the embedded PostgreSQL's
# binaries, which no pod uses); its types are still installed for tsc.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts/bundle-cli.mjs ./scripts/
# Only src/: tsconfig.json also includes bench/ and test/support/, which the image does not ship.
# Then the CLI is bundled as `npm run build` bundles it (one CommonJS file, dist/src/chunks/cli.cjs, with
# pg and yaml beside it, loaded by dist/src/cli.js): a pod's `db migrate` or `db verify` with nothing to do
# starts in about half the time.
RUN printf '{"extends":"./tsconfig.json","compilerOptions":{"declaration":false,"sourceMap":false},"include":["src/**/*.ts"]}' > tsconfig.image.json \
 && npx tsc -p tsconfig.image.json \
 && npm run --silent bundle:cli \
 && npm run --silent bundle:yaml

# --- runtime: production dependencies and the compiled CLI ------------------
FROM node:22-bookworm-slim AS runtime
# Pods run with a read-only root file system. Nothing here writes at runtime;
# HOME points at /tmp so that anything looking for a home finds a place that
# is writable when the pod mounts an emptyDir there (the manifests need none).
ENV NODE_ENV=production HOME=/tmp NO_UPDATE_NOTIFIER=1
WORKDIR /app
COPY package.json package-lock.json ./
# embedded-postgres and squawk-cli are optional dependencies, for `--local`
# and `schemagate lint` on a laptop or in CI: pods reach PostgreSQL over the
# network and never lint, so both are left out (~60 MB and ~25 MB).
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY schemagate.yaml ./
COPY migrations ./migrations
COPY seeds ./seeds
COPY k8s ./k8s
# uid/gid 1000 (the image's `node` user), numeric so that `runAsNonRoot` can
# verify it; k8s/*.yaml run as 1000 too. Files stay root-owned and read-only.
USER 1000:1000
# The CLI handles SIGTERM itself (cancel, roll back, release the lock; the
# backend drains its requests), so it can run as PID 1 without an init.
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["--help"]
