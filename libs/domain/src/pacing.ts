/**
 * When background work that just ran may start again, paced by its own duration: not before `notBefore` (a least
 * gap the caller reckons from wherever it likes, or an earlier decision it keeps), and not until `pace` times the
 * run's duration has passed since it ended — a run that took long leaves the shared resource (a database
 * connection, a core) to others for that much longer. All times in ms (Date.now()).
 */
export function pacedStart(started: number, ended: number, pace: number, notBefore = -Infinity): number {
  return Math.max(notBefore, ended + pace * (ended - started));
}
