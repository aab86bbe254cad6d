import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { FeedRunRecord, FeedsRepository } from './feeds.repository';
import { FeedRunsRepository } from './feed-runs.repository';

const run = (startedAt: Date, overrides: Partial<FeedRunRecord> = {}): FeedRunRecord => ({
  trigger: 'schedule',
  startedAt,
  durationMs: 40,
  status: 'ok',
  format: 'xml',
  dialect: 'xml-eref-1.1',
  httpStatus: 200,
  bytes: 2048,
  items: 3,
  accepted: 2,
  rejected: 1,
  duplicates: 0,
  inserted: 0,
  updated: 0,
  deleted: 0,
  quarantined: 0,
  released: 0,
  error: null,
  rejects: [{ index: 2, reason: 'unknown currency "XYZ"' }],
  warnings: ['city without a code'],
  ...overrides,
});

describe('FeedRunsRepository.list', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: FeedRunsRepository;
  let feeds: FeedsRepository;
  let feedId: number;
  let otherFeedId: number;
  const base = Date.now() - 60_000;
  const at = (seconds: number) => new Date(base + seconds * 1000);

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new FeedRunsRepository(dataSource);
    feeds = new FeedsRepository(dataSource);
    const [exchanger] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('runs', 'Runs', 'https://x.example', 'https://x.example/?rid=1') RETURNING id`,
    );
    const [feed, other] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url) VALUES ($1, 'https://x.example/a.xml'), ($1, 'https://x.example/b.xml') RETURNING id`,
      [exchanger!.id],
    );
    feedId = feed!.id;
    otherFeedId = other!.id;

    // Written out of order: the list orders by start time, not by insertion.
    await feeds.recordUnchanged(feedId, run(at(10), { status: 'unchanged', trigger: 'manual' }), {
      etag: null,
      lastModified: null,
      contentHash: null,
    });
    await feeds.recordFailure(
      feedId,
      run(at(30), {
        status: 'error',
        error: { code: 'http_error', message: 'HTTP 502' },
        httpStatus: 502,
        dialect: null,
        format: null,
        items: 0,
        accepted: 0,
        rejected: 0,
        rejects: [],
        warnings: [],
      }),
    );
    await feeds.recordUnchanged(feedId, run(at(20), { status: 'not_modified', httpStatus: 304, dialect: null }), {
      etag: null,
      lastModified: null,
      contentHash: null,
    });
    await feeds.recordUnchanged(otherFeedId, run(at(40), { status: 'unchanged' }), {
      etag: null,
      lastModified: null,
      contentHash: null,
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it("lists a feed's runs newest first, only that feed's", async () => {
    const runs = (await repository.list(feedId, 10)) as Array<Record<string, unknown>>;
    expect(runs.map((r) => r.status)).toEqual(['error', 'not_modified', 'unchanged']);
    expect(runs.map((r) => r.startedAt)).toEqual([at(30), at(20), at(10)]);
  });

  it('keeps to the limit, newest first', async () => {
    const runs = (await repository.list(feedId, 2)) as Array<Record<string, unknown>>;
    expect(runs.map((r) => r.status)).toEqual(['error', 'not_modified']);
  });

  it('shapes a failed run: the error as {code, message}, no dialect', async () => {
    const [failed] = (await repository.list(feedId, 1)) as Array<Record<string, unknown>>;
    expect(failed).toMatchObject({
      status: 'error',
      trigger: 'schedule',
      httpStatus: 502,
      format: null,
      dialect: null,
      error: { code: 'http_error', message: 'HTTP 502' },
      rejects: [],
      warnings: [],
    });
    expect(failed!.error).toEqual({ code: 'http_error', message: 'HTTP 502' });
    expect(typeof failed!.id).toBe('string');
  });

  it('shapes a good run: every count, the dialect, a null error, rejects and warnings', async () => {
    const runs = (await repository.list(feedId, 10)) as Array<Record<string, unknown>>;
    const good = runs.find((r) => r.status === 'unchanged');
    expect(good).toEqual({
      id: expect.stringMatching(/^\d+$/),
      trigger: 'manual',
      startedAt: at(10),
      durationMs: 40,
      status: 'unchanged',
      format: 'xml',
      dialect: 'xml-eref-1.1',
      httpStatus: 200,
      bytes: 2048,
      items: 3,
      accepted: 2,
      rejected: 1,
      duplicates: 0,
      inserted: 0,
      updated: 0,
      deleted: 0,
      quarantined: 0,
      released: 0,
      error: null,
      rejects: [{ index: 2, reason: 'unknown currency "XYZ"' }],
      warnings: ['city without a code'],
    });
  });

  it('breaks a tie of start times by the later run', async () => {
    const same = at(50);
    await feeds.recordUnchanged(otherFeedId, run(same, { status: 'unchanged' }), {
      etag: null,
      lastModified: null,
      contentHash: null,
    });
    await feeds.recordUnchanged(otherFeedId, run(same, { status: 'not_modified' }), {
      etag: null,
      lastModified: null,
      contentHash: null,
    });
    const runs = (await repository.list(otherFeedId, 10)) as Array<Record<string, unknown>>;
    expect(runs.map((r) => r.status)).toEqual(['not_modified', 'unchanged', 'unchanged']);
    expect(runs.map((r) => r.startedAt)).toEqual([same, same, at(40)]);
  });

  it('lists nothing for a feed without runs', async () => {
    expect(await repository.list(999_999, 10)).toEqual([]);
  });
});
