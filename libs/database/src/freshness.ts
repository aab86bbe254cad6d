/**
 * SQL condition for "this offer may be shown" (DESIGN.md §1, §7): its exchanger is active and its
 * feed is enabled, not in maintenance, and confirmed within its stale limit. Expects the aliases
 * `e` (exchangers) and `f` (feeds). One definition for every read query.
 */
export const FRESH_FEED_SQL = `e.status = 'active'
  AND f.enabled
  AND NOT f.in_maintenance
  AND f.last_success_at > now() - make_interval(secs => f.stale_after_s)`;
