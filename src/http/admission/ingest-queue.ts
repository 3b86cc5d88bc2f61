// The ingest queue: where admitted ingest requests wait, after their headers are read and before
// their body is parsed and stored, so that queries never wait behind ingest and the wait itself
// can be measured.
//
// Node reads every socket that is ready in one poll phase and, left alone, would parse and store
// each batch right there: a query arriving behind 256 batches waits for all of them, and a wait
// spent in the kernel's socket buffers is invisible to the process. Here the poll phase only reads
// and queues ingest requests (queries are answered at once), and the queue is worked from
// setImmediate callbacks, at most TURN_BUDGET_MS of it per loop turn, before Node polls again.
// The time each request spent here is the queueing delay the shed controller acts on.
//
// Node runs process.nextTick and promise jobs between two setImmediate callbacks, so a request
// released in one callback has been parsed and stored (unless its body is still arriving) by the
// time the next callback reads the clock. One callback is armed per queued request, up to
// MAX_ARMED; those left when the budget is spent do nothing, and the last of them arms the next
// turn. Callbacks armed during the check phase run in the next loop turn, after a poll.

import type { ShedController } from './shed-controller.js';

/** Work per loop turn before Node polls sockets again: the longest a query waits behind ingest. */
export const TURN_BUDGET_MS = 2;
const MAX_ARMED = 64;

/** Called when the request leaves the queue: `overdue` means it waited too long to be worked. */
export type Release = (overdue: boolean) => void;

export class IngestQueue {
  private releases: Array<Release | undefined> = [];
  private enqueuedAt: number[] = [];
  private head = 0;
  /** When each turn began that is the first after some queued request's arrival, oldest first. */
  private turnStarts: number[] = [];
  private turnHead = 0;
  private armed = 0;
  /** When the current turn's first callback ran; -1 between turns. */
  private turnStartedAt = -1;
  private readonly step = (): void => this.runStep();

  constructor(
    private readonly controller: ShedController,
    private readonly now: () => number = () => performance.now(),
    private readonly turnBudgetMs = TURN_BUDGET_MS,
  ) {}

  get length(): number {
    return this.releases.length - this.head;
  }

  /** How long the request at the head has waited so far (0 when none waits). */
  oldestWaitingMs(nowMs: number): number {
    return this.head < this.enqueuedAt.length ? nowMs - this.enqueuedAt[this.head]! : 0;
  }

  /** The start of the first turn at or after `atMs`; turns before it are forgotten (the queue is FIFO). */
  private firstTurnAfter(atMs: number): number | undefined {
    const starts = this.turnStarts;
    while (this.turnHead < starts.length && starts[this.turnHead]! < atMs) this.turnHead++;
    return this.turnHead < starts.length ? starts[this.turnHead] : undefined;
  }

  enqueue(release: Release): void {
    this.releases.push(release);
    this.enqueuedAt.push(this.now());
    this.arm();
  }

  private arm(): void {
    const wanted = Math.min(this.length, MAX_ARMED);
    while (this.armed < wanted) {
      this.armed++;
      setImmediate(this.step);
    }
  }

  private runStep(): void {
    this.armed--;
    const now = this.now();
    if (this.turnStartedAt < 0) {
      this.turnStartedAt = now;
      this.turnStarts.push(now);
    }
    if (this.head < this.releases.length && now - this.turnStartedAt < this.turnBudgetMs) {
      const release = this.releases[this.head]!;
      const enqueuedAt = this.enqueuedAt[this.head]!;
      const sojourn = now - enqueuedAt;
      // What is overdue is the wait behind other ingest: from the first turn after the request
      // arrived (this one, if it arrived in the poll phase just ended). The poll phase before that
      // turn is Node reading every ready socket; at several times capacity, with a thousand
      // connections, it ran 25–125 ms of refusals, so that nearly every batch admitted early in
      // it was read, queued and then refused as overdue at its first turn.
      const behind = now - (this.firstTurnAfter(enqueuedAt) ?? enqueuedAt);
      this.releases[this.head] = undefined;
      this.head++;
      this.compact();
      this.controller.observeSojourn(sojourn);
      // A release that throws must not stall the queue for everyone behind it.
      try {
        release(this.controller.overdue(behind));
      } finally {
        this.endTurnIfLast();
      }
      return;
    }
    this.endTurnIfLast();
  }

  private endTurnIfLast(): void {
    if (this.armed > 0) return;
    this.turnStartedAt = -1;
    this.arm();
  }

  /** Drops released entries once they are most of the arrays. */
  private compact(): void {
    if (this.head === this.releases.length) {
      this.releases.length = 0;
      this.enqueuedAt.length = 0;
      this.head = 0;
      this.turnStarts.length = 0;
      this.turnHead = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.releases.length) {
      this.releases.splice(0, this.head);
      this.enqueuedAt.splice(0, this.head);
      this.head = 0;
      this.turnStarts.splice(0, this.turnHead);
      this.turnHead = 0;
    }
  }
}
