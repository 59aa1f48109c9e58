// Client sessions for exactly-once commands (thesis §6.3, H10). Raft alone applies a command once
// per log entry, and a client that retries a timed-out command may get it into the log twice. The
// table keeps, per client, the highest sequence number applied and its response: a retry of that
// number is answered from the table and never executed again; an older number is refused as stale.
// The table is part of the replicated state: it changes only when entries are applied, and sessions
// expire by the leader-assigned log time carried in the entries, so every replica evicts the same
// sessions at the same index.

import { assert } from "../lib/assert.js";
import type { ClientId } from "../types.js";

/** Limits and switches of a session table. */
export interface SessionConfig {
  /** Most sessions kept; beyond it the least recently active session is evicted. */
  readonly sessionsMax: number;
  /** A session idle for longer than this (in log time) is evicted. */
  readonly sessionExpiryMs: number;
  /** Mutant M8: when false, duplicates are executed again (no dedupe). Always true in production. */
  readonly dedupe: boolean;
}

/** Defaults: 10,000 sessions, one hour of log time. */
export function sessionConfigDefault(): SessionConfig {
  return { sessionsMax: 10_000, sessionExpiryMs: 60 * 60 * 1000, dedupe: true };
}

/** What applying a command through the table did. */
export type SessionOutcome<R> =
  | { readonly kind: "executed"; readonly response: R }
  | { readonly kind: "duplicate"; readonly response: R }
  | { readonly kind: "stale" }
  | { readonly kind: "expired" };

/** One client's session, linked into the table's activity order (oldest first). */
interface Session<R> {
  readonly client: ClientId;
  lastSequence: number;
  response: R;
  lastActiveMs: number;
  /** The session active just before this one, or null for the oldest. */
  older: Session<R> | null;
  /** The session active just after this one, or null for the newest. */
  newer: Session<R> | null;
}

/** The plain-data form of a table, for snapshots. */
export interface SessionTableData<R> {
  readonly sessions: readonly (readonly [string, number, R, number])[];
}

/**
 * The session table of one replicated state machine. Sessions sit in a map by client and, through
 * their own links, in a list ordered by last activity, which is also the order of `lastActiveMs`
 * because log time never goes back: expiry pops from the oldest end and eviction looks only at the
 * oldest ties, so both cost O(1) amortised per command instead of a scan of every session. A touch
 * relinks the session at the newest end and leaves the map alone: with many clients interleaving
 * (a client leases one session per request in flight), moving a Map key would cost a delete and an
 * insert per command and leave a dead slot behind each time.
 */
export class SessionTable<R> {
  private readonly sessions = new Map<ClientId, Session<R>>();
  /** The least recently active session (the first to expire or be evicted), or null when empty. */
  private oldest: Session<R> | null = null;
  /** The most recently active session, or null when empty. */
  private newest: Session<R> | null = null;

  constructor(private readonly config: SessionConfig) {
    assert(config.sessionsMax > 0, "sessionsMax must be positive");
    assert(config.sessionExpiryMs > 0, "sessionExpiryMs must be positive");
  }

  /**
   * Applies command `sequence` of `client` at log time `logTimeMs`, running `execute` only if it was
   * never applied. Sequence numbers start at 1; a client with no session and a sequence above 1 lost
   * its session (expired) and must open a new one under a new client id.
   */
  apply(client: ClientId, sequence: number, logTimeMs: number, execute: () => R): SessionOutcome<R> {
    assert(Number.isSafeInteger(sequence) && sequence >= 1, "sequence numbers start at 1");
    this.expire(logTimeMs);
    const session = this.sessions.get(client);
    if (this.config.dedupe) {
      if (session === undefined && sequence > 1) return { kind: "expired" };
      if (session !== undefined && sequence === session.lastSequence) {
        this.touch(session, logTimeMs);
        return { kind: "duplicate", response: session.response };
      }
      if (session !== undefined && sequence < session.lastSequence) return { kind: "stale" };
    }
    const response = execute();
    if (session === undefined) {
      this.evictForRoom();
      this.insertNewest(client, sequence, response, logTimeMs);
    } else {
      session.lastSequence = Math.max(session.lastSequence, sequence);
      session.response = response;
      this.touch(session, logTimeMs);
    }
    assert(this.sessions.size <= this.config.sessionsMax, "session table over its limit");
    return { kind: "executed", response };
  }

  /** Number of live sessions. */
  size(): number {
    return this.sessions.size;
  }

  /** The table as plain data (sorted, so equal tables give equal bytes). */
  toData(): SessionTableData<R> {
    const rows = [...this.sessions.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, s]) => [id as string, s.lastSequence, s.response, s.lastActiveMs] as const);
    return { sessions: rows };
  }

  /** Rebuilds a table from {@link toData} output. */
  static fromData<R>(config: SessionConfig, data: SessionTableData<R>): SessionTable<R> {
    const table = new SessionTable<R>(config);
    // Rebuild the activity order from the times (ties in id order; eviction does not depend on it).
    const rows = [...data.sessions].sort((a, b) => a[3] - b[3] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [id, lastSequence, response, lastActiveMs] of rows)
      table.insertNewest(id as ClientId, lastSequence, response, lastActiveMs);
    return table;
  }

  /** Adds a session for `client` as the most recently active one. */
  private insertNewest(client: ClientId, lastSequence: number, response: R, lastActiveMs: number): void {
    assert(this.newest === null || lastActiveMs >= this.newest.lastActiveMs, "activity order is time order");
    const session: Session<R> = {
      client,
      lastSequence,
      response,
      lastActiveMs,
      older: this.newest,
      newer: null,
    };
    if (this.newest === null) this.oldest = session;
    else this.newest.newer = session;
    this.newest = session;
    this.sessions.set(client, session);
  }

  /** Marks `session` active at `logTimeMs`: it moves to the newest end of the activity order. */
  private touch(session: Session<R>, logTimeMs: number): void {
    assert(logTimeMs >= session.lastActiveMs, "log time never goes back");
    session.lastActiveMs = logTimeMs;
    if (session === this.newest) return;
    this.unlink(session);
    session.older = this.newest;
    session.newer = null;
    this.newest!.newer = session;
    this.newest = session;
  }

  /** Takes `session` out of the activity order (not out of the map). */
  private unlink(session: Session<R>): void {
    if (session.older === null) this.oldest = session.newer;
    else session.older.newer = session.newer;
    if (session.newer === null) this.newest = session.older;
    else session.newer.older = session.older;
    session.older = null;
    session.newer = null;
  }

  /** Drops `session` from the table. */
  private remove(session: Session<R>): void {
    this.unlink(session);
    this.sessions.delete(session.client);
  }

  /** Evicts every session idle for longer than the expiry: they are all at the oldest end. */
  private expire(logTimeMs: number): void {
    const expiryMs = this.config.sessionExpiryMs;
    while (this.oldest !== null && logTimeMs - this.oldest.lastActiveMs > expiryMs) this.remove(this.oldest);
  }

  /**
   * Evicts the least recently active session when the table is full, ties broken by the smaller
   * id so that every replica (whatever order its list holds ties in) evicts the same one.
   */
  private evictForRoom(): void {
    if (this.sessions.size < this.config.sessionsMax) return;
    const oldest = this.oldest;
    if (oldest === null) return;
    let victim = oldest;
    for (let s = oldest.newer; s !== null && s.lastActiveMs === oldest.lastActiveMs; s = s.newer)
      if (s.client < victim.client) victim = s;
    this.remove(victim);
  }
}
