import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createChannelAuthorization, DEFAULT_AUTHORIZERS } from '../gateway/authorize';
import { ledgerChannelAuthorizer } from './ledger';
import { CHANNEL_NAMESPACES, conversationChannel, ledgerChannel, parseChannel, userChannel } from './channels';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

describe('channel names', () => {
  it('are <namespace>:<id>, and parse back', () => {
    expect(userChannel('alice')).toBe('user:alice');
    expect(conversationChannel('c-1')).toBe('conversation:c-1');
    expect(ledgerChannel('m-1')).toBe('ledger:m-1');
    expect(parseChannel(ledgerChannel('m:1'))).toEqual({ namespace: CHANNEL_NAMESPACES.ledger, id: 'm:1' });
  });

  it('are authorized by the namespace they are built with', async () => {
    const authorize = createChannelAuthorization({ ...DEFAULT_AUTHORIZERS, [CHANNEL_NAMESPACES.ledger]: ledgerChannelAuthorizer });
    expect(await authorize('alice', userChannel('alice'))).toEqual({ ok: true });
    expect(await authorize('alice', userChannel('bob'))).toEqual({ ok: false, code: 'forbidden' });
    expect(await authorize('m-1', ledgerChannel('m-1'))).toEqual({ ok: true });
    expect(await authorize('m-2', ledgerChannel('m-1'))).toEqual({ ok: false, code: 'forbidden' });
  });
});

// Files that still spell a channel by hand, owned by others and moved over by them: the web app's
// pages and its browser tests.
const NOT_YET = new Set<string>();
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.infra', '.data', '.git']);

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = dir ? `${dir}/${d.name}` : d.name;
    if (d.isDirectory()) return SKIPPED_DIRS.has(d.name) || d.name.startsWith('.') ? [] : sourceFiles(rel);
    return /\.(ts|mts)$/.test(d.name) ? [rel] : [];
  });
}

describe('channel names are spelled once (contracts/channels.ts)', () => {
  it('no other source file builds one from its namespace by hand', () => {
    const handmade = new RegExp('`(' + Object.values(CHANNEL_NAMESPACES).join('|') + '):\\$\\{');
    const offenders = sourceFiles('').filter((f) => !NOT_YET.has(f) && handmade.test(readFileSync(path.join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
