/** IPv4/IPv6 address and CIDR matching for the `IpFilter` filters (`{Cidr}`). */

/** A parsed CIDR block. */
export interface CidrBlock {
  readonly version: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const left = toGroups(halves[0] ?? "");
  const right = halves.length === 2 ? toGroups(halves[1] ?? "") : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** Parses an IP address; `undefined` when it is neither IPv4 nor IPv6. */
export function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128 block). */
export function parseCidr(text: string): CidrBlock | undefined {
  const [addr, len, extra] = text.split("/");
  if (addr === undefined || extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : Number.NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const shift = BigInt(bits - prefix);
  return { version: ip.version, network: (ip.value >> shift) << shift, prefix };
}

/** True when the address `text` lies inside `block`. */
export function cidrContains(block: CidrBlock, text: string): boolean {
  const ip = parseIp(text);
  if (!ip || ip.version !== block.version) return false;
  const shift = BigInt((block.version === 4 ? 32 : 128) - block.prefix);
  return (ip.value >> shift) << shift === block.network;
}
