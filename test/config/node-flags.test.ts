// The collector's Node flags (src/node-flags.ts) are passed wherever it is started as users start
// it: `npm start` and the Docker image. V8 takes them only on the command line or in NODE_OPTIONS.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_NODE_FLAGS, missingNodeFlags } from '../../src/node-flags.js';

describe('the collector\'s Node flags', () => {
  it('are in npm start, npm run dev and the Docker image\'s command, before the script', () => {
    const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts as Record<string, string>;
    expect(scripts.start).toBe(`node ${COLLECTOR_NODE_FLAGS.join(' ')} dist/src/main.js`);
    expect(scripts.dev).toBe(`node ${COLLECTOR_NODE_FLAGS.join(' ')} --import tsx src/main.ts`);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))![1]!;
    expect(JSON.parse(cmd)).toEqual(['node', ...COLLECTOR_NODE_FLAGS, 'dist/src/main.js']);
  });

  it('are found missing unless given on the command line or in NODE_OPTIONS', () => {
    expect(COLLECTOR_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(missingNodeFlags([], undefined)).toEqual(COLLECTOR_NODE_FLAGS);
    expect(missingNodeFlags(['--import', 'tsx'], '--max-old-space-size=4096')).toEqual(COLLECTOR_NODE_FLAGS);
    expect(missingNodeFlags([...COLLECTOR_NODE_FLAGS], undefined)).toEqual([]);
    expect(missingNodeFlags([], ` --enable-source-maps  ${COLLECTOR_NODE_FLAGS.join(' ')} `)).toEqual([]);
    // The same flag spelled with underscores, given as two words, or with a larger value.
    expect(missingNodeFlags(['--max_semi_space_size=32'], undefined)).toEqual([]);
    expect(missingNodeFlags(['--max-semi-space-size', '64'], undefined)).toEqual([]);
    expect(missingNodeFlags([], '--max-semi-space-size=128')).toEqual([]);
    // A smaller one is not enough.
    expect(missingNodeFlags(['--max-semi-space-size=16'], undefined)).toEqual(['--max-semi-space-size=32']);
  });

  it('take effect when given: the young generation grows to twice the semi-space size', async () => {
    const { spawnSync } = await import('node:child_process');
    // Objects kept for a while, so that V8 grows its young generation to the limit.
    const script = `const v8=require('node:v8');const ring=new Array(150000);let max=0;for(let i=0;i<6e6;i++){ring[i%150000]={a:i,b:[i]};if(i%100000===0)max=Math.max(max,v8.getHeapSpaceStatistics().find(s=>s.space_name==='new_space').space_size)}console.log(max/1048576)`;
    const sizeMb = (flags: readonly string[]) => Number(spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }).stdout.trim());
    const semi = Number(/--max-semi-space-size=(\d+)/.exec(COLLECTOR_NODE_FLAGS.join(' '))![1]);
    expect(sizeMb(COLLECTOR_NODE_FLAGS)).toBe(2 * semi);
    expect(sizeMb([])).toBeLessThan(2 * semi);
  });
});
