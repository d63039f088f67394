import { Hono } from 'hono';
import type { Context } from '../../runtime/context';
import { listProducts } from '../../stores/purchases';
import type { ApiVariables } from '../middleware/auth';

/** `/products`: the catalogue a purchase is quoted against (what `productId` may be), with stock. */
export function productRoutes(ctx: Pick<Context, 'mysql'>) {
  return new Hono<{ Variables: ApiVariables }>().get('/', async (c) => c.json({ products: await listProducts(ctx.mysql()) }));
}
