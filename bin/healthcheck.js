#!/usr/bin/env node
// The container's health check (the image's HEALTHCHECK and compose's healthcheck): asks the admin
// listener's /readyz from inside the container and exits 0 when partnerd is ready, 1 otherwise,
// printing why (docker inspect shows it under .State.Health). A node script because the slim
// image has no curl. Usage: healthcheck.js [url]; default http://127.0.0.1:$ADMIN_HTTP_PORT/readyz.
const host = process.env.ADMIN_HTTP_HOST && !['0.0.0.0', '::'].includes(process.env.ADMIN_HTTP_HOST) ? process.env.ADMIN_HTTP_HOST : '127.0.0.1';
const url = process.argv[2] ?? `http://${host.includes(':') ? `[${host}]` : host}:${process.env.ADMIN_HTTP_PORT || 8081}/readyz`;

fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  async (res) => {
    const body = (await res.text()).slice(0, 500);
    console.log(`${res.status} ${body}`);
    process.exit(res.ok ? 0 : 1);
  },
  (err) => {
    console.log(`${url}: ${err.cause?.code ?? err.name}: ${err.cause?.message ?? err.message}`);
    process.exit(1);
  },
);
