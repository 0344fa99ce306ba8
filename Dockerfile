# syntax=docker/dockerfile:1
# partnerd: multi-stage build, Node 22, runs as the unprivileged `node` user.
# Tested for real by `npm run test:container` (test/container/): build, non-root, health, an order
# end to end, SIGTERM, `submit -` from stdin, and what this image adds on top of its base (≤ 50 MB).

# ---- build: compile TypeScript and the native libxmljs2 addon --------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
# node-gyp needs these to build libxmljs2 (no prebuilt binaries are downloaded).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/prune-runtime.mjs ./scripts/
# Then what only installing needs: libxmljs2's build tools (node-gyp, prebuild-install and what only
# they pull in, about 8 MB) and sodium-native's prebuilt addons for the other 12 platforms (16 MB).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node scripts/prune-runtime.mjs
# What the runtime never reads (about 40 of node_modules' 81 MB): source maps, TypeScript sources and
# declarations, package docs (licences stay), and libxmljs2's C/C++ sources and object files
# (only build/Release/xmljs.node is loaded, through `bindings`). Then prove the addons still load
# and every dependency in package.json still imports.
RUN find node_modules -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
      -o \( -iname '*.md' ! -iname 'licen[cs]e*' \) \) -delete \
 && rm -rf node_modules/libxmljs2/vendor node_modules/libxmljs2/src \
      node_modules/libxmljs2/build/Release/obj.target node_modules/libxmljs2/build/Release/.deps \
 && node -e "require('libxmljs2').parseXml('<ok/>'); require('sodium-native').randombytes_random()" \
 && node --input-type=module -e "import fs from 'node:fs'; for (const d of Object.keys(JSON.parse(fs.readFileSync('package.json', 'utf8')).dependencies)) await import(d)"

# ---- runtime: only what the daemon needs -----------------------------------------------------
FROM node:22-bookworm-slim AS runtime
# The old generation is capped at 128 MB: the daemon's live heap is about 45 MB even while it
# drains a backlog of 100,000 orders, but V8 sized to the host lets garbage pile up to 150 MB and
# more before it collects (a 250 MiB RSS budget was exceeded that way, see docs/performance.md).
# Exports and listings stream, so no command needs more. Override NODE_OPTIONS to change it.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=128 \
    PARTNERD_CONFIG=/app/config/partnerd.yaml
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root xsd ./xsd
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root views ./views
COPY --chown=root:root config ./config
# The code is owned by root and read-only for the process. The only place it writes is the S&P
# folder (inbox scan, archive, rejected, receipts): a volume, created here so that a named volume
# mounted over it starts out owned by the unprivileged user. `partnerd` on the PATH is the CLI, for
# `docker compose exec partnerd partnerd status`.
RUN mkdir -p /var/lib/partnerd/sop && chown node:node /var/lib/partnerd/sop \
 && ln -s /app/bin/partnerd.js /usr/local/bin/partnerd
USER node
# Push ingest (Benify, Actiway); see ingest.http in the config.
EXPOSE 8080
# The admin listener (/healthz, /readyz, /metrics) stays on the container's loopback unless
# ADMIN_HTTP_HOST says otherwise (compose sets 0.0.0.0 for Prometheus); never publish it.
# The health check runs inside the container: /readyz (PostgreSQL, Redis, workers, not stopping).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/app/bin/healthcheck.js"]
# `docker run partnerd` runs the daemon; `docker run partnerd <command>` any other CLI command
# (e.g. `orders --state in_doubt`, `simulate-brp`, `submit -` with `-i` and the orders on stdin).
ENTRYPOINT ["node", "bin/partnerd.js"]
CMD ["run"]
