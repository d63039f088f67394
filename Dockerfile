# The app image for docker-compose: one image, the role chosen by TIDINGS_ROLES.
# Node 24 LTS, the major scripts/ensure-node.sh runs locally when the system Node is older than 22.
ARG NODE_MAJOR=24
FROM node:${NODE_MAJOR}-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# kafkajs arms a negative timer, which Node >= 23 warns about (scripts/ensure-deps.sh, docs/kafka-client.md).
ENV NODE_ENV=production NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
CMD ["node", "--import", "tsx", "main.ts"]
