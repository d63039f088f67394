import { createRoute } from '@hono/zod-openapi';
import type { Pool } from 'mysql2/promise';
import { listProducts } from '../../stores/purchases';
import { documentedRoutes, success } from '../openapi/define';

const list = createRoute({
  method: 'get',
  path: '/',
  tags: ['purchases'],
  summary: 'The catalogue a purchase may name, with stock',
  responses: { 200: success('products') },
});

/** `/products`: the catalogue a purchase is quoted against (what `productId` may be), with stock. */
export function productRoutes(deps: { mysql: () => Pool }) {
  const app = documentedRoutes();
  app.openapi(list, async (c) => c.json({ products: await listProducts(deps.mysql()) }, 200));
  return app;
}
