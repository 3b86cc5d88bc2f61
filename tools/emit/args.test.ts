import { describe, expect, it } from 'vitest';
import { MAX_BATCH, parseArgs, parseDuration, type EmitConfig, type ParseResult } from './args.js';

function ok(result: ParseResult): EmitConfig {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.config;
}

function error(result: ParseResult): string {
  if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`);
  return result.message;
}

describe('parseDuration', () => {
  it.each([
    ['60s', 60_000],
    ['2m', 120_000],
    ['500ms', 500],
    ['60', 60_000],
    ['0.5', 500],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250us', 0.25],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', 's', '10x', '1e3', '-5s', '5 s', '1m-30s', 'sixty'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parseArgs', () => {
  it('has the upstream defaults', () => {
    const c = ok(parseArgs([], {}));
    expect(c.target.href).toBe('http://127.0.0.1:8080/');
    expect(c).toMatchObject({ workers: 20, durationMs: 60_000, windowMinutes: 30, disorder: 0.3, batch: 10, rate: 5, verify: true, seed: undefined });
  });

  it('parses the documented command line', () => {
    const c = ok(
      parseArgs(
        ['--workers', '20', '--duration', '60s', '--window', '30', '--disorder', '0.3', '--batch', '10', '--rate', '5', '--target', 'http://127.0.0.1:9090'],
        {},
      ),
    );
    expect(c).toMatchObject({ workers: 20, durationMs: 60_000, windowMinutes: 30, disorder: 0.3, batch: 10, rate: 5 });
    expect(c.target.origin).toBe('http://127.0.0.1:9090');
  });

  it('accepts Go-style and --name=value spellings', () => {
    const c = ok(parseArgs(['-workers', '3', '--rate=2.5', '-duration=2m', '--verify=false'], {}));
    expect(c).toMatchObject({ workers: 3, rate: 2.5, durationMs: 120_000, verify: false });
  });

  it('reads the environment and lets flags win', () => {
    const env = {
      TARGET_URL: 'http://10.0.0.1:8081',
      WORKERS: '7',
      DURATION: '90',
      WINDOW_MINUTES: '5',
      OUT_OF_ORDER_PROB: '0.5',
      BATCH_SIZE: '25',
      RATE_PER_WORKER: '2',
      VERIFY: 'false',
    };
    const fromEnv = ok(parseArgs([], env));
    expect(fromEnv).toMatchObject({ workers: 7, durationMs: 90_000, windowMinutes: 5, disorder: 0.5, batch: 25, rate: 2, verify: false });
    expect(fromEnv.target.origin).toBe('http://10.0.0.1:8081');

    const flagged = ok(parseArgs(['--workers', '2', '--verify', 'true', '--target', 'http://127.0.0.1:1'], env));
    expect(flagged).toMatchObject({ workers: 2, verify: true, batch: 25 });
    expect(flagged.target.origin).toBe('http://127.0.0.1:1');
  });

  it('treats an empty environment variable as unset', () => {
    expect(ok(parseArgs([], { WORKERS: '' })).workers).toBe(20);
  });

  it('handles --verify as a bare boolean flag', () => {
    expect(ok(parseArgs(['--verify'], { VERIFY: 'false' })).verify).toBe(true);
    expect(ok(parseArgs(['--verify', '--workers', '2'], {})).verify).toBe(true);
    expect(ok(parseArgs(['--verify', 'false'], {})).verify).toBe(false);
    expect(ok(parseArgs(['--no-verify'], {})).verify).toBe(false);
  });

  it('keeps a path prefix and drops a trailing slash', () => {
    expect(ok(parseArgs(['--target', 'http://127.0.0.1:8080/api/'], {})).target.pathname).toBe('/api');
  });

  it('returns help', () => {
    expect(parseArgs(['--workers', '2', '--help'], {}).kind).toBe('help');
    expect(parseArgs(['-h'], {}).kind).toBe('help');
  });

  it.each([
    [['--workers', '0'], '--workers'],
    [['--workers', '2.5'], '--workers'],
    [['--workers', 'many'], '--workers'],
    [['--duration', '10x'], '--duration'],
    [['--duration', '0s'], '--duration'],
    [['--disorder', '1.5'], '--disorder'],
    [['--disorder', '-0.1'], '--disorder'],
    [['--batch', '0'], '--batch'],
    [['--batch', String(MAX_BATCH + 1)], '--batch'],
    [['--rate', '0'], '--rate'],
    [['--rate', 'NaN'], '--rate'],
    [['--window', '0'], '--window'],
    [['--verify', 'maybe'], '--verify'],
    [['--target', 'ftp://host'], '--target'],
    [['--target', 'not a url'], '--target'],
    [['--target', 'http://h:1/?q=1'], '--target'],
    [['--seed', '-1'], '--seed'],
    [['--frobnicate', '1'], '--frobnicate'],
    [['--rate'], '--rate'],
    [['stray'], 'stray'],
  ])('rejects %j naming %s', (argv, name) => {
    expect(error(parseArgs(argv, {}))).toContain(name);
  });

  it('names the environment variable when it is bad', () => {
    expect(error(parseArgs([], { OUT_OF_ORDER_PROB: 'often' }))).toContain('OUT_OF_ORDER_PROB');
    expect(error(parseArgs([], { DURATION: 'forever' }))).toContain('DURATION');
  });

  it('does not let a bad environment variable hide behind a flag-less default', () => {
    // Even when the flag is given, a malformed env var is reported: silent
    // fallbacks make a misconfigured CI job look fine.
    expect(parseArgs(['--workers', '3'], { WORKERS: 'x' }).kind).toBe('error');
  });
});
