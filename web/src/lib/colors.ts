// One colour per run, derived from its id alone: every view (table, charts, parallel
// coordinates, scatter, comparison) shows a run in the same colour without sharing state.
//
// A colour is a point in OKLCH (perceptually even lightness and chroma): the hue comes
// from the id's hash, the lightness/chroma from one of three levels that read on the
// light and on the dark theme. Hashing alone still lets two runs land close together,
// so where a set of runs is shown together (a chart, a comparison) `runColors` moves
// the later ones (in id order) along a golden-ratio sequence of hues and levels until
// every pair is visibly apart. The result depends only on the set, so the same set
// gets the same colours in every view; a run alone keeps its own colour.

/**
 * (lightness, chroma) levels, all readable on both themes' backgrounds. A run's own
 * colour uses one of the first three (vivid); the softer two only make room when many
 * runs are shown together.
 */
const LEVELS: readonly [number, number][] = [
  [0.64, 0.16],
  [0.54, 0.14],
  [0.74, 0.13],
  [0.59, 0.08],
  [0.69, 0.07],
];
const OWN_LEVELS = 3;
const GOLDEN = 0.6180339887498949;
const PROBES = 96;

/** FNV-1a 32-bit hash of a string. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3's finaliser: spreads FNV's weak low bits over the whole word. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Spec {
  hue: number; // 0..1 of the colour circle
  level: number; // index into LEVELS
}

export interface Lab {
  L: number;
  a: number;
  b: number;
}

interface Colour {
  hex: string;
  lab: Lab;
}

function toLinear(L: number, a: number, b: number): [number, number, number] {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
  ];
}

const inGamut = (rgb: number[]) => rgb.every((v) => v >= -1e-4 && v <= 1 + 1e-4);

function hex2(v: number): string {
  const c = Math.max(0, Math.min(1, v));
  const s = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(s * 255)
    .toString(16)
    .padStart(2, "0");
}

/** The sRGB colour of a spec; chroma is lowered until it fits the sRGB gamut. */
function render(spec: Spec): Colour {
  const [L, C0] = LEVELS[spec.level];
  const angle = spec.hue * 2 * Math.PI;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let lo = 0;
  let hi = C0;
  if (!inGamut(toLinear(L, C0 * cos, C0 * sin))) {
    for (let i = 0; i < 14; i++) {
      const mid = (lo + hi) / 2;
      if (inGamut(toLinear(L, mid * cos, mid * sin))) lo = mid;
      else hi = mid;
    }
    hi = lo;
  }
  const [r, g, b] = toLinear(L, hi * cos, hi * sin);
  const hex = `#${hex2(r)}${hex2(g)}${hex2(b)}`;
  return { hex, lab: labOf(hex) }; // of the rounded colour: what is actually drawn
}

function baseSpec(id: string): Spec {
  const h = mix(hash(id));
  return { hue: (h & 0xfffff) / 0x100000, level: (h >>> 20) % OWN_LEVELS };
}

/** The j-th alternative to a run's own colour (j = 0 is the colour itself). */
function probe(base: Spec, j: number): Spec {
  return { hue: (base.hue + j * GOLDEN) % 1, level: (base.level + j) % LEVELS.length };
}

/** Euclidean distance in OKLab: about 0.02 is the smallest difference one notices. */
export function distance(x: Lab, y: Lab): number {
  return Math.hypot(x.L - y.L, x.a - y.a, x.b - y.b);
}

/** How far apart the colours of `n` runs shown together are kept (OKLab units). */
export function minSeparation(n: number): number {
  return Math.min(0.12, 0.33 / Math.max(1, n) ** 0.62);
}

const cache = new Map<string, Colour>();

function own(id: string): Colour {
  let c = cache.get(id);
  if (!c) {
    if (cache.size > 20_000) cache.clear();
    c = render(baseSpec(id));
    cache.set(id, c);
  }
  return c;
}

/** A run's own colour (`#rrggbb`), the same in every view. */
export function runColor(id: string): string {
  return own(id).hex;
}

/** OKLab coordinates of a `#rrggbb` colour (for tests and distance checks). */
export function labOf(hexColor: string): Lab {
  const lin = [1, 3, 5].map((i) => {
    const v = parseInt(hexColor.slice(i, i + 2), 16) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const [r, g, b] = lin;
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return {
    L: 0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    a: 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    b: 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  };
}

/**
 * Colours for a set of runs shown together: each run keeps its own colour unless it
 * would be too close to one given to a run earlier in id order, in which case it takes
 * the first alternative far enough from all of them (or, failing that, the farthest).
 * Depends only on the set of ids, never on their order.
 */
export function runColors(ids: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const sep = minSeparation(sorted.length);
  const placed: Lab[] = [];
  const out = new Map<string, string>();
  for (const id of sorted) {
    const base = baseSpec(id);
    let best: Colour | null = null;
    let bestGap = -1;
    for (let j = 0; j < PROBES; j++) {
      const c = j === 0 ? own(id) : render(probe(base, j));
      let gap = Infinity;
      for (const p of placed) gap = Math.min(gap, distance(p, c.lab));
      if (gap > bestGap) {
        best = c;
        bestGap = gap;
      }
      if (gap >= sep) break;
    }
    placed.push(best!.lab);
    out.set(id, best!.hex);
  }
  return out;
}

/** `#rrggbb` with an alpha, for faint raw lines and bands. */
export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.max(0, Math.min(1, alpha)) * 255)
    .toString(16)
    .padStart(2, "0");
  return `${hex}${a}`;
}
