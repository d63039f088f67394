import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { prettyLogs } from './logger';

describe('log format', () => {
  it('is pretty on a development terminal only, JSON otherwise; LOG_PRETTY decides when set', () => {
    expect(prettyLogs(loadConfig({}), true)).toBe(true);
    expect(prettyLogs(loadConfig({}), false)).toBe(false);
    expect(prettyLogs(loadConfig({ NODE_ENV: 'test' }), true)).toBe(false);
    expect(prettyLogs(loadConfig({ LOG_PRETTY: 'false' }), true)).toBe(false);
    expect(prettyLogs(loadConfig({ LOG_PRETTY: 'true' }), false)).toBe(true);
  });
});
