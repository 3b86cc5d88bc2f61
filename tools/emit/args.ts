/**
 * Flag and environment parsing for `npm run emit`.
 *
 * Mirrors the upstream Go emitter: every setting can come from an
 * environment variable (same names) or a flag, and the flag wins. Go's flag
 * package accepts `-name value`, `-name=value` and `--name value`, so we do
 * too, which keeps copy-pasted upstream command lines working.
 */

/** The contract caps a request at 500 spans; a batch may overshoot `batch` by up to 4 (the rest of a 5-span trace). */
export const MAX_SPANS_PER_REQUEST = 500;
export const MAX_SPANS_PER_TRACE = 5;
export const MAX_BATCH = MAX_SPANS_PER_REQUEST - (MAX_SPANS_PER_TRACE - 1);

export interface EmitConfig {
  /** Base URL; a path prefix (e.g. http://host/api) is kept and prepended. */
  target: URL;
  workers: number;
  durationMs: number;
  windowMinutes: number;
  /** Probability that a trace's spans are shuffled before batching. */
  disorder: number;
  /** A batch is sent once it holds at least this many spans. */
  batch: number;
  /** Mean traces per second per worker, outside surges. */
  rate: number;
  verify: boolean;
  /** Probability that a batch is cut at exactly `batch` spans, splitting a trace across two requests. */
  straddle: number;
  /** Fixed seed for reproducible traffic (ids included); undefined = random. */
  seed: number | undefined;
  verifyConcurrency: number;
  verifyTimeoutMs: number;
}

export type ParseResult =
  | { kind: 'ok'; config: EmitConfig }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

type Env = Readonly<Record<string, string | undefined>>;

interface OptionSpec<K extends keyof EmitConfig> {
  key: K;
  flag: string;
  env?: string;
  boolean?: boolean;
  meta: string;
  help: string;
  defaultText: string;
  parse(raw: string): EmitConfig[K] | string; // a string result is an error message
}

const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_RE = /^\+?\d+$/;

function parseNumber(raw: string): number | undefined {
  const t = raw.trim();
  if (!DECIMAL_RE.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function intIn(lo: number, hi: number) {
  return (raw: string): number | string => {
    const t = raw.trim();
    const n = INTEGER_RE.test(t) ? Number(t) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < lo || n > hi) return `expected an integer between ${lo} and ${hi}, got ${JSON.stringify(raw)}`;
    return n;
  };
}

function numberIn(lo: number, hi: number, { exclusiveLo = false } = {}) {
  return (raw: string): number | string => {
    const n = parseNumber(raw);
    const tooLow = n === undefined || (exclusiveLo ? n <= lo : n < lo);
    if (n === undefined || tooLow || n > hi) {
      const range = exclusiveLo ? `greater than ${lo} and at most ${hi}` : `between ${lo} and ${hi}`;
      return `expected a number ${range}, got ${JSON.stringify(raw)}`;
    }
    return n;
  };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART_RE = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Go-style durations (`60s`, `2m`, `500ms`, `1m30s`, `1.5h`) or a bare
 * number of seconds (`60`, `0.5`). Returns milliseconds, or undefined when
 * the text is not a duration.
 */
export function parseDuration(raw: string): number | undefined {
  const t = raw.trim();
  if (t === '') return undefined;
  if (/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(t)) return Number(t) * 1000;
  let pos = 0;
  let total = 0;
  while (pos < t.length) {
    DURATION_PART_RE.lastIndex = pos;
    const m = DURATION_PART_RE.exec(t);
    if (m === null) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos += m[0].length;
  }
  return total;
}

function durationIn(loMs: number, hiMs: number) {
  return (raw: string): number | string => {
    const ms = parseDuration(raw);
    if (ms === undefined) return `expected a duration like 60s, 2m, 500ms or a number of seconds, got ${JSON.stringify(raw)}`;
    if (ms < loMs || ms > hiMs) return `duration ${JSON.stringify(raw)} is out of range (${loMs}ms to ${hiMs / 3_600_000}h)`;
    return ms;
  };
}

function parseBool(raw: string): boolean | string {
  switch (raw.trim().toLowerCase()) {
    case '1':
    case 't':
    case 'true':
    case 'yes':
    case 'on':
      return true;
    case '0':
    case 'f':
    case 'false':
    case 'no':
    case 'off':
      return false;
    default:
      return `expected true or false, got ${JSON.stringify(raw)}`;
  }
}

function parseTarget(raw: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return `expected an http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(raw)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https targets are supported, got ${JSON.stringify(raw)}`;
  if (url.search !== '' || url.hash !== '') return `the target must not carry a query or fragment, got ${JSON.stringify(raw)}`;
  if (url.username !== '' || url.password !== '') return 'the target must not embed credentials';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function spec<K extends keyof EmitConfig>(s: OptionSpec<K>): OptionSpec<K> {
  return s;
}

const OPTIONS = [
  spec({ key: 'target', flag: 'target', env: 'TARGET_URL', meta: 'URL', help: 'Base URL of the collector', defaultText: 'http://127.0.0.1:8080', parse: parseTarget }),
  spec({ key: 'workers', flag: 'workers', env: 'WORKERS', meta: 'N', help: 'Concurrent workers', defaultText: '20', parse: intIn(1, 1000) }),
  spec({ key: 'durationMs', flag: 'duration', env: 'DURATION', meta: 'DUR', help: 'How long to emit (60s, 2m, 500ms, or seconds)', defaultText: '60s', parse: durationIn(1, 24 * 3_600_000) }),
  spec({ key: 'windowMinutes', flag: 'window', env: 'WINDOW_MINUTES', meta: 'MIN', help: "Rolling window in minutes; must match the server's", defaultText: '30', parse: numberIn(0, 525_600, { exclusiveLo: true }) }),
  spec({ key: 'disorder', flag: 'disorder', env: 'OUT_OF_ORDER_PROB', meta: 'P', help: "Probability a trace's spans are shuffled", defaultText: '0.3', parse: numberIn(0, 1) }),
  spec({ key: 'batch', flag: 'batch', env: 'BATCH_SIZE', meta: 'N', help: `Spans per request (a batch is sent at >= N spans; max ${MAX_BATCH})`, defaultText: '10', parse: intIn(1, MAX_BATCH) }),
  spec({ key: 'rate', flag: 'rate', env: 'RATE_PER_WORKER', meta: 'R', help: 'Mean traces/second per worker (Poisson), 4x during surges', defaultText: '5', parse: numberIn(0, 100_000, { exclusiveLo: true }) }),
  spec({ key: 'verify', flag: 'verify', env: 'VERIFY', boolean: true, meta: 'BOOL', help: 'Verify the server strictly after emission', defaultText: 'true', parse: parseBool }),
  spec({ key: 'straddle', flag: 'straddle', env: 'STRADDLE_PROB', meta: 'P', help: 'Probability a batch is cut mid-trace so the trace spans two requests', defaultText: '0.2', parse: numberIn(0, 1) }),
  spec({ key: 'seed', flag: 'seed', env: 'EMIT_SEED', meta: 'N', help: 'Seed for reproducible traffic, ids included', defaultText: 'random', parse: intIn(0, 0xffffffff) }),
  spec({ key: 'verifyConcurrency', flag: 'verify-concurrency', meta: 'N', help: 'Verification requests in flight', defaultText: '16', parse: intIn(1, 256) }),
  spec({ key: 'verifyTimeoutMs', flag: 'verify-timeout', meta: 'DUR', help: 'Give up verifying after this long', defaultText: '5m', parse: durationIn(1000, 24 * 3_600_000) }),
] as const;

type AnySpec = OptionSpec<keyof EmitConfig>;

const DEFAULTS: EmitConfig = {
  target: new URL('http://127.0.0.1:8080'),
  workers: 20,
  durationMs: 60_000,
  windowMinutes: 30,
  disorder: 0.3,
  batch: 10,
  rate: 5,
  verify: true,
  straddle: 0.2,
  seed: undefined,
  verifyConcurrency: 16,
  verifyTimeoutMs: 300_000,
};

export const USAGE = [
  'Usage: npm run emit -- [flags]',
  '',
  'Generates Traced-contract span traffic against a collector, then verifies it strictly.',
  'Every flag may also be given as --flag=value or -flag value; flags override environment variables.',
  '',
  'Flags:',
  ...OPTIONS.map((o: AnySpec) => {
    const left = `  --${o.flag} ${o.meta}`.padEnd(28);
    const env = o.env === undefined ? '' : `, env ${o.env}`;
    return `${left}${o.help} (default ${o.defaultText}${env})`;
  }),
  `  ${'--help'.padEnd(26)}Print this help`,
  '',
  'Exit status: 0 all checks passed, 1 delivery or verification failed, 2 bad flags.',
].join('\n');

function findOption(name: string): AnySpec | undefined {
  return (OPTIONS as readonly AnySpec[]).find((o) => o.flag === name);
}

function assign(config: EmitConfig, option: AnySpec, value: EmitConfig[keyof EmitConfig]): void {
  (config as unknown as Record<string, unknown>)[option.key] = value;
}

export function parseArgs(argv: readonly string[], env: Env = {}): ParseResult {
  const config: EmitConfig = { ...DEFAULTS, target: new URL(DEFAULTS.target.href) };

  // Environment first, so that flags parsed afterwards override it. An empty
  // variable counts as unset, as with Go's os.Getenv-with-default idiom.
  for (const option of OPTIONS as readonly AnySpec[]) {
    if (option.env === undefined) continue;
    const raw = env[option.env];
    if (raw === undefined || raw.trim() === '') continue;
    const value = option.parse(raw);
    if (typeof value === 'string') return { kind: 'error', message: `environment variable ${option.env}: ${value}` };
    assign(config, option, value);
  }

  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') continue; // npm sometimes forwards its own separator
    const m = /^--?([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(arg);
    if (m === null) return { kind: 'error', message: `unexpected argument ${JSON.stringify(arg)} (flags look like --workers 20)` };
    const name = m[1]!;
    let inline = m[2];
    if (name === 'help' || name === 'h') return { kind: 'help' };

    let option = findOption(name);
    if (option === undefined && name.startsWith('no-')) {
      const negated = findOption(name.slice(3));
      if (negated?.boolean === true && inline === undefined) {
        option = negated;
        inline = 'false';
      }
    }
    if (option === undefined) return { kind: 'error', message: `unknown flag --${name} (see --help)` };

    let raw: string;
    if (inline !== undefined) {
      raw = inline;
    } else if (option.boolean === true) {
      // Go's `-verify` alone means true; `--verify false` must still work, so
      // the next word is its value unless it is another flag.
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        raw = next;
        i += 1;
      } else {
        raw = 'true';
      }
    } else {
      const next = argv[i + 1];
      if (next === undefined) return { kind: 'error', message: `flag --${name} needs a value` };
      raw = next;
      i += 1;
    }

    const value = option.parse(raw);
    if (typeof value === 'string') return { kind: 'error', message: `flag --${name}: ${value}` };
    assign(config, option, value);
  }

  return { kind: 'ok', config };
}
