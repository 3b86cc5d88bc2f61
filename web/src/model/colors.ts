// One colour per service, the same in every view. A hash of the name picks a preferred slot in a
// palette chosen to stay distinct on the dark background; when that slot is already taken by
// another service, the next free one is used, so up to 20 services never share a colour. The
// dashboard registers the sorted service list as soon as it knows it, which makes the assignment
// the same on every reload of the same data. Red is kept for errors.

const PALETTE = [
  '#4e9af1', // blue
  '#3ccf91', // green
  '#f5a524', // amber
  '#b38cff', // violet
  '#29c7d8', // cyan
  '#ff7ab6', // pink
  '#a3d950', // lime
  '#ff9966', // orange
  '#7f8cff', // indigo
  '#e0c341', // yellow
  '#5ad1b3', // teal
  '#d58cf0', // orchid
  '#8fb8ff', // sky
  '#c9a27a', // tan
  '#f06a8a', // rose
  '#6fd36f', // leaf
  '#c7d36f', // olive
  '#9a9cff', // periwinkle
  '#56b4e9', // azure
  '#e69f00', // ochre
];

export const ERROR_COLOR = '#ff4d4f';
export const OK_COLOR = '#4e9af1';

function hash(text: string): number {
  // FNV-1a: cheap and well spread for short names.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const assigned = new Map<string, string>();
const taken = new Set<string>();

function assign(service: string): string {
  const start = hash(service) % PALETTE.length;
  for (let k = 0; k < PALETTE.length; k++) {
    const color = PALETTE[(start + k) % PALETTE.length]!;
    if (!taken.has(color)) {
      taken.add(color);
      assigned.set(service, color);
      return color;
    }
  }
  const color = PALETTE[start]!; // more services than colours: share
  assigned.set(service, color);
  return color;
}

export function serviceColor(service: string): string {
  return assigned.get(service) ?? assign(service);
}

/** Gives colours to services not seen yet, in name order (stable across reloads). */
export function registerServices(services: Iterable<string>): void {
  for (const s of [...services].sort()) if (!assigned.has(s)) assign(s);
}

/** `#rrggbb` with an alpha, as `rgba(…)`. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
