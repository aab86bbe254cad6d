import { describe, expect, it } from 'vitest';
import { embeddedServerSettings, settingsArguments } from './server-settings';

const GB = 1024 * 1024 * 1024;

describe('embedded PostgreSQL settings', () => {
  it('gives the buffers an eighth of the memory, between PostgreSQL default and 1 GB', () => {
    expect(embeddedServerSettings(0.5 * GB).shared_buffers).toBe('128MB');
    expect(embeddedServerSettings(4 * GB).shared_buffers).toBe('512MB');
    expect(embeddedServerSettings(24 * GB).shared_buffers).toBe('1024MB');
    expect(embeddedServerSettings(24 * GB).effective_cache_size).toBe('12288MB');
    // Never less cache than buffers, even on a tiny machine.
    expect(embeddedServerSettings(0.5 * GB).effective_cache_size).toBe('256MB');
  });

  it('keeps commits durable and lets the operator override or add settings, but not where it listens', () => {
    const settings = embeddedServerSettings(8 * GB, {
      shared_buffers: '2GB',
      work_mem: '16MB',
      listen_addresses: '*',
    });
    expect(settings).toMatchObject({ shared_buffers: '2GB', work_mem: '16MB', synchronous_commit: 'on' });
    expect(settings.listen_addresses).toBe('127.0.0.1');
    expect(settings.unix_socket_directories).toBe('');
  });

  it('passes each setting as one -c argument', () => {
    expect(settingsArguments({ a: '1', 'b.c': 'x y' })).toEqual(['-c', 'a=1', '-c', 'b.c=x y']);
  });
});
