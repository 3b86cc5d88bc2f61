// .env.example is what people copy: every setting in it, commented out or not, must start the collector.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('.env.example', () => {
  it('loads, with its commented settings switched on too', () => {
    const env: Record<string, string> = {};
    for (const line of readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n')) {
      const m = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m !== null) env[m[1]!] = m[2]!;
    }
    expect(Object.keys(env).length).toBeGreaterThan(10);
    expect(() => loadConfig(env)).not.toThrow();
  });
});
