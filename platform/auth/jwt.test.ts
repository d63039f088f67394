import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config';
import { createTokenVerifier, signToken } from './jwt';

describe('token verifier', () => {
  const config = loadConfig({ ...process.env, JWT_SECRET: 'a-test-secret-of-enough-length-123456' });
  afterEach(() => vi.useRealTimers());

  it('a token verified once is refused again once it has expired (the remembered verification ends with the token)', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-04T12:00:00Z'), toFake: ['Date'] });
    const verify = createTokenVerifier(config);
    const token = await signToken(config, 'alice', { ttlSeconds: 60 });
    expect((await verify(token)).userId).toBe('alice');
    expect((await verify(token)).userId).toBe('alice');
    vi.setSystemTime(new Date('2026-12-04T12:01:10Z')); // past expiry and the 5 s tolerance
    await expect(verify(token)).rejects.toMatchObject({ status: 401, message: 'invalid token: expired' });
  });

  it('a token differing from a verified one in any byte is verified on its own, and refused when forged', async () => {
    const verify = createTokenVerifier(config);
    const token = await signToken(config, 'alice');
    await verify(token);
    const [header, payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'bob' })).toString('base64url');
    await expect(verify(`${header}.${forgedPayload}.${signature}`)).rejects.toMatchObject({ status: 401 });
    const other = await signToken(loadConfig({ ...process.env, JWT_SECRET: 'another-secret-of-enough-length-12345' }), 'alice');
    await expect(verify(other)).rejects.toMatchObject({ status: 401, message: 'invalid token: bad signature' });
  });
});
