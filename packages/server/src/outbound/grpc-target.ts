/**
 * gRPC branch targets: `grpc://host:port/package.Service/Method` (plaintext HTTP/2) or
 * `grpcs://…` (TLS). DTM's gRPC clients write the same target without the scheme
 * (`host:port/package.Service/Method`); {@link fromDtmGrpcTarget} adds it. Pure.
 */

/** A parsed gRPC target. */
export interface GrpcTarget {
  readonly tls: boolean;
  /** Host name or address as written (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** `host:port` as written, the `:authority` of the calls. */
  readonly authority: string;
  /** The method's path, `/package.Service/Method`. */
  readonly method: string;
}

const METHOD_PATH = /^\/[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/;

/** Whether a target URL names a gRPC method. */
export function isGrpcTarget(url: string): boolean {
  return url.startsWith('grpc://') || url.startsWith('grpcs://');
}

/** Why a gRPC target's path is not a method, or null when it is one. */
export function grpcMethodProblem(pathname: string): string | null {
  return METHOD_PATH.test(pathname)
    ? null
    : 'must name a method: grpc://host:port/package.Service/Method';
}

/** Parses a gRPC target; a string says why it is not one. */
export function parseGrpcTarget(value: string): GrpcTarget | string {
  if (!isGrpcTarget(value)) return 'is not a grpc:// or grpcs:// target';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  const problem = grpcMethodProblem(url.pathname);
  if (problem !== null) return problem;
  if (url.port === '') return 'must name a port';
  return {
    tls: url.protocol === 'grpcs:',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port),
    authority: url.host,
    method: url.pathname,
  };
}

/**
 * DTM's gRPC target (`host:port/package.Service/Method`) as a `grpc://` URL; a target
 * that already has a scheme, or an empty one, is returned as it is.
 *
 * @example
 * fromDtmGrpcTarget('localhost:58081/busi.Busi/TransOut'); // 'grpc://localhost:58081/busi.Busi/TransOut'
 */
export function fromDtmGrpcTarget(target: string): string {
  if (target === '' || target.includes('://')) return target;
  return `grpc://${target}`;
}
