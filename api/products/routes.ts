import { Hono } from 'hono';
import type { Pool } from 'mysql2/promise';
import { listProducts } from '../../stores/purchases';
import type { ApiVariables } from '../middleware/auth';

/** `/products`: the catalogue a purchase is quoted against (what `productId` may be), with stock. */
export function productRoutes(deps: { mysql: () => Pool }) {
  return new Hono<{ Variables: ApiVariables }>().get('/', async (c) => c.json({ products: await listProducts(deps.mysql()) }));
}
