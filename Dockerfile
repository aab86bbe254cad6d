# One image for the api, the worker and the CLI (the compose file picks the command).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# The V8 flags of the services (package.json start scripts; tools/bench/fleet.ts SERVICE_NODE_FLAGS says why).
ENV NODE_OPTIONS=--max-semi-space-size=64
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev
USER node
EXPOSE 3000 3001
CMD ["node", "dist/apps/api/src/main.js"]
