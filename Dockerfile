# syntax=docker/dockerfile:1
# Multi-stage build: compile with dev dependencies, run with production ones only, as non-root.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
# The ingest log (STORAGE=disk, the default): a volume, so it outlives the container.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
COPY --from=build --chown=node:node /app/package.json /app/openapi.yaml ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/web/dist ./web/dist
USER node
# 4317: OTLP/gRPC (OTLP_GRPC_PORT).
EXPOSE 8080 4317
# Node 20 has fetch built in, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec form: the process gets SIGTERM directly and shuts down gracefully.
# --max-semi-space-size: as npm start (src/node-flags.ts says why).
CMD ["node", "--max-semi-space-size=32", "dist/src/main.js"]
