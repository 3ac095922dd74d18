/**
 * Schema compilers loaded and run on demand. Fastify compiles every route's JSON schema
 * with Ajv while the app boots, and loads fast-json-stringify (with a second Ajv) for
 * response schemas the coordinator does not even have; for the coordinator that was the
 * largest part of its start-up CPU after its own modules. These factories are Fastify's
 * own (`@fastify/ajv-compiler`, `@fastify/fast-json-stringify-compiler`, same options,
 * same results), except that a compiler module is loaded when first needed and each
 * route's schema is compiled on that route's first request.
 */
import { createRequire } from 'node:module';
import type { BuildCompilerFromPool, ValidatorFactory } from '@fastify/ajv-compiler';
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler';

type Compile = ReturnType<BuildCompilerFromPool>;
type Validate = ReturnType<Compile>;
/** What Fastify hands a validator compiler for one route part. */
type RouteSchema = Parameters<Compile>[0];
type SerializerCompiler = ReturnType<SerializerFactory>;
type Serialize = ReturnType<SerializerCompiler>;

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

/**
 * The `schemaController.compilersFactory.buildSerializer` option of Fastify: a route's
 * response schema is compiled on its first reply.
 */
export function lazySerializers(): SerializerFactory {
  let pool: SerializerFactory | undefined;
  return (externalSchemas, options) => {
    let compile: SerializerCompiler | undefined;
    return (route) => {
      let serialize: Serialize | undefined;
      return (doc: unknown) => {
        if (!serialize) {
          pool ??= (
            load('@fastify/fast-json-stringify-compiler') as {
              SerializerSelector: () => SerializerFactory;
            }
          ).SerializerSelector();
          compile ??= pool(externalSchemas, options);
          serialize = compile(route);
        }
        return serialize(doc);
      };
    };
  };
}
