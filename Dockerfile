# The app image for docker-compose: one image, the role chosen by TIDINGS_ROLES.
# Node 24 LTS, the major scripts/ensure-node.sh runs locally when the system Node is older than 22.
ARG NODE_MAJOR=24
FROM node:${NODE_MAJOR}-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
CMD ["node", "--import", "tsx", "main.ts"]
