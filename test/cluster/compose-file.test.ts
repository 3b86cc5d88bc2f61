// docker-compose.cluster.yml cannot be run here (no Docker engine), so what can be checked without
// one is: it parses (merge keys resolved as Compose resolves them); three nats-servers with
// JetStream on, each routed to the other two and healthchecked; every collector's environment is
// read by src/config.ts (a misspelt variable would be silently ignored by the collector) and
// loads into cluster mode with NATS_REPLICAS=3 over those three servers, under a NODE_ID of its
// own and an ADVERTISE_URL naming its own service.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(new URL('../../docker-compose.cluster.yml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const natsServers = services.filter(([, s]) => s.image?.startsWith('nats:'));
const collectors = services.filter(([, s]) => s.build !== undefined);

/** A variable as Compose hands it over when the shell does not set it: `${NAME:-default}` is the default. */
function interpolated(value: string | number): string {
  return String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

/** The names loadConfig reads from an environment, whatever it then does with them. */
function namesRead(env: Record<string, string>): { read: Set<string>; config: ReturnType<typeof loadConfig> } {
  const read = new Set<string>();
  const spy = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  return { read, config: loadConfig(spy) };
}

describe('docker-compose.cluster.yml', () => {
  it('runs three nats-servers of the 2.9 image with JetStream on, routed to one another, healthchecked', () => {
    expect(natsServers.map(([name]) => name).sort()).toEqual(['nats-1', 'nats-2', 'nats-3']);
    for (const [name, service] of natsServers) {
      expect(service.image, name).toMatch(/^nats:2\.9(-alpine)?$/);
      const command = service.command!;
      expect(command, name).toContain('--jetstream');
      expect(command[command.indexOf('--name') + 1], name).toBe(name);
      expect(command[command.indexOf('--cluster_name') + 1], name).toBe('traced');
      const routes = command[command.indexOf('--routes') + 1]!.split(',').sort();
      expect(routes, name).toEqual(natsServers.map(([other]) => other).filter((other) => other !== name).map((other) => `nats://${other}:6222`).sort());
      expect(service.healthcheck?.test.join(' '), name).toContain('/healthz');
    }
  });

  it('runs collectors from the Dockerfile whose every variable src/config.ts reads, in cluster mode at R=3 over the three servers', () => {
    expect(collectors.length).toBeGreaterThanOrEqual(2);
    const ids = new Set<string>();
    for (const [name, service] of collectors) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolated(value)]));
      const { read, config } = namesRead(env);
      expect(Object.keys(env).filter((key) => !read.has(key)), `${name}: variables src/config.ts does not read`).toEqual([]);
      expect(config.cluster, name).toBeDefined();
      expect(config.cluster!.replicas, name).toBe(3);
      expect(config.cluster!.natsUrls.sort(), name).toEqual(natsServers.map(([server]) => `nats://${server}:4222`).sort());
      expect(config.cluster!.advertiseUrl, name).toBe(`http://${name}:${config.port}`);
      ids.add(config.cluster!.nodeId);
      expect(service.healthcheck?.test.join(' '), name).toContain(`127.0.0.1:${config.port}/health`);
      expect(service.ports?.some((port) => port.endsWith(`:${config.port}`)), name).toBe(true);
      expect(Object.keys(service.depends_on ?? {}).sort(), name).toEqual(natsServers.map(([server]) => server).sort());
    }
    expect(ids.size, 'NODE_IDs').toBe(collectors.length);
  });
});
