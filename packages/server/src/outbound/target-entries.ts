/**
 * The pieces of the outbound policy that read names and addresses: host names in one
 * canonical form, list entries parsed with precise errors, and the IPv4 address hidden in
 * an IPv6 one. Pure: no DNS, no sockets.
 */
import { domainToASCII } from 'node:url';
import { SocketAddress, isIPv4 } from 'node:net';

/**
 * 4 or 6 when `text` is an IP address of that family, else 0: `net.isIP` without its IPv6
 * regular expression, whose first compilation costs tens of milliseconds of start-up.
 *
 * @example
 * ipFamily('::1'); // 6
 * ipFamily('example.com'); // 0
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  if (!text.includes(':')) return 0;
  try {
    new SocketAddress({ address: text, family: 'ipv6' });
    return 6;
  } catch {
    return 0;
  }
}

/** One entry of an allow- or deny-list. */
export type TargetEntry =
  | { readonly kind: 'host'; readonly host: string }
  | {
      readonly kind: 'block';
      readonly address: string;
      readonly prefix: number | undefined;
      readonly type: 'ipv4' | 'ipv6';
    };

/**
 * A host name as the policy compares it: lower case, ASCII (IDNA), without brackets or
 * trailing dots. `''` when it cannot be a host name.
 *
 * @example
 * canonicalHost('Metadata.Google.Internal.'); // 'metadata.google.internal'
 * canonicalHost('bücher.example'); // 'xn--bcher-kva.example'
 */
export function canonicalHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (ipFamily(name) !== 0) return name;
  name = name.replace(/\.+$/, '');
  if (name === '') return '';
  return domainToASCII(name);
}

/**
 * Parses a list entry: a host name, an IP address, or a CIDR block. Throws an `Error`
 * whose message says what is wrong with it.
 *
 * @example
 * parseTargetEntry('10.0.0.0/8'); // { kind: 'block', address: '10.0.0.0', prefix: 8, type: 'ipv4' }
 */
export function parseTargetEntry(raw: string): TargetEntry {
  const entry = raw.trim();
  const slash = entry.indexOf('/');
  const before = slash === -1 ? entry : entry.slice(0, slash);
  if (/^[\d.]+$/.test(before) && ipFamily(before) === 0) {
    throw new Error(`"${entry}" is not a valid IPv4 address`);
  }
  const address = canonicalHost(before);
  const family = ipFamily(address);
  if (family !== 0) {
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (slash === -1) return { kind: 'block', address, prefix: undefined, type };
    const text = entry.slice(slash + 1);
    const prefix = Number(text);
    const max = family === 6 ? 128 : 32;
    if (!/^\d{1,3}$/.test(text) || prefix > max) {
      throw new Error(`"${entry}": the prefix length must be a whole number from 0 to ${max}`);
    }
    return { kind: 'block', address, prefix, type };
  }
  if (slash !== -1) throw new Error(`"${entry}": a CIDR block needs an IP address before "/"`);
  if (address === '' || !isHostName(address)) {
    throw new Error(`"${entry}" is neither a host name, an IP address nor a CIDR block`);
  }
  return { kind: 'host', host: address };
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

function isHostName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

/** The 8 groups of 16 bits of an IPv6 address. */
function groups(address: string): number[] {
  let text = address;
  // A trailing dotted IPv4 part stands for the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    const tail = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    text = text.slice(0, dotted.index) + tail;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * The IPv4 address an IPv6 address carries, in any of the forms that reach it: mapped
 * (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`), 6to4
 * (`2002:AABB:CCDD::/48`) and Teredo (`2001:0::/32`, the client's address inverted in the
 * last 32 bits). `null` for any other address.
 *
 * @example
 * embeddedIpv4('64:ff9b::a9fe:a9fe'); // '169.254.169.254'
 */
export function embeddedIpv4(address: string): string | null {
  if (ipFamily(address) !== 6) return null;
  const g = groups(address);
  if (g.length !== 8 || g.some((n) => Number.isNaN(n))) return null;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(5) && (g5 === 0xffff || g5 === 0) && (g6 !== 0 || g7 > 1)) return ipv4Of(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return ipv4Of(g6, g7);
  }
  if (g0 === 0x2002) return ipv4Of(g1, g2);
  if (g0 === 0x2001 && g1 === 0) return ipv4Of(g6 ^ 0xffff, g7 ^ 0xffff);
  return null;
}
