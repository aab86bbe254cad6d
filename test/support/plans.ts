/** A node of an `EXPLAIN (FORMAT JSON)` plan, as far as tests read it (ANALYZE adds the actual figures). */
export interface PlanNode {
  'Node Type': string;
  'Join Type'?: string;
  Alias?: string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  'Actual Loops'?: number;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

/** The rows an `EXPLAIN (FORMAT JSON)` answers: one, its plan in a one-element array. */
export type ExplainedRows = Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>;

/** Every node of an `EXPLAIN (FORMAT JSON)` answer, the top one first and each before its children. */
export function planNodes(explained: ExplainedRows): PlanNode[] {
  const walk = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(walk)];
  return walk(explained[0]!['QUERY PLAN'][0]!.Plan);
}

/** `node` and every node under it. */
export function nodesUnder(node: PlanNode): PlanNode[] {
  return planNodes([{ 'QUERY PLAN': [{ Plan: node }] }]);
}
