import type { EntityManager } from 'typeorm';
import type { AppConfig } from '@app/config';
import {
  bandOf,
  Dec,
  DEFAULT_INTEGRITY_BAND,
  DEFAULT_INTEGRITY_BANDS,
  judgeRate,
  Quarantine,
  QuarantineReason,
  RateReference,
  ReferenceSource,
} from '@app/domain';
import { offerKey } from '../offer-key';

/** The bands the guard judges with: percent per currency kind, and the band of a kind without one. */
export interface IntegrityPolicy {
  readonly enabled: boolean;
  readonly bands: Readonly<Record<string, string>>;
  readonly fallbackBand: string;
}

/** The policy of RATE_GUARD and RATE_GUARD_BANDS over the built-in bands. */
export function integrityPolicy(config: AppConfig['rateGuard']): IntegrityPolicy {
  const { default: fallback, ...bands } = config.bands;
  return {
    enabled: config.enabled,
    bands: { ...DEFAULT_INTEGRITY_BANDS, ...bands },
    fallbackBand: fallback ?? DEFAULT_INTEGRITY_BAND,
  };
}

/** No judgement at all (tools and tests that write snapshots without a guard). */
export const INTEGRITY_OFF: IntegrityPolicy = { enabled: false, bands: {}, fallbackBand: '10' };

/** What the guard did to a feed's offers in one poll. */
export interface GuardOutcome {
  /** Offers of the feed held back after this poll (new and still held). */
  quarantined: number;
  /** Newly held back this poll, by reason. */
  held: Partial<Record<QuarantineReason, number>>;
  /** Freed this poll (back in the band, accepted by an operator, or no reference any more). */
  released: number;
  /** The same, by the reason they had been held for. */
  freed: Partial<Record<QuarantineReason, number>>;
  /** Directions whose shown offers changed because of the guard. */
  touched: Array<[string, string]>;
}

export const NO_GUARD: GuardOutcome = { quarantined: 0, held: {}, released: 0, freed: {}, touched: [] };

/** A held offer as stored in `offers.quarantine`: the verdict and when it was first held. */
export interface StoredQuarantine extends Quarantine {
  readonly since: string;
}

export interface GuardCandidate {
  feed_id: number;
  from_code: string;
  to_code: string;
  city: string;
  rate: string;
  quarantine: StoredQuarantine | null;
  ref_rate: string | null;
  ref_source: ReferenceSource | null;
  ref_exchangers: number | null;
  ref_via: string | null;
  from_kind: string;
  to_kind: string;
  accepted: boolean;
}

/**
 * Changed directions above which the snapshot write reads the feed's other offers in them (writtenCandidatesSql)
 * by one pass over the feed's offers instead of a probe per direction: a first snapshot or a fully changed feed
 * of 10,000 directions made 10,000 index probes (30,000 pages, ≈ 40 % of such a poll) where one pass over the
 * feed's rows reads a few hundred pages.
 */
export const GUARD_PROBES_MAX = 512;

/**
 * Judges the offers already stored against the references just refreshed (the housekeeping job after
 * `refreshReferences`): a feed whose body never changes is never re-judged by its polls, so an offer that
 * arrived before its direction had a reference — or that the market left behind — is caught here, and a
 * held offer the market moved to is freed. Only outliers by the narrowest band and held offers are read.
 */
export async function sweepOffers(tx: EntityManager, policy: IntegrityPolicy, now = new Date()): Promise<GuardOutcome> {
  if (!policy.enabled) return NO_GUARD;
  const candidates = await tx.query<GuardCandidate[]>(candidatesSql('$2', '$1'), [narrowestBand(policy), now]);
  return judgeCandidates(tx, candidates, policy, now);
}

/**
 * Only held offers and offers above their reference by more than the narrowest band (`band`, percent) need
 * judging: everything else is in the band of any kind, exactly (numeric), and is skipped in the database.
 */
const OUTLIERS_OR_HELD = (band: string) =>
  `WHERE o.quarantine IS NOT NULL OR (r.rate IS NOT NULL AND o.rate > r.rate * (1 + ${band}::numeric / 100))`;

/** The narrowest band of a policy, in percent. */
export function narrowestBand(policy: IntegrityPolicy): string {
  return Dec.min(new Dec(policy.fallbackBand), ...Object.values(policy.bands).map((band) => new Dec(band))).toString();
}

/**
 * The offers (of `offers`, a table or subquery aliased `o`) that need judging — held, or above their reference
 * by more than `band` (OUTLIERS_OR_HELD) — with what judging them needs: their reference, the kinds of their
 * currencies, an exception in force at `now`. The outliers are picked first, in a fenced subquery, and only
 * they are joined to the currencies and exceptions: a write's changed offers are nearly all in the band, and
 * joining each of them before the filter was a quarter of the guard's part of a write (auto_explain: 0.5 of
 * 2 ms for 500 changed offers, 5 ms for 10,000).
 */
const candidatesSql = (
  now: string,
  band: string,
  offers = 'offers',
  references: 'join' | 'probe' = 'join',
  extra = '',
) => `SELECT ${extra}o.feed_id, o.from_code, o.to_code, o.city, o.rate::text AS rate, o.quarantine,
            o.ref_rate::text AS ref_rate, o.ref_source, o.ref_exchangers, o.ref_via,
            cf.kind AS from_kind, ct.kind AS to_kind, x.exchanger_id IS NOT NULL AS accepted
     FROM (SELECT ${extra}o.feed_id, o.exchanger_id, o.from_code, o.to_code, o.city, o.rate, o.quarantine,
                  r.rate AS ref_rate, r.source AS ref_source, r.exchangers AS ref_exchangers, r.via AS ref_via
           FROM ${offers} o
           ${
             references === 'probe'
               ? // A poll's few hundred offers look their references up by key (fenced, so the plan cannot hash
                 // the whole table instead: ≈ 100,000 references, 2,500 pages a poll at 1,000 exchangers).
                 `LEFT JOIN LATERAL (SELECT * FROM direction_references r
                                     WHERE r.from_code = o.from_code AND r.to_code = o.to_code AND r.city = o.city OFFSET 0) r ON true`
               : `LEFT JOIN direction_references r ON r.from_code = o.from_code AND r.to_code = o.to_code AND r.city = o.city`
           }
           ${OUTLIERS_OR_HELD(band)} OFFSET 0) o
     JOIN currencies cf ON cf.code = o.from_code
     JOIN currencies ct ON ct.code = o.to_code
     LEFT JOIN quarantine_exceptions x ON x.exchanger_id = o.exchanger_id AND x.from_code = o.from_code
          AND x.to_code = o.to_code AND x.city = o.city AND x.until > ${now}`;

/** The columns of an offer the guard's candidates are read from (the FROM items of writtenCandidatesSql). */
const CANDIDATE_COLUMNS = 'feed_id, exchanger_id, from_code, to_code, city, rate, quarantine';

/** What the snapshot writer's statement returns as `o` of RETURNING: the columns the guard reads. */
export const WRITTEN_COLUMNS = CANDIDATE_COLUMNS.split(', ')
  .map((c) => `o.${c}`)
  .join(', ');

/**
 * The guard's candidates inside the snapshot writer's statement, so a wrong rate is never visible, not even
 * between two statements, and the guard costs no statement or probe of its own: `written` (a CTE of
 * CANDIDATE_COLUMNS: the rows the statement updated and inserted, as RETURNING gives them — their new values),
 * the feed's held offers (they leave quarantine on the first poll back in the band, also when the market moved
 * to them), and — `others` — the feed's other offers in the touched directions ($froms, $tos). The statement's
 * own snapshot shows held and other offers as they were before it: a row the statement changed or deleted among
 * them is stale (its `src` is not `w`), and the caller drops it (judgeWritten) — the changed one comes from
 * `written`. The writer asks for the other offers only where there can be any: a feed without cities has one
 * offer per direction, the one it just wrote or deleted.
 *
 * The held offers are found by the partial index of held offers, through the feed's exchanger (every row of the
 * feed is its exchanger's once written), not by a walk over the feed's 2,000 rows. The other offers come by a
 * probe per touched direction (`probes`) or, past GUARD_PROBES_MAX directions, by one pass over the feed's
 * offers (`feed`, its primary key's prefix: the IN keeps the touched pairs a hashed subplan, a filter on that
 * pass, whatever the planner estimates for them). Each probe is LATERAL and fenced with `OFFSET 0`, so no plan
 * can turn it inside out: without the fence PostgreSQL pulls a plain LATERAL subquery up into an ordinary join,
 * and a first snapshot's statistics (its rows not counted yet, 36 estimated for 2,000) made a generic plan scan
 * the feed and re-walk every touched direction for each of its rows (2 million comparisons, 0.2–1 s a poll, the
 * largest cost of a poll in `bench:scale`, seen with auto_explain). Each probe has the feed in its index
 * condition whichever index serves it (the direction index ends with feed_id since migration 1764073700000: a
 * generic plan that chose it filtered the feed out of every exchanger's offers in the direction — 500 ms a poll
 * in a 500-exchanger market). Every candidate looks its reference up by key, fenced the same way: joined
 * plainly, a generic plan made while `direction_references` was empty (a fleet's first polls) kept a nested
 * loop over a materialized copy of all of them — at 1,000 exchangers 105,000 references for each of a feed's
 * 923 candidates, 49 million comparisons, 25 s a poll (auto_explain in bench:scale).
 *
 * Of the written rows only the held ones and the `suspects` (three text arrays: from, to, city) are candidates
 * when `version` — the version of the references the writer's copy was read at (ReferenceCache) — is the stored
 * one in the statement's snapshot: the copy is then exactly the references the statement would probe, and the
 * writer found every other written offer within the narrowest band of its reference, or without one. Any other
 * version (null: no copy) makes every written row a candidate. The same holds for the other offers: with the copy
 * current only the `siblings` it finds suspect are read (by key: an unchanged offer's verdict moves only with its
 * reference, and the copy is that reference), else every other offer of the touched directions.
 */
export function writtenCandidatesSql(p: {
  feed: string;
  now: string;
  band: string;
  froms: string;
  tos: string;
  others: 'none' | 'probes' | 'feed';
  version: string;
  suspects: { froms: string; tos: string; cities: string };
  /** The feed's other offers in the touched directions that the writer's copy finds suspect (read with `others`). */
  siblings: { froms: string; tos: string; cities: string };
}): string {
  const held = `SELECT 'h' AS src, ${CANDIDATE_COLUMNS} FROM offers o
    WHERE o.exchanger_id = (SELECT f.exchanger_id FROM feeds f WHERE f.id = ${p.feed}) AND o.feed_id = ${p.feed} AND o.quarantine IS NOT NULL`;
  // Whether the writer's copy of the references is not the stored one in the statement's snapshot.
  const stale = `${p.version}::bigint IS DISTINCT FROM (SELECT version FROM direction_references_version)`;
  const siblings = p.siblings;
  const others =
    p.others === 'none'
      ? ''
      : // With a current copy only the siblings it finds suspect, each by key; otherwise all of them.
        `${
          p.others === 'probes'
            ? `UNION ALL SELECT 'p', o.* FROM (SELECT DISTINCT * FROM unnest(${p.froms}::text[], ${p.tos}::text[])) AS t(from_code, to_code)
           CROSS JOIN LATERAL (SELECT ${CANDIDATE_COLUMNS} FROM offers o WHERE o.feed_id = ${p.feed} AND o.from_code = t.from_code
                               AND o.to_code = t.to_code AND o.quarantine IS NULL OFFSET 0) o
           WHERE ${stale}`
            : `UNION ALL SELECT 'p', o.* FROM (SELECT ${CANDIDATE_COLUMNS} FROM offers o WHERE o.feed_id = ${p.feed} AND o.quarantine IS NULL
             AND (o.from_code, o.to_code) IN (SELECT * FROM unnest(${p.froms}::text[], ${p.tos}::text[])) OFFSET 0) o
           WHERE ${stale}`
        }
        UNION ALL SELECT 'p', o.* FROM unnest(${siblings.froms}::text[], ${siblings.tos}::text[], ${siblings.cities}::text[]) AS s(from_code, to_code, city)
           CROSS JOIN LATERAL (SELECT ${CANDIDATE_COLUMNS} FROM offers o WHERE o.feed_id = ${p.feed} AND o.from_code = s.from_code
                               AND o.to_code = s.to_code AND o.city = s.city AND o.quarantine IS NULL OFFSET 0) o
           WHERE NOT ${stale}`;
  return candidatesSql(
    p.now,
    p.band,
    `(SELECT 'w' AS src, ${CANDIDATE_COLUMNS} FROM written
      WHERE quarantine IS NOT NULL OR ${stale}
         OR (from_code, to_code, city) IN (SELECT * FROM unnest(${p.suspects.froms}::text[], ${p.suspects.tos}::text[], ${p.suspects.cities}::text[]))
      UNION ALL ${held} ${others})`,
    'probe',
    'o.src, ',
  );
}

/** A candidate of writtenCandidatesSql: `w` written by the statement, `h` held before it, `p` another offer. */
export type WrittenCandidate = GuardCandidate & { src: 'w' | 'h' | 'p' };

/**
 * Judges a feed's offers inside the transaction that wrote them (DESIGN.md §10), from the candidates the
 * snapshot writer's statement read (writtenCandidatesSql): drops the held and other offers that statement
 * changed or deleted (`stale(key)`: their rows as they were before it; a changed one is among the written),
 * then compares each with its direction's reference — an accepted exception or a missing reference means no
 * judgement — and writes only the offers whose verdict changed. `held`, when given, receives the key
 * (offerKey) of every offer of the feed held after this poll: they are all among the candidates (every held
 * offer is one, and so is every written or other offer outside the band), so every other offer of the feed is
 * shown.
 */
export function judgeWritten(
  tx: EntityManager,
  candidates: readonly WrittenCandidate[],
  stale: (from: string, to: string, city: string) => boolean,
  policy: IntegrityPolicy,
  now: Date,
  held?: Set<string>,
): Promise<GuardOutcome> {
  if (!policy.enabled) return Promise.resolve(NO_GUARD);
  const judged = candidates.filter((c) => c.src === 'w' || !stale(c.from_code, c.to_code, c.city));
  return judgeCandidates(tx, judged, policy, now, held);
}

/** Judges each candidate and writes the offers whose verdict changed; counts what was held and freed. */
async function judgeCandidates(
  tx: EntityManager,
  candidates: GuardCandidate[],
  policy: IntegrityPolicy,
  now: Date,
  held?: Set<string>,
): Promise<GuardOutcome> {
  const outcome: GuardOutcome = { quarantined: 0, held: {}, released: 0, freed: {}, touched: [] };
  const changed: Array<{ feed: number; from: string; to: string; city: string; quarantine: StoredQuarantine | null }> =
    [];
  const directions = new Map<string, [string, string]>();
  for (const c of candidates) {
    const verdict =
      c.accepted || c.ref_rate === null
        ? null
        : judgeRate(c.rate, reference(c), bandOf(c.from_kind, c.to_kind, policy.bands, policy.fallbackBand));
    if (verdict === null) {
      if (c.quarantine === null) continue;
      outcome.released++;
      outcome.freed[c.quarantine.reason] = (outcome.freed[c.quarantine.reason] ?? 0) + 1;
      changed.push({ feed: c.feed_id, from: c.from_code, to: c.to_code, city: c.city, quarantine: null });
    } else {
      held?.add(offerKey(c.from_code, c.to_code, c.city));
      outcome.quarantined++;
      const since = c.quarantine?.since ?? now.toISOString();
      const stored: StoredQuarantine = { ...verdict, since };
      if (c.quarantine === null) outcome.held[verdict.reason] = (outcome.held[verdict.reason] ?? 0) + 1;
      if (c.quarantine !== null && sameVerdict(c.quarantine, stored)) continue;
      changed.push({ feed: c.feed_id, from: c.from_code, to: c.to_code, city: c.city, quarantine: stored });
    }
    directions.set(`${c.from_code}\u001f${c.to_code}`, [c.from_code, c.to_code]);
  }
  if (changed.length > 0) {
    await tx.query(
      `UPDATE offers o SET quarantine = v.q::jsonb
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(feed, f, t, c, q)
       WHERE o.feed_id = v.feed AND o.from_code = v.f AND o.to_code = v.t AND o.city = v.c`,
      [
        changed.map((c) => c.feed),
        changed.map((c) => c.from),
        changed.map((c) => c.to),
        changed.map((c) => c.city),
        changed.map((c) => (c.quarantine === null ? null : JSON.stringify(c.quarantine))),
      ],
    );
  }
  outcome.touched = [...directions.values()];
  return outcome;
}

function reference(c: GuardCandidate): RateReference {
  return { rate: c.ref_rate!, source: c.ref_source!, exchangers: c.ref_exchangers ?? 0, via: c.ref_via };
}

function sameVerdict(a: StoredQuarantine, b: StoredQuarantine): boolean {
  return (
    a.reason === b.reason &&
    a.reference === b.reference &&
    a.referenceSource === b.referenceSource &&
    a.deviationPercent === b.deviationPercent
  );
}
