import type { Pool } from 'mysql2/promise';
import { describe, expect, it, vi } from 'vitest';
import { asUser } from '../../test/support/routes';
import { productRoutes } from './routes';

// In process with a stubbed pool; test/purchases.e2e.test.ts reads the real catalogue.
describe('/products in process', () => {
  it('lists the catalogue with stock, numbers as numbers', async () => {
    const row = {
      product_id: 'phone-x',
      name: 'Phone X',
      price_cents: '129900',
      currency: 'BRL',
      max_installments: 12,
      monthly_rate_bp: 199,
      min_amount_cents: 1000,
      max_amount_cents: 10000000,
      stock: '7',
    };
    const query = vi.fn(() => Promise.resolve([[row], []]));
    const res = await asUser(productRoutes({ mysql: () => ({ query }) as unknown as Pool })).request('/');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      products: [
        {
          productId: 'phone-x',
          name: 'Phone X',
          priceCents: 129900,
          currency: 'BRL',
          maxInstallments: 12,
          monthlyRateBp: 199,
          minAmountCents: 1000,
          maxAmountCents: 10000000,
          stock: 7,
        },
      ],
    });
    expect(query).toHaveBeenCalledTimes(1);
  });

  it('has no other method on the collection', async () => {
    const query = vi.fn();
    const res = await asUser(productRoutes({ mysql: () => ({ query }) as unknown as Pool })).request('/', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(query).not.toHaveBeenCalled();
  });
});
