import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEED_ERROR_CODES } from '@app/domain';
import { context } from '../normalize/scenarios/catalog.fixture';
import { checkFeed, FeedReport } from './feed-report';

/**
 * Property-based: whatever bytes arrive — every fixture of ../shared/fixtures cut at any point, or
 * mutated at random — `checkFeed` returns a report and never throws, an error report names a known
 * code with a message, and reading never holds more than a bounded multiple of the input in memory.
 */
const FIXTURES = join(__dirname, '../../../../test/fixtures/feeds');
const fixtures = readdirSync(FIXTURES)
  .filter((f) => !f.endsWith('.gz'))
  .map((name) => ({ name, body: readFileSync(join(FIXTURES, name)) }));
const ctx = context();
const STATUSES = ['ok', 'empty', 'maintenance', 'error'];
/** Heap the process may grow by while reading one body: generous for the 1 MB fixture, small against a leak or a blow-up. */
const HEAP_CAP_BYTES = 256 * 1024 * 1024;

function assertReport(report: FeedReport): void {
  expect(STATUSES).toContain(report.status);
  if (report.status === 'error') {
    expect(FEED_ERROR_CODES).toContain(report.error?.code);
    expect(report.error?.message.length).toBeGreaterThan(0);
    expect(report.offers).toEqual([]);
  }
  expect(report.stats.offers).toBe(report.offers.length);
  expect(report.rejected.length).toBeLessThanOrEqual(100);
}

function check(body: Uint8Array, format: 'auto' | 'xml' | 'json' | 'txt' = 'auto'): FeedReport {
  const heapBefore = process.memoryUsage().heapUsed;
  const report = checkFeed(body, { format, contentType: null }, ctx);
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(HEAP_CAP_BYTES);
  return report;
}

const fixtureArb = fc.constantFrom(...fixtures);

/** One random edit of a body: flip a byte, insert random or structural text, delete or duplicate a range. */
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string(),
      fc.constantFrom(
        '<',
        '>',
        '</item>',
        '<item>',
        '&',
        '&amp;',
        ']]>',
        '<![CDATA[',
        '"',
        '{',
        '}',
        '[',
        ',',
        ';',
        '\u0000',
        '\uFEFF',
        '\u202E',
        'е',
        '1e999',
        '-0',
        'NaN',
      ),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 500 }) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function mutate(body: Buffer, mutations: Mutation[]): Buffer {
  let out = Buffer.from(body);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[at] = m.byte;
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), Buffer.from(m.text), out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      case 'duplicate':
        out = Buffer.concat([out.subarray(0, at + m.length), out.subarray(at)]);
        break;
    }
  }
  return out;
}

// Hundreds of generated feeds per property: seconds of CPU on a busy CI machine, so more than the unit
// tier's 5 s default (a timeout here is a safety net, not a speed claim).
describe('checkFeed on hostile bytes (property-based)', { timeout: 120_000 }, () => {
  it('returns a report for every fixture cut at any point, and never half a snapshot of XML or JSON', () => {
    fc.assert(
      fc.property(fixtureArb, fc.double({ min: 0, max: 1, noNaN: true }), ({ name, body }, share) => {
        const cut = Math.floor(body.length * share);
        const report = check(body.subarray(0, cut));
        assertReport(report);
        // A cut XML or JSON document is malformed, unless the cut only removed trailing whitespace.
        const lost = body.subarray(cut).toString('utf8').trim();
        if (
          (name.endsWith('.xml') || name.endsWith('.json')) &&
          lost.length > 0 &&
          name !== 'html-error.xml' &&
          name !== 'truncated.xml'
        ) {
          expect(report.status).toBe('error');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('returns a report for every fixture mutated at random, in every format setting', () => {
    fc.assert(
      fc.property(
        fixtureArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('auto', 'xml', 'json', 'txt'),
        ({ body }, mutations, format) => {
          assertReport(check(mutate(body, mutations), format));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('returns a report for arbitrary bytes and arbitrary Unicode text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 4096 }),
          fc.string({ unit: 'binary', maxLength: 2048 }).map((s) => Buffer.from(s)),
        ),
        (bytes) => {
          assertReport(check(bytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps every offer of the mutated feed consistent: positive rates, from ≠ to, known codes', () => {
    fc.assert(
      fc.property(fixtureArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), ({ body }, mutations) => {
        const report = check(mutate(body, mutations));
        for (const offer of report.offers) {
          expect(offer.from).not.toBe(offer.to);
          expect(offer.from).toMatch(/^[A-Z0-9]+$/);
          expect(new Decimal(offer.rate).isPositive() && !new Decimal(offer.rate).isZero()).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
