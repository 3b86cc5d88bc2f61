// The layers of src/, checked on the import statements of every .ts file under it (whatever files
// there are): a file imports files of its own layer or lower ones only; no files, and no folders
// of src/, import each other in a cycle; codec/ imports nothing but node built-ins and itself (the
// SDK builds on it); and nothing under src/ imports the SDK's sources by path.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Folders of src/, lowest layer first; '.' is the files directly in src/ (app.ts, main.ts,
 * config.ts). A folder may import its own layer and the ones before it; a folder missing here is
 * a failure, so a new one gets a place on purpose.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['time', 'codec'],
  // zipkin/ decodes and maps a foreign protocol like otlp/, and is read only by http/.
  ['ingest', 'otlp', 'zipkin'],
  ['store', 'logs'],
  ['sampling'],
  // The ingest log wraps the store's writer and the log store (what sampling wraps too) and
  // replays into them; http answers its StorageError and shows its replay progress.
  ['ingest-log'],
  // Several collectors as one: JetStream in the ingest log's place (its record codec and
  // StorageError), leases, one store per owned partition (sampling wraps each), and the peers
  // asked over HTTP as sources of the store's merge; http serves their internal routes and shows
  // the node's view, app builds it.
  ['cluster'],
  ['http'],
  // grpc/ serves OTLP/gRPC beside http/, through http/'s admission control and export step.
  ['grpc'],
  ['.'],
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const srcDir = join(root, 'src');
const sdkDir = join(root, 'sdk');

/** Every file's imports: paths of the files it imports (relative specifiers) or package names. */
type ImportGraph = Map<string, { files: string[]; packages: string[]; unresolved: string[] }>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importGraph(files: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const entry = { files: [] as string[], packages: [] as string[], unresolved: [] as string[] };
    // The compiler's own scanner: type-only imports, re-exports and import() count, comments do not.
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!specifier.startsWith('.')) {
        entry.packages.push(specifier);
        continue;
      }
      const target = resolve(dirname(file), specifier);
      const candidates = [target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.tsx'), target];
      const found = candidates.find((path) => existsSync(path) && statSync(path).isFile());
      if (found === undefined) entry.unresolved.push(specifier);
      else entry.files.push(found);
    }
    graph.set(file, entry);
  }
  return graph;
}

/** The folder of src/ a file belongs to ('.' for the files directly in src/), or undefined outside src/. */
function folderOf(file: string): string | undefined {
  const path = relative(srcDir, file);
  if (path.startsWith('..')) return undefined;
  const parts = path.split(sep);
  return parts.length === 1 ? '.' : parts[0];
}

function layerOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

const show = (file: string) => relative(root, file).split(sep).join('/');

/** The strongly connected components with more than one member (or a self-edge): the cycles. */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Every broken rule, one line each; empty when the graph keeps them all. */
function violations(graph: ImportGraph): string[] {
  const problems: string[] = [];
  const fileEdges = new Map<string, string[]>();
  const folderEdges = new Map<string, Set<string>>();
  for (const [file, { files, packages, unresolved }] of graph) {
    const folder = folderOf(file)!;
    const layer = layerOf(folder);
    if (layer < 0) problems.push(`${show(file)}: src/${folder}/ is in no layer (add it to LAYERS)`);
    for (const specifier of unresolved) problems.push(`${show(file)} imports ${specifier}, which is not a file`);
    if (folder === 'codec') {
      for (const name of packages) if (!name.startsWith('node:')) problems.push(`${show(file)} imports ${name}: codec/ takes node built-ins only`);
    }
    fileEdges.set(file, files.filter((target) => graph.has(target)));
    for (const target of files) {
      if (target.startsWith(sdkDir + sep)) problems.push(`${show(file)} imports ${show(target)}: src/ must not import the SDK by path`);
      const targetFolder = folderOf(target);
      if (targetFolder === undefined) continue;
      if (folder === 'codec' && targetFolder !== 'codec') problems.push(`${show(file)} imports ${show(target)}: codec/ imports nothing of ours`);
      const targetLayer = layerOf(targetFolder);
      if (layer >= 0 && targetLayer > layer) {
        problems.push(`${show(file)} (${folder}) imports ${show(target)} (${targetFolder}), a higher layer`);
      }
      if (targetFolder !== folder) {
        if (!folderEdges.has(folder)) folderEdges.set(folder, new Set());
        folderEdges.get(folder)!.add(targetFolder);
      }
    }
  }
  for (const cycle of cycles(fileEdges)) problems.push(`files import each other in a cycle: ${cycle.map(show).join(', ')}`);
  const folderGraph = new Map([...folderEdges].map(([folder, targets]) => [folder, [...targets]]));
  for (const cycle of cycles(folderGraph)) problems.push(`folders of src/ import each other in a cycle: ${cycle.join(', ')}`);
  return problems;
}

/** A graph from `path: imports` pairs under src/ (relative specifiers, .js as in the sources). */
function graphOf(files: Record<string, string[]>): ImportGraph {
  const graph: ImportGraph = new Map();
  const abs = (path: string) => join(srcDir, path);
  for (const [path, imports] of Object.entries(files)) {
    graph.set(abs(path), {
      files: imports.filter((name) => name.startsWith('.')).map((name) => resolve(dirname(abs(path)), name).replace(/\.js$/, '.ts')),
      packages: imports.filter((name) => !name.startsWith('.')),
      unresolved: [],
    });
  }
  return graph;
}

describe('the layers of src/', () => {
  it('are kept by every import under src/', () => {
    const files = tsFiles(srcDir);
    expect(files.length).toBeGreaterThan(0);
    expect(violations(importGraph(files))).toEqual([]);
  });

  it('are broken by an import from a higher layer', () => {
    const graph = graphOf({ 'ingest/a.ts': ['../store/b.js'], 'store/b.ts': [] });
    expect(violations(graph)).toEqual(['src/ingest/a.ts (ingest) imports src/store/b.ts (store), a higher layer']);
  });

  it('are broken by a cycle between files of one folder, and between folders of one layer', () => {
    const graph = graphOf({ 'store/a.ts': ['./b.js'], 'store/b.ts': ['./a.js'], 'logs/c.ts': ['../store/a.js'], 'store/d.ts': ['../logs/c.js'] });
    expect(violations(graph)).toEqual([
      'files import each other in a cycle: src/store/a.ts, src/store/b.ts',
      'folders of src/ import each other in a cycle: logs, store',
    ]);
  });

  it('are broken by codec/ importing a package or a file of ours, by an import of the SDK, and by a folder in no layer', () => {
    const graph = graphOf({ 'codec/a.ts': ['fastify', 'node:buffer', '../time/b.js'], 'time/b.ts': [], 'otlp/c.ts': ['../../sdk/src/ids.js'], 'extra/d.ts': [] });
    expect(violations(graph)).toEqual([
      'src/codec/a.ts imports fastify: codec/ takes node built-ins only',
      'src/codec/a.ts imports src/time/b.ts: codec/ imports nothing of ours',
      'src/otlp/c.ts imports sdk/src/ids.ts: src/ must not import the SDK by path',
      'src/extra/d.ts: src/extra/ is in no layer (add it to LAYERS)',
    ]);
  });
});
