import { describe, expect, it } from 'vitest';
import { createChannelAuthorization, DEFAULT_AUTHORIZERS } from '../gateway/authorize';
import { ledgerChannel } from './channels';
import { ledgerChannelAuthorizer } from './ledger';

describe('ledger channel', () => {
  it("is readable by its merchant only: another user's subscribe is forbidden", async () => {
    const authorize = createChannelAuthorization({ ...DEFAULT_AUTHORIZERS, ledger: ledgerChannelAuthorizer });
    expect(await authorize('merchant-a', ledgerChannel('merchant-a'))).toEqual({ ok: true });
    expect(await authorize('merchant-b', ledgerChannel('merchant-a'))).toEqual({ ok: false, code: 'forbidden' });
  });
});
