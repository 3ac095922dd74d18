/**
 * Outbound target policy: which branch URLs the coordinator may call. Checked when a
 * transaction is created (precise 400s; host names are resolved then too when the allow
 * list has address blocks) and again at connect time on the resolved addresses, so DNS
 * cannot be used to slip past it.
 *
 * Host names are compared in one canonical form (lower case, IDNA, no trailing dot), and
 * an IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is
 * judged by that IPv4 address too: denying `169.254.0.0/16` also denies
 * `[64:ff9b::a9fe:a9fe]`.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { BlockList } from 'node:net';
import type { FieldIssue } from '@accord/core';
import { grpcMethodProblem } from './grpc-target.js';
import { canonicalHost, embeddedIpv4, ipFamily, parseTargetEntry } from './target-entries.js';

/** Schemes of gRPC targets (`grpc://host:port/package.Service/Method`; `grpcs` for TLS). */
const GRPC_SCHEMES: ReadonlySet<string> = new Set(['grpc:', 'grpcs:']);

/** The allow- and deny-lists, each of host names and CIDRs (or single addresses). */
export interface TargetPolicyOptions {
  readonly allowed: readonly string[];
  readonly denied: readonly string[];
  /** Resolves a host name to its addresses (default: the system resolver). */
  readonly resolve?: (host: string) => Promise<string[]>;
}

/** A host name found in a request that must be resolved before it can be judged. */
export interface PendingHost {
  /** The field that named it, e.g. `/steps/0/action`. */
  readonly path: string;
  readonly host: string;
}

interface CompiledList {
  readonly hosts: ReadonlySet<string>;
  readonly blocks: BlockList;
  readonly hasBlocks: boolean;
}

/** Compiles a list; throws an `Error` naming the first invalid entry. */
function compile(entries: readonly string[]): CompiledList {
  const hosts = new Set<string>();
  const blocks = new BlockList();
  let hasBlocks = false;
  for (const raw of entries) {
    const entry = parseTargetEntry(raw);
    if (entry.kind === 'host') {
      hosts.add(entry.host);
      continue;
    }
    if (entry.prefix === undefined) blocks.addAddress(entry.address, entry.type);
    else blocks.addSubnet(entry.address, entry.prefix, entry.type);
    hasBlocks = true;
  }
  return { hosts, blocks, hasBlocks };
}

/** Whether a list's blocks hold the address, or the IPv4 address it carries. */
function inBlocks(list: CompiledList, address: string): boolean {
  const type = ipFamily(address) === 6 ? 'ipv6' : 'ipv4';
  if (list.blocks.check(address, type)) return true;
  const inner = embeddedIpv4(address);
  return inner !== null && list.blocks.check(inner, 'ipv4');
}

async function systemResolve(host: string): Promise<string[]> {
  const found = await dnsLookupAsync(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** Decides whether the coordinator may call a URL or connect to an address. */
export class TargetPolicy {
  private readonly allowed: CompiledList;
  private readonly denied: CompiledList;
  private readonly allowAll: boolean;
  private readonly resolve: (host: string) => Promise<string[]>;

  /** Throws an `Error` naming the first invalid list entry. */
  constructor(options: TargetPolicyOptions) {
    this.allowed = compile(options.allowed);
    this.denied = compile(options.denied);
    this.allowAll = options.allowed.length === 0;
    this.resolve = options.resolve ?? systemResolve;
  }

  /**
   * Why an address may not be connected to, or null if it may. `viaAllowedHost`: it is
   * an address of a host name the allow list names, so only the deny list applies.
   */
  checkAddress(address: string, viaAllowedHost = false): string | null {
    const bare = canonicalHost(address);
    if (ipFamily(bare) === 0) return `"${address}" is not an IP address`;
    if (inBlocks(this.denied, bare)) return `address ${bare} is denied by the outbound policy`;
    if (this.allowAll || viaAllowedHost || inBlocks(this.allowed, bare)) return null;
    return `address ${bare} is not in the outbound allow-list`;
  }

  /**
   * Why a URL may not be used as a branch target, or null if it may: an http(s) URL, or
   * a gRPC target unless `accept` is `http`. A host name that
   * only the allow list's address blocks could admit is added to `pending`, to be
   * resolved by {@link TargetPolicy.checkPending}.
   */
  checkUrl(
    value: string,
    pending?: { path: string; list: PendingHost[] },
    accept: 'http' | 'http-or-grpc' = 'http-or-grpc',
  ): string | null {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'must be an absolute http(s) URL';
    }
    const grpc = accept === 'http-or-grpc' && GRPC_SCHEMES.has(url.protocol);
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && !grpc) {
      return accept === 'http' ? 'must use http or https' : 'must use http, https, grpc or grpcs';
    }
    if (grpc) {
      const problem = grpcMethodProblem(url.pathname);
      if (problem !== null) return problem;
      if (url.port === '') return 'must name a port: grpc://host:port/package.Service/Method';
    }
    if (url.username || url.password) return 'must not carry credentials';
    const host = canonicalHost(url.hostname);
    if (host === '') return 'must name a host';
    if (ipFamily(host)) return this.checkAddress(host);
    if (this.denied.hosts.has(host)) return `host ${host} is denied by the outbound policy`;
    if (this.allowAll || this.allowed.hosts.has(host)) return null;
    if (!this.allowed.hasBlocks) return `host ${host} is not in the outbound allow-list`;
    pending?.list.push({ path: pending.path, host });
    return null;
  }

  /**
   * Resolves the pending host names and returns an issue for each whose addresses the
   * policy admits none of (or that does not resolve).
   */
  async checkPending(pending: readonly PendingHost[]): Promise<FieldIssue[]> {
    const verdicts = new Map<string, Promise<string | null>>();
    const verdictOf = (host: string): Promise<string | null> => {
      let verdict = verdicts.get(host);
      if (verdict === undefined) {
        verdict = this.resolve(host).then(
          (addresses) =>
            addresses.some((a) => this.checkAddress(a) === null)
              ? null
              : `no address of ${host} is allowed by the outbound policy`,
          () => `host ${host} does not resolve`,
        );
        verdicts.set(host, verdict);
      }
      return verdict;
    };
    const issues: FieldIssue[] = [];
    for (const { path, host } of pending) {
      const problem = await verdictOf(host);
      if (problem !== null) issues.push({ path, message: problem });
    }
    return issues;
  }

  /**
   * A `dns.lookup` replacement for the HTTP client: resolves, then drops addresses the
   * policy denies, failing when none is left.
   */
  readonly lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (
      err: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    const host = canonicalHost(hostname);
    if (this.denied.hosts.has(host)) {
      callback(forbidden(`host ${host} is denied by the outbound policy`), '');
      return;
    }
    const named = this.allowed.hosts.has(host);
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const ok = addresses.filter((a) => this.checkAddress(a.address, named) === null);
      if (ok.length === 0) {
        return callback(forbidden(`no address of ${host} is allowed by the outbound policy`), '');
      }
      if (options.all) return callback(null, ok);
      callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

function forbidden(message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(message);
  error.code = 'TARGET_FORBIDDEN';
  return error;
}
