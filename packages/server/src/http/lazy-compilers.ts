/**
 * Schema compilers for the app. Fastify compiles every route's JSON schema with Ajv while
 * the app boots; for the coordinator that was the largest part of its start-up CPU after
 * its own modules. This factory is Fastify's own (`@fastify/ajv-compiler`, same options,
 * same results), except that Ajv is loaded when first needed and each route's schema is
 * compiled on that route's first request. Replies are written with `JSON.stringify`: their
 * schemas document them (and the tests check every reply against them), they do not
 * filter them.
 */
import { createRequire } from 'node:module';
import type { BuildCompilerFromPool, ValidatorFactory } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type Compile = ReturnType<BuildCompilerFromPool>;
type Validate = ReturnType<Compile>;
/** What Fastify hands a validator compiler for one route part. */
type RouteSchema = Parameters<Compile>[0];
type SerializerFactory = NonNullable<
  NonNullable<
    NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
  >['buildSerializer']
>;

const load = createRequire(import.meta.url);

type PoolOptions = Parameters<BuildCompilerFromPool>[1];

/**
 * The first field of a coerced query string that came out as an infinite number. Ajv
 * coerces `count=1e400` to `Infinity` and then, with `strictNumbers` (its default), skips
 * the range checks of a value that is not finite instead of refusing it.
 */
function nonFiniteField(query: unknown): string | null {
  if (query === null || typeof query !== 'object') return null;
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'number' && !Number.isFinite(value)) return key;
  }
  return null;
}

/** `options` with Ajv's `coerceTypes: 'array'`. */
function coercing(options: PoolOptions): PoolOptions {
  const customOptions = { ...options?.customOptions, coerceTypes: 'array' as const };
  return { ...options, customOptions } as PoolOptions;
}

/**
 * The `schemaController.compilersFactory.buildValidator` option of Fastify.
 *
 * A query string arrives as text, so its schema is compiled with `coerceTypes: 'array'`
 * (`limit=5` is the integer 5, a repeated key an array, which a scalar field refuses);
 * bodies, parameters and headers use the app's options unchanged.
 *
 * Fastify hands a root value's parent to an Ajv validator only so that Ajv may replace
 * it (`coerceTypes`, `useDefaults`, `removeAdditional` on a root); a query string's root
 * is always an object, and the app turns those off elsewhere, so the wrapper does not
 * need it.
 *
 * @example
 * Fastify({ schemaController: { compilersFactory: { buildValidator: lazyValidators() } } });
 */
export function lazyValidators(): ValidatorFactory {
  let pool: BuildCompilerFromPool | undefined;
  const factory: BuildCompilerFromPool = (externalSchemas, options) => {
    const compilers = new Map<boolean, Compile>();
    const compileRoute = (route: RouteSchema): Validate => {
      pool ??= (load('@fastify/ajv-compiler') as () => BuildCompilerFromPool)();
      const coerce = (route as { httpPart?: string }).httpPart === 'querystring';
      let compile = compilers.get(coerce);
      if (!compile) {
        compile = pool(externalSchemas, coerce ? coercing(options) : options);
        compilers.set(coerce, compile);
      }
      return compile(route);
    };
    return ((route: RouteSchema) => {
      let validate: Validate | undefined;
      const isQuery = (route as { httpPart?: string }).httpPart === 'querystring';
      const lazy = (data: unknown): boolean | Promise<unknown> => {
        validate ??= compileRoute(route);
        const result = validate(data);
        lazy.errors = validate.errors;
        const infinite = isQuery && result === true ? nonFiniteField(data) : null;
        if (infinite !== null) {
          lazy.errors = [
            {
              instancePath: `/${infinite}`,
              schemaPath: '',
              keyword: 'type',
              params: {},
              message: 'must be a finite number',
            },
          ];
          return false;
        }
        return result;
      };
      lazy.errors = undefined as Validate['errors'];
      return lazy as unknown as Validate;
    }) as Compile;
  };
  return factory;
}

/**
 * The `schemaController.compilersFactory.buildSerializer` option of Fastify: every reply
 * is `JSON.stringify` of what the route returns.
 */
export function plainSerializers(): SerializerFactory {
  return () => () => (doc: unknown) => JSON.stringify(doc);
}
