import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('defaults to standalone mode with an embedded database in ./data', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('standalone');
    expect(config.database.embedded).toBe(true);
    expect(config.database.url).toBeNull();
    expect(config.database.dataDir.endsWith('/data')).toBe(true);
    expect(config.api.port).toBe(3000);
    expect(config.fetch.allowPrivate).toBe(false);
  });

  it('is fleet mode when DATABASE_URL and REDIS_URL are set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/x', REDIS_URL: 'redis://cache:6379' });
    expect(config.mode).toBe('fleet');
    expect(config.database.embedded).toBe(false);
    expect(config.redis.url).toBe('redis://cache:6379');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', REDIS_URL: '' }).mode).toBe('standalone');
  });

  it("keeps 256 MB of the last polls' items unless FEED_MEMO_MAX_MB says otherwise (0 = none)", () => {
    expect(loadConfig({}).worker.memoMaxBytes).toBe(256 * 1024 * 1024);
    expect(loadConfig({ FEED_MEMO_MAX_MB: '0' }).worker.memoMaxBytes).toBe(0);
    expect(() => loadConfig({ FEED_MEMO_MAX_MB: '-1' })).toThrow(/FEED_MEMO_MAX_MB/);
  });

  it('reads EMBEDDED_POSTGRES_SETTINGS as name=value pairs, refusing anything that could smuggle more', () => {
    expect(loadConfig({}).database.embeddedSettings).toEqual({});
    expect(
      loadConfig({
        EMBEDDED_POSTGRES_SETTINGS: 'shared_buffers=512MB, max_wal_size=4GB,auto_explain.log_min_duration=250',
      }).database.embeddedSettings,
    ).toEqual({ shared_buffers: '512MB', max_wal_size: '4GB', 'auto_explain.log_min_duration': '250' });
    for (const bad of ['shared_buffers', 'shared_buffers=', 'x=1 -c y=2', 'Shared_Buffers=1', 'a=b;c', 'a="1"'])
      expect(errorOf({ EMBEDDED_POSTGRES_SETTINGS: bad }).message).toMatch(
        /EMBEDDED_POSTGRES_SETTINGS must be PostgreSQL name=value/,
      );
  });

  it('records the rate history unless HISTORY_RECORDING turns it off', () => {
    expect(loadConfig({}).history.recording).toBe(true);
    expect(loadConfig({ HISTORY_RECORDING: 'false' }).history.recording).toBe(false);
    expect(() => loadConfig({ HISTORY_RECORDING: 'sometimes' })).toThrow(/HISTORY_RECORDING/);
  });

  it('reads the history retention per resolution over its defaults (0 = for ever), refusing less than a day', () => {
    expect(loadConfig({}).history.retention).toEqual({ minute: 7 * 86_400, hour: 90 * 86_400, day: 0 });
    expect(loadConfig({ HISTORY_RETENTION: 'minute=36h, day=400d' }).history.retention).toEqual({
      minute: 36 * 3_600,
      hour: 90 * 86_400,
      day: 400 * 86_400,
    });
    expect(loadConfig({ HISTORY_RETENTION: 'hour=0' }).history.retention.hour).toBe(0);
    for (const bad of ['minute=2h', 'week=3d', 'minute=7', 'minute=-1d', 'minute=7d;hour=1d'])
      expect(errorOf({ HISTORY_RETENTION: bad }).message).toMatch(/HISTORY_RETENTION must be resolution=age pairs/);
  });

  it('drains the rate history at most every 100 ms after writes unless HISTORY_DRAIN_GAP_MS says otherwise', () => {
    expect(loadConfig({}).history.drainGapMs).toBe(100);
    expect(loadConfig({ HISTORY_DRAIN_GAP_MS: '2000' }).history.drainGapMs).toBe(2000);
    expect(loadConfig({ HISTORY_DRAIN_GAP_MS: '0' }).history.drainGapMs).toBe(0);
    expect(errorOf({ HISTORY_DRAIN_GAP_MS: '61000' }).message).toMatch(/HISTORY_DRAIN_GAP_MS.*at most 60000/);
    expect(errorOf({ HISTORY_DRAIN_GAP_MS: '1.5' }).message).toMatch(/HISTORY_DRAIN_GAP_MS.*whole number/);
    expect(errorOf({ HISTORY_DRAIN_GAP_MS: 'soon' }).message).toMatch(/HISTORY_DRAIN_GAP_MS/);
  });

  it('keeps the feed polls in one queue unless FEED_POLL_SHARDS spreads them (1 to 64)', () => {
    expect(loadConfig({}).worker.feedPollShards).toBe(1);
    expect(loadConfig({ FEED_POLL_SHARDS: '8' }).worker.feedPollShards).toBe(8);
    expect(errorOf({ FEED_POLL_SHARDS: '0' }).message).toMatch(/FEED_POLL_SHARDS.*at least 1/);
    expect(errorOf({ FEED_POLL_SHARDS: '65' }).message).toMatch(/FEED_POLL_SHARDS.*at most 64/);
    expect(errorOf({ FEED_POLL_SHARDS: '2.5' }).message).toMatch(/FEED_POLL_SHARDS/);
  });

  it('ranks at $300 and refreshes the export every 5 s unless told otherwise, refusing a reference that is not a positive decimal', () => {
    expect(loadConfig({}).openData).toEqual({
      refreshSeconds: 5,
      rankrateReferenceUsd: '300',
      perMinute: 60,
      perDay: 50_000,
    });
    expect(loadConfig({ RANKRATE_REFERENCE_USD: '1000.50' }).openData.rankrateReferenceUsd).toBe('1000.50');
    for (const bad of ['0', '0.00', '-5', '1e3', '300 USD', '.5'])
      expect(errorOf({ RANKRATE_REFERENCE_USD: bad }).message).toContain('RANKRATE_REFERENCE_USD');
  });

  it('names the variable of a bad port', () => {
    expect(errorOf({ PORT: 'eighty' }).message).toMatch(/PORT must be a port number/);
    expect(errorOf({ PORT: '70000' }).message).toMatch(/PORT must be between 0 and 65535/);
  });

  it('names every bad variable at once', () => {
    const error = errorOf({ DATABASE_URL: 'mysql://x', FETCH_ALLOW_PRIVATE: 'maybe', ADMIN_API_KEY: 'short' });
    expect(error.problems).toHaveLength(3);
    expect(error.message).toMatch(/DATABASE_URL must be a postgres/);
    expect(error.message).toMatch(/FETCH_ALLOW_PRIVATE must be true or false/);
    expect(error.message).toMatch(/ADMIN_API_KEY must be at least 32 characters/);
  });

  it('refuses REDIS_URL without DATABASE_URL', () => {
    expect(errorOf({ REDIS_URL: 'redis://127.0.0.1:6379' }).message).toMatch(
      /DATABASE_URL must be set when REDIS_URL is set/,
    );
  });

  it('reads booleans written as 1/0', () => {
    expect(loadConfig({ FETCH_ALLOW_PRIVATE: '1' }).fetch.allowPrivate).toBe(true);
  });

  it('trusts no proxy by default, and a hop count or proxy addresses/CIDRs when TRUST_PROXY says so', () => {
    expect(loadConfig({}).api.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'off' }).api.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, fd00::/8,loopback' }).api.trustProxy).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
      'loopback',
    ]);
  });

  it('refuses TRUST_PROXY=true (every client could name its own address) and addresses it cannot read', () => {
    for (const value of ['true', '*', '10.0.0.0/33', '300.1.1.1', 'proxy.internal', '10.0.0.1/8/1', '1e3'])
      expect(errorOf({ TRUST_PROXY: value }).message).toMatch(/TRUST_PROXY must be off, a hop count/);
  });
});
