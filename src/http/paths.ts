// Files shipped beside the code (openapi.yaml, the dashboard build), found from this module's
// location so that `tsx src/…` and `node dist/src/…` both work.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'openapi.yaml')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (openapi.yaml beside package.json)');
    dir = parent;
  }
}

export const projectRoot = findProjectRoot();
export const openapiPath = join(projectRoot, 'openapi.yaml');
