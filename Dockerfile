# The app image for docker-compose: one image, the role chosen by TIDINGS_ROLES.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production NODE_OPTIONS=--disable-warning=NodeVersionSupportWarning
CMD ["node", "--import", "tsx", "main.ts"]
