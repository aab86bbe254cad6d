/** The parts of an OpenAPI 3 document that answers are checked against. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  nullable?: boolean;
  enum?: unknown[];
  additionalProperties?: Schema | boolean;
}

export interface OpenApiOperation {
  summary?: string;
  parameters?: Array<{ name: string; schema?: Schema }>;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { description?: string; content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Schema> };
}

const named = (doc: OpenApiDocument, ref: string): Schema =>
  doc.components.schemas[ref.replace('#/components/schemas/', '')]!;

/**
 * Where `value` departs from `schema` (following $ref and allOf): a missing required or an undocumented
 * field, a wrong type, null where the schema does not allow it, a value outside its enum.
 */
export function mismatches(doc: OpenApiDocument, schema: Schema, value: unknown, at = '$'): string[] {
  if (value === null) return schema.nullable ? [] : [`${at} is null`];
  if (schema.$ref) return mismatches(doc, named(doc, schema.$ref), value, at);
  if (schema.allOf) {
    const merged: Schema = { type: 'object', properties: {}, required: [] };
    const collect = (part: Schema): void => {
      const resolved = part.$ref ? named(doc, part.$ref) : part;
      for (const inner of resolved.allOf ?? []) collect(inner);
      Object.assign(merged.properties!, resolved.properties ?? {});
      merged.required!.push(...(resolved.required ?? []));
    };
    collect(schema);
    return mismatches(doc, merged, value, at);
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${at} = ${JSON.stringify(value)} is not in its enum`];
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  if (type === 'array') {
    if (!Array.isArray(value)) return [`${at} is not an array`];
    return value.flatMap((v, i) => mismatches(doc, schema.items!, v, `${at}[${i}]`));
  }
  if (type === 'object') return objectMismatches(doc, schema, value, at);
  const actual = typeof value;
  if (type === 'integer') return Number.isInteger(value) ? [] : [`${at} is not an integer`];
  if (type && actual !== type) return [`${at} is a ${actual}, documented as ${type}`];
  return [];
}

function objectMismatches(doc: OpenApiDocument, schema: Schema, value: unknown, at: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at} is not an object`];
  const record = value as Record<string, unknown>;
  if (typeof schema.additionalProperties === 'object')
    return Object.entries(record).flatMap(([k, v]) =>
      mismatches(doc, schema.additionalProperties as Schema, v, `${at}.${k}`),
    );
  const properties = schema.properties ?? {};
  return [
    ...(schema.required ?? []).filter((k) => !(k in record)).map((k) => `${at}.${k} is missing`),
    ...Object.keys(record)
      .filter((k) => !(k in properties))
      .map((k) => `${at}.${k} is not documented`),
    ...Object.entries(record)
      .filter(([k]) => k in properties)
      .flatMap(([k, v]) => mismatches(doc, properties[k]!, v, `${at}.${k}`)),
  ];
}
