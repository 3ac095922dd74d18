/**
 * fast-check arbitraries from the JSON Schemas of the OpenAPI document: values that follow
 * the schema (within small sizes), with hints that steer some fields to values the
 * coordinator can act on (URLs of a live participant, gids that exist).
 */
import fc from 'fast-check';
import type { Json } from './api-routes.js';

/** Values to use for a field, by property name, mixed in with the schema's own. */
export type Hints = Readonly<Record<string, fc.Arbitrary<unknown>>>;

/** Resolves `#/components/schemas/X` in the document. */
export type Resolve = (ref: string) => Json;

/** Builds arbitraries for the schemas of one document. */
export class SchemaArbitraries {
  constructor(
    private readonly resolve: Resolve,
    private readonly hints: Hints,
  ) {}

  /** An arbitrary of values following `schema`; `name` is the property it is for. */
  of(schema: Json, name?: string, depth = 0): fc.Arbitrary<unknown> {
    const hint = name === undefined ? undefined : this.hints[name];
    const own = this.fromSchema(schema, depth);
    return hint ? fc.oneof({ weight: 4, arbitrary: hint }, { weight: 1, arbitrary: own }) : own;
  }

  private fromSchema(schema: Json, depth: number): fc.Arbitrary<unknown> {
    const ref = schema['$ref'];
    if (typeof ref === 'string') return this.fromSchema(this.resolve(ref), depth);
    if ('const' in schema) return fc.constant(schema['const']);
    if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as unknown[]));
    if (Array.isArray(schema['anyOf'])) {
      return fc.oneof(...(schema['anyOf'] as Json[]).map((s) => this.fromSchema(s, depth)));
    }
    switch (schema['type']) {
      case 'string':
        return stringOf(schema);
      case 'integer':
        return integerOf(schema);
      case 'number':
        return fc.double({
          min: num(schema['minimum'], -1e9),
          max: num(schema['maximum'], 1e9),
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(this.of((schema['items'] ?? {}) as Json, undefined, depth + 1), {
          minLength: num(schema['minItems'], 0),
          maxLength: Math.min(num(schema['maxItems'], 4), 4),
        });
      case 'object':
        return this.objectOf(schema, depth);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  private objectOf(schema: Json, depth: number): fc.Arbitrary<unknown> {
    const properties = (schema['properties'] ?? {}) as Record<string, Json>;
    const extra = schema['additionalProperties'];
    if (Object.keys(properties).length === 0 && typeof extra === 'object' && extra !== null) {
      return fc.dictionary(fc.string({ maxLength: 12 }), this.of(extra as Json), { maxKeys: 3 });
    }
    if (depth > 6) return fc.constant({});
    const record = Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [key, this.of(value, key, depth + 1)]),
    );
    return fc.record(record, { requiredKeys: (schema['required'] ?? []) as string[] });
  }
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function stringOf(schema: Json): fc.Arbitrary<string> {
  const minLength = num(schema['minLength'], 0);
  const maxLength = Math.min(num(schema['maxLength'], 40), 40);
  const pattern = schema['pattern'];
  if (typeof pattern === 'string') {
    return fc
      .stringMatching(new RegExp(pattern))
      .filter((s) => s.length >= minLength && s.length <= maxLength);
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' });
}

function integerOf(schema: Json): fc.Arbitrary<number> {
  const min = num(schema['minimum'], -1_000_000);
  const max = num(schema['maximum'], 1_000_000);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(min, max) },
    { weight: 3, arbitrary: fc.integer({ min, max: Math.min(max, min + 10_000) }) },
    { weight: 1, arbitrary: fc.integer({ min, max }) },
  );
}
