/**
 * Request validation compiled on demand. Fastify compiles every route's JSON schema with
 * Ajv while the app boots; for the coordinator's routes that was the largest part of its
 * start-up CPU. This factory is Fastify's own (`@fastify/ajv-compiler`, same Ajv options,
 * same results), except that Ajv is loaded with the first validated request and each
 * route's schema is compiled on that route's first request.
 */
import { createRequire } from 'node:module';
import type { BuildCompilerFromPool, ValidatorFactory } from '@fastify/ajv-compiler';

type Compile = ReturnType<BuildCompilerFromPool>;
type Validate = ReturnType<Compile>;

/** What Fastify hands a validator compiler for one route part. */
type RouteSchema = Parameters<Compile>[0];

const load = createRequire(import.meta.url);

/**
 * The `schemaController.compilersFactory.buildValidator` option of Fastify.
 *
 * Fastify hands a root value's parent to an Ajv validator only so that Ajv may replace
 * it (`coerceTypes`, `useDefaults`, `removeAdditional` on a root); the app turns those
 * off, so the wrapper does not need it.
 *
 * @example
 * Fastify({ schemaController: { compilersFactory: { buildValidator: lazyValidators() } } });
 */
export function lazyValidators(): ValidatorFactory {
  let pool: BuildCompilerFromPool | undefined;
  const factory: BuildCompilerFromPool = (externalSchemas, options) => {
    let compile: Compile | undefined;
    const compileRoute = (route: RouteSchema): Validate => {
      pool ??= (load('@fastify/ajv-compiler') as () => BuildCompilerFromPool)();
      compile ??= pool(externalSchemas, options);
      return compile(route);
    };
    return ((route: RouteSchema) => {
      let validate: Validate | undefined;
      const lazy = (data: unknown): boolean | Promise<unknown> => {
        validate ??= compileRoute(route);
        const result = validate(data);
        lazy.errors = validate.errors;
        return result;
      };
      lazy.errors = undefined as Validate['errors'];
      return lazy as unknown as Validate;
    }) as Compile;
  };
  return factory;
}
