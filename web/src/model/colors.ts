// One colour per service, the same in every view for as long as the page is open. Services get
// the palette's colours in turn (the first ones the most distinct), so up to 20 services never
// share one; the dashboard registers the sorted list of services as soon as it knows it, so the
// same set of services gets the same colours on every reload. A service never registered falls
// back to a hash of its name. Red is kept for errors.

// Ordered so that neighbours differ most: the first services seen get the most distinct colours.
const PALETTE = [
  '#4e9af1', // blue
  '#f5a524', // amber
  '#3ccf91', // green
  '#b38cff', // violet
  '#ff7ab6', // pink
  '#29c7d8', // cyan
  '#e0c341', // yellow
  '#ff9966', // orange
  '#a3d950', // lime
  '#7f8cff', // indigo
  '#d58cf0', // orchid
  '#c9a27a', // tan
  '#5ad1b3', // teal
  '#f06a8a', // rose
  '#8fb8ff', // sky
  '#c7d36f', // olive
  '#9a9cff', // periwinkle
  '#56b4e9', // azure
  '#6fd36f', // leaf
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
  const color = PALETTE.find((c) => !taken.has(c)) ?? PALETTE[hash(service) % PALETTE.length]!; // more services than colours: share
  taken.add(color);
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
