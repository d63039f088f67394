import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../test/support/context';

// The rule that keeps workflow code deterministic must actually fire.
describe('lint: no I/O in workflows/', () => {
  // The project's own config, minus type-aware parsing: the probe files below exist only in memory.
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
    },
  });
  const lint = async (code: string, file: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    const messages = result?.messages ?? [];
    expect(messages.filter((m) => m.fatal)).toEqual([]);
    return messages.filter((m) => m.ruleId === 'no-restricted-imports');
  };

  it.each([
    ["import { Kafka } from 'kafkajs';", 'kafkajs'],
    ["import { Redis } from 'ioredis';", 'ioredis'],
    ["import mysql from 'mysql2/promise';", 'mysql2'],
    ["import { SNSClient } from '@aws-sdk/client-sns';", 'aws-sdk'],
    ["import { readFile } from 'node:fs/promises';", 'node:'],
    ["import { randomUUID } from 'crypto';", 'crypto'],
    ["import { createActivities } from '../activities';", 'activities'],
  ])('rejects %s inside workflows/', async (code) => {
    expect(await lint(`${code}\nexport const x = 1;\n`, 'workflows/probe.ts')).toHaveLength(1);
  });

  it('allows type-only imports of activities and the same imports outside workflows/', async () => {
    expect(await lint("import type { PingActivities } from '../activities/ping';\nexport type X = PingActivities;\n", 'workflows/probe.ts')).toHaveLength(0);
    expect(await lint("import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n", 'activities/probe.ts')).toHaveLength(0);
  });
});
