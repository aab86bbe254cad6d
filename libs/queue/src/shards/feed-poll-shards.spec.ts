import { describe, expect, it } from 'vitest';
import { QUEUES } from '../queues';
import { feedPollShardOf, feedPollShardQueue, ownedShards } from './feed-poll-shards';

describe('feed-poll shards', () => {
  it('keeps the one feed-poll queue when there is one shard, and names one queue per shard otherwise', () => {
    expect(feedPollShardQueue(0, 1)).toBe(QUEUES.feedPoll);
    expect([0, 1, 2].map((shard) => feedPollShardQueue(shard, 3))).toEqual([
      `${QUEUES.feedPoll}-0`,
      `${QUEUES.feedPoll}-1`,
      `${QUEUES.feedPoll}-2`,
    ]);
  });

  it('spreads sequential feed ids evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let feedId = 1; feedId <= 1000; feedId++) counts[feedPollShardOf(feedId, 4)]!++;
    expect(counts).toEqual([250, 250, 250, 250]);
    expect(feedPollShardOf(7, 1)).toBe(0);
  });

  it('deals every shard to exactly one live worker, evenly, the same on every worker', () => {
    for (const [workers, shards] of [
      [1, 1],
      [1, 8],
      [2, 8],
      [3, 8],
      [5, 4],
      [4, 64],
    ] as const) {
      const members = Array.from({ length: workers }, (_, i) => `w${i}`).sort();
      const dealt = members.map((me) => ownedShards(members, me, shards));
      const all = dealt.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: shards }, (_, i) => i));
      const sizes = dealt.map((owned) => owned.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('gives nothing to a worker the live set does not hold', () => {
    expect(ownedShards(['a', 'b'], 'c', 8)).toEqual([]);
    expect(ownedShards([], 'a', 8)).toEqual([]);
  });

  it('hands a gone worker’s shards to the ones left', () => {
    expect(ownedShards(['a', 'b'], 'a', 4)).toEqual([0, 2]);
    expect(ownedShards(['a'], 'a', 4)).toEqual([0, 1, 2, 3]);
  });
});
