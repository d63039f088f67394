import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envExample } from '../scripts/env-example';
import { configFields } from './config';

describe('.env.example', () => {
  it('lists every setting of the typed config with its default, as generated', () => {
    const file = readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '../.env.example'), 'utf8');
    expect(file).toBe(envExample());
    for (const name of Object.keys(configFields.shape)) expect(file).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
