/**
 * The JSON body parser: Fastify's own (prototype-poisoning safe), behind two limits that
 * are checked before anything recursive touches the body, so a small but deeply nested
 * document cannot exhaust the stack of a validator or of `JSON.stringify`.
 */
import type { FastifyInstance } from 'fastify';
import { AccordError } from '@accord/core';

/** Limits on the shape of a JSON body. */
export const JSON_BODY_LIMITS = {
  /** Deepest nesting of arrays and objects. */
  maxDepth: 64,
  /** Most keys in one object. */
  maxKeys: 1000,
} as const;

/**
 * Whether the JSON text nests arrays and objects deeper than `maxDepth`, found in one
 * pass over the characters (strings skipped), without parsing.
 *
 * @example
 * nestsDeeperThan('[[1]]', 1); // true
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

/** The first object (depth first) with more than `maxKeys` keys, walked without recursion. */
function firstCrowded(value: unknown, maxKeys: number): object | null {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const children = Object.values(node);
    if (!Array.isArray(node) && children.length > maxKeys) return node;
    for (const child of children)
      if (child !== null && typeof child === 'object') stack.push(child);
  }
  return null;
}

/** The JSON path of `target` inside `value` (only asked once `target` was found). */
function pathTo(value: unknown, target: object): string {
  const stack: { node: unknown; path: string }[] = [{ node: value, path: '' }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node === target) return path === '' ? '/' : path;
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node)) {
      if (child !== null && typeof child === 'object')
        stack.push({ node: child, path: `${path}/${key}` });
    }
  }
  return '/';
}

/**
 * The JSON path of the first object with more than `maxKeys` keys, or null. Walks the
 * parsed value with an explicit stack (no recursion); paths are built only when one is
 * found, so a body within the limits costs one allocation-light pass.
 */
export function objectWithTooManyKeys(value: unknown, maxKeys: number): string | null {
  const crowded = firstCrowded(value, maxKeys);
  return crowded === null ? null : pathTo(value, crowded);
}

/**
 * Replaces the app's JSON parser with the limited one, and drops the plain-text parser
 * (every body is JSON; anything else answers 415).
 */
export function useLimitedJsonParser(
  app: FastifyInstance,
  limits: { maxDepth: number; maxKeys: number } = JSON_BODY_LIMITS,
): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  // TCC for REST's requests are JSON under their own media type.
  const types = ['application/json', 'application/tcc+json'];
  app.addContentTypeParser(types, { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestsDeeperThan(text, limits.maxDepth)) {
      done(
        new AccordError(
          'INVALID_REQUEST',
          `the body nests arrays and objects deeper than the limit of ${limits.maxDepth} levels`,
        ),
        undefined,
      );
      return;
    }
    void parse(request, text, (error, value) => {
      if (error) return done(error, undefined);
      const crowded = objectWithTooManyKeys(value, limits.maxKeys);
      if (crowded !== null) {
        return done(
          new AccordError(
            'INVALID_REQUEST',
            `the object at ${crowded} has more keys than the limit of ${limits.maxKeys}`,
          ),
          undefined,
        );
      }
      done(null, value);
    });
  });
}
