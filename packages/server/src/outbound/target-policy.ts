/**
 * Outbound target policy: which branch URLs the coordinator may call. Checked when a
 * transaction is created (precise 400s) and again at connect time on the resolved
 * addresses, so DNS cannot be used to slip past it.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** The allow- and deny-lists, each of hostnames and CIDRs (or single addresses). */
export interface TargetPolicyOptions {
  readonly allowed: readonly string[];
  readonly denied: readonly string[];
}

interface CompiledList {
  readonly hosts: ReadonlySet<string>;
  readonly blocks: BlockList;
  readonly hasBlocks: boolean;
}

function compile(entries: readonly string[]): CompiledList {
  const hosts = new Set<string>();
  const blocks = new BlockList();
  let hasBlocks = false;
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) {
      hosts.add(entry);
      continue;
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) blocks.addAddress(address!, type);
    else blocks.addSubnet(address!, Number(prefix), type);
    hasBlocks = true;
  }
  return { hosts, blocks, hasBlocks };
}

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Decides whether the coordinator may call a URL or connect to an address. */
export class TargetPolicy {
  private readonly allowed: CompiledList;
  private readonly denied: CompiledList;
  private readonly allowAll: boolean;

  constructor(options: TargetPolicyOptions) {
    this.allowed = compile(options.allowed);
    this.denied = compile(options.denied);
    this.allowAll = options.allowed.length === 0;
  }

  /** Why an address may not be connected to, or null if it may. */
  checkAddress(address: string): string | null {
    const family = isIP(address);
    if (family === 0) return `"${address}" is not an IP address`;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.denied.blocks.check(address, type))
      return `address ${address} is denied by the outbound policy`;
    if (this.allowAll) return null;
    return this.allowed.blocks.check(address, type)
      ? null
      : `address ${address} is not in the outbound allow-list`;
  }

  /** Why a URL may not be used as a branch target, or null if it may (DNS checked later). */
  checkUrl(value: string): string | null {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'must be an absolute http(s) URL';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
    if (url.username || url.password) return 'must not carry credentials';
    const host = bare(url.hostname.toLowerCase());
    if (isIP(host)) return this.checkAddress(host);
    if (this.denied.hosts.has(host)) return `host ${host} is denied by the outbound policy`;
    if (this.allowAll || this.allowed.hosts.has(host) || this.allowed.hasBlocks) return null;
    return `host ${host} is not in the outbound allow-list`;
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
    const host = bare(hostname.toLowerCase());
    if (this.denied.hosts.has(host)) {
      callback(forbidden(`host ${host} is denied by the outbound policy`), '');
      return;
    }
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const ok = addresses.filter((a) => this.checkAddress(a.address) === null);
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
