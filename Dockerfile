# Build: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npx tsc -p .

# Run: production dependencies and the compiled router only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY migrations ./migrations
COPY proto ./proto
COPY LICENSE ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
# HTTP, Envoy gRPC, syslog TCP, UDP, TLS
EXPOSE 9000 9001 9002 9003/udp 9004
STOPSIGNAL SIGTERM
# The same Node.js flags as `npm start` (package.json; README, Benchmarks).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--initial-old-space-size=64", "dist/src/main.js"]
