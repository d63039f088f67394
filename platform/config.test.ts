import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, ROLES } from './config';

describe('loadConfig', () => {
  it('defaults point at the local servers and run every role', () => {
    const c = loadConfig({});
    expect(c.TIDINGS_ROLES).toEqual([...ROLES]);
    expect(c.API_PORT).toBe(3000);
    expect(c.GATEWAY_PORT).toBe(3001);
    expect(c.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(c.TIDINGS_ENV).toBe('dev');
    expect(c.TEMPORAL_TASK_QUEUE).toBe('tidings-dev');
    expect(c.MYSQL_DATABASE).toBe('tidings_dev');
    expect(c.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(c.AWS_ENDPOINT).toBe('http://127.0.0.1:4566');
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.MYSQL_PORT).toBe(3306);
  });

  it('derives the task queue and database from TIDINGS_ENV unless set', () => {
    const c = loadConfig({ TIDINGS_ENV: 'test-1a2b' });
    expect(c.TEMPORAL_TASK_QUEUE).toBe('tidings-test-1a2b');
    expect(c.MYSQL_DATABASE).toBe('tidings_test_1a2b');
    expect(loadConfig({ TIDINGS_ENV: 'x', MYSQL_DATABASE: 'mine', TEMPORAL_TASK_QUEUE: 'q' })).toMatchObject({
      MYSQL_DATABASE: 'mine',
      TEMPORAL_TASK_QUEUE: 'q',
    });
    expect(() => loadConfig({ TIDINGS_ENV: 'Prod Env' })).toThrow(/TIDINGS_ENV/);
  });

  it('parses roles and broker lists from comma-separated values', () => {
    const c = loadConfig({ TIDINGS_ROLES: 'api, worker', KAFKA_BROKERS: 'a:1,b:2', API_PORT: '8080' });
    expect(c.TIDINGS_ROLES).toEqual(['api', 'worker']);
    expect(c.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(c.API_PORT).toBe(8080);
    expect(loadConfig({}).GATEWAY_LIVE_ONLY_NAMESPACES).toEqual([]);
    expect(loadConfig({ GATEWAY_LIVE_ONLY_NAMESPACES: 'typing, presence,' }).GATEWAY_LIVE_ONLY_NAMESPACES).toEqual(['typing', 'presence']);
    expect(() => loadConfig({ GATEWAY_LIVE_ONLY_NAMESPACES: 'typing,user:1' })).toThrow(/GATEWAY_LIVE_ONLY_NAMESPACES/);
  });

  it('names every malformed variable', () => {
    const attempt = () => loadConfig({ API_PORT: 'abc', TIDINGS_ROLES: 'api,spaceship' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const variables = (err as ConfigError).issues.map((i) => i.variable);
      expect(variables).toContain('API_PORT');
      expect(variables).toContain('TIDINGS_ROLES');
      expect((err as Error).message).toMatch(/API_PORT/);
    }
  });
});
