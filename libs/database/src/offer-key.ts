/**
 * An offer's key within its feed — its direction and city ('' for none) — as one string: how the snapshot
 * writer diffs a feed's offers, and how the rate guard's verdicts name the offers a history mark leaves out.
 */
export const offerKey = (from: string, to: string, city: string): string => `${from}\u001f${to}\u001f${city}`;
