import { QUEUES } from '../queues';

/**
 * Feed-poll shards (FEED_POLL_SHARDS, issue 21). A worker that polls a feed keeps what the next poll needs —
 * the feed's items as last read (the normalization memo) and its stored offers' fingerprints (the snapshot
 * cache) — and a poll that lands on another worker reads and diffs the whole feed again. With one queue,
 * BullMQ hands each poll to whichever worker is free: in a fleet of two, every other poll. With shards, a
 * feed's polls go to its shard's queue, and each shard's queue is taken by one live worker at a time
 * (`ownedShards`), so a feed's polls stay on one worker while the fleet does not change.
 *
 * One shard is the single feed-poll queue, as without shards. Housekeeping and manual refreshes stay in the
 * feed-poll queue, which every worker takes.
 */

/** The queue of shard `shard` when the polls are spread over `shards` queues. */
export function feedPollShardQueue(shard: number, shards: number): string {
  return shards === 1 ? QUEUES.feedPoll : `${QUEUES.feedPoll}-${shard}`;
}

/** The shard of a feed's polls among `shards`. Feed ids are sequential: each shard gets every n-th feed. */
export function feedPollShardOf(feedId: number, shards: number): number {
  return feedId % shards;
}

/**
 * The shards `me` takes among the live workers `members` (sorted, the same list on every worker): shard k
 * goes to the (k mod n)-th member, so the shards are shared evenly (within one) and every worker, given the
 * same members, agrees on every owner. When the members change, the shards are dealt again; a worker that
 * is not (yet) among the members takes none.
 */
export function ownedShards(members: readonly string[], me: string, shards: number): number[] {
  const index = members.indexOf(me);
  if (index < 0) return [];
  const owned: number[] = [];
  for (let shard = index; shard < shards; shard += members.length) owned.push(shard);
  return owned;
}
