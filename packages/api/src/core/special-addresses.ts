import { isIP } from 'node:net';

/*
 * The IANA special-purpose address registries (IPv4: RFC 6890 and updates; IPv6: the same), as
 * the outbound address guard needs them: an address is public only when it is globally reachable.
 * IPv6 forms that carry an IPv4 address (mapped, translated, NAT64, 6to4, and the deprecated
 * IPv4-compatible form) are judged by the IPv4 address inside, so [::ffff:127.0.0.1],
 * [64:ff9b::a9fe:a9fe] and [2002:7f00:1::] are refused like 127.0.0.1 and 169.254.169.254.
 */

type Range = readonly [bytes: readonly number[], prefixBits: number];

// Not globally reachable, or not unicast: never a legitimate upstream.
const IPV4_SPECIAL: readonly Range[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // shared address space (carrier-grade NAT)
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local, cloud metadata (169.254.169.254)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation (TEST-NET-1)
  [[192, 31, 196, 0], 24], // AS112-v4
  [[192, 52, 193, 0], 24], // AMT
  [[192, 88, 99, 0], 24], // deprecated 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[192, 175, 48, 0], 24], // direct delegation AS112
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation (TEST-NET-2)
  [[203, 0, 113, 0], 24], // documentation (TEST-NET-3)
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, and 255.255.255.255 (limited broadcast)
];

// IPv6 ranges refused outright (the IPv4-carrying forms are handled before these are looked at).
const IPV6_SPECIAL: readonly Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96], // ::/96: unspecified, loopback, deprecated IPv4-compatible
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48], // 64:ff9b:1::/48 local-use NAT64
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // 100::/64 discard-only
  [[0x20, 0x01, 0x00, 0x00], 23], // 2001::/23 IETF protocol assignments (Teredo, ORCHID, benchmarking…)
  [[0x20, 0x01, 0x0d, 0xb8], 32], // 2001:db8::/32 documentation
  [[0x3f, 0xff, 0x00], 20], // 3fff::/20 documentation
  [[0x5f, 0x00], 16], // 5f00::/16 segment routing SIDs
  [[0xfc], 7], // fc00::/7 unique local
  [[0xfe, 0x80], 10], // fe80::/10 link-local
  [[0xfe, 0xc0], 10], // fec0::/10 deprecated site-local
  [[0xff], 8], // ff00::/8 multicast
];

function inRange(address: readonly number[], [network, prefixBits]: Range): boolean {
  for (let bit = 0; bit < prefixBits; bit += 8) {
    const i = bit / 8;
    const width = Math.min(8, prefixBits - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((address[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** The 16 bytes of an IPv6 address (zone id dropped, an IPv4 tail allowed); null when it is not one. */
export function parseIpv6(text: string): number[] | null {
  const address = text.replace(/%.*$/, '').toLowerCase();
  if (isIP(address) !== 6) return null;
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const words: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return null;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        words.push(parseInt(piece, 16));
      }
    }
    return words;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  if (!left || !right) return null;
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const words = [...left, ...Array<number>(zeros).fill(0), ...right];
  if (words.length !== 8) return null;
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

function prefixIs(bytes: readonly number[], prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** The IPv4 address an IPv6 address stands for (mapped, translated, NAT64, 6to4), if any. */
function embeddedIpv4(bytes: readonly number[]): number[] | null {
  const tail = bytes.slice(12, 16);
  if (prefixIs(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) return tail; // ::ffff:0:0/96 mapped
  if (prefixIs(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0])) return tail; // ::ffff:0:0:0/96 translated
  if (prefixIs(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return tail; // 64:ff9b::/96 NAT64
  if (prefixIs(bytes, [0x20, 0x02])) return bytes.slice(2, 6); // 2002::/16 6to4
  return null;
}

function ipv4IsSpecial(bytes: readonly number[]): boolean {
  return IPV4_SPECIAL.some((range) => inRange(bytes, range));
}

/**
 * Whether an IP address (v4 or v6, brackets allowed) is anything but a globally reachable unicast
 * address. A string that is not an IP address is not judged here (false): names are resolved first.
 */
export function isSpecialPurposeAddress(address: string): boolean {
  const text = address.replace(/^\[|\]$/g, '');
  const v4 = parseIpv4(text);
  if (v4) return ipv4IsSpecial(v4);
  const v6 = parseIpv6(text);
  if (!v6) return false;
  const inner = embeddedIpv4(v6);
  if (inner) return ipv4IsSpecial(inner);
  return IPV6_SPECIAL.some((range) => inRange(v6, range));
}

/** Whether a host name (not an address) names this machine or the local network by convention. */
export function isLocalName(hostname: string): boolean {
  // A trailing dot is the same name, fully qualified: `localhost.` is localhost.
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  return name === '' || name === 'localhost' || name.endsWith('.localhost') || name.endsWith('.local') || name.endsWith('.internal');
}
