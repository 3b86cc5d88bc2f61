import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import { NonRecordingSpan, type Span } from './span.js';

/**
 * The active span, carried through async work by one AsyncLocalStorage shared by every tracer in
 * the process (two tracers for two services still form one trace when one calls the other).
 */
const storage = new AsyncLocalStorage<Span | undefined>();

/**
 * Stored as the active span while the SDK does its own I/O (exporting), so instrumented `fetch`
 * or http inside that work records nothing: the exporter must never trace itself.
 */
const SUPPRESSED: Span = new NonRecordingSpan();

/** The span active in the current async context, if any. */
export function getActiveSpan(): Span | undefined {
  const span = storage.getStore();
  return span === SUPPRESSED ? undefined : span;
}

/** Runs `fn` with `span` active (or none, for undefined) in it and in all async work it starts. */
export function withSpan<A extends unknown[], R>(span: Span | undefined, fn: (...args: A) => R, ...args: A): R {
  return storage.run(span, fn, ...args);
}

/** Runs `fn` with tracing suppressed: tracers hand out non-recording spans inside it. */
export function suppressTracing<R>(fn: () => R): R {
  return storage.run(SUPPRESSED, fn);
}

export function isTracingSuppressed(): boolean {
  return storage.getStore() === SUPPRESSED;
}

/** @internal The raw store, for the tracer's parent lookup (distinguishes suppression). */
export function activeStoreSpan(): Span | undefined {
  return storage.getStore();
}

/** @internal */
export function isSuppressedSpan(span: Span | undefined): boolean {
  return span === SUPPRESSED;
}

type Listener = (...args: unknown[]) => unknown;
// once / prependOnceListener call this.on / this.prependListener with their own wrapper, so
// patching these three covers them; the once-wrapper's `.listener` is copied onto ours so that
// removeListener(original) still finds it.
const ADD_METHODS = ['addListener', 'on', 'prependListener'] as const;
const REMOVE_METHODS = ['removeListener', 'off'] as const;

/**
 * Makes listeners later added to `emitter` run with `span` active.
 *
 * Why: Node emits an incoming request's 'end' (and a response's 'finish') from the HTTP parser's
 * async context, which was created before the request listener ran, so a span made active inside
 * the listener is lost in `req.on('end', ...)` callbacks. OpenTelemetry binds emitters the same
 * way. Listeners are wrapped once each and the wrapper is remembered so removeListener still works.
 */
export function bindEmitterToSpan<E extends EventEmitter>(emitter: E, span: Span): E {
  const wrappers = new WeakMap<Listener, Listener>();
  const target = emitter as unknown as Record<string, (event: string | symbol, listener: Listener) => unknown>;
  for (const method of ADD_METHODS) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = function (this: unknown, event: string | symbol, listener: Listener) {
      if (typeof listener !== 'function') return original.call(this, event, listener);
      let wrapper = wrappers.get(listener);
      if (wrapper === undefined) {
        wrapper = function (this: unknown, ...args: unknown[]) {
          return storage.run(span, () => listener.apply(this, args));
        };
        const inner = (listener as { listener?: unknown }).listener;
        if (inner !== undefined) (wrapper as { listener?: unknown }).listener = inner;
        wrappers.set(listener, wrapper);
      }
      return original.call(this, event, wrapper);
    };
  }
  for (const method of REMOVE_METHODS) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = function (this: unknown, event: string | symbol, listener: Listener) {
      return original.call(this, event, wrappers.get(listener) ?? listener);
    };
  }
  return emitter;
}
