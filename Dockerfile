# syntax=docker/dockerfile:1
# partnerd: multi-stage build, Node 22, runs as the unprivileged `node` user.

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
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: only what the daemon needs -----------------------------------------------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
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
# mounted over it starts out owned by the unprivileged user.
RUN mkdir -p /var/lib/partnerd/sop && chown node:node /var/lib/partnerd/sop
USER node
# Push ingest (Benify, Actiway); see ingest.http in the config.
EXPOSE 8080
# The admin listener (/healthz, /readyz, /metrics; ADMIN_HTTP_HOST=0.0.0.0 in a container): for Prometheus, never publish it.
EXPOSE 8081
# `docker run partnerd` runs the daemon; `docker run partnerd <command>` any other CLI command
# (e.g. `orders --state in_doubt`, `simulate-brp`).
ENTRYPOINT ["node", "bin/partnerd.js"]
CMD ["run"]
