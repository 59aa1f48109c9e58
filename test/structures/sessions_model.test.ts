// Goal: the session table's O(1) expiry and eviction (activity-ordered map) decide exactly what the
// plain definition does: expire every session idle longer than the expiry, and when full evict the
// least recently active session, ties to the smaller id; and a replica restored from a snapshot
// mid-way then decides the same as one that lived through it. Method: fast-check drives commands
// with non-decreasing log times (many ties) through the table, a reference model written the
// obvious O(n) way, and a table rebuilt from toData() at a random step; all three must agree on
// every outcome and on the final data.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SessionConfig, type SessionOutcome, SessionTable } from "../../src/structures/sessions.js";
import type { ClientId } from "../../src/types.js";

interface RefSession {
  lastSequence: number;
  response: number;
  lastActiveMs: number;
}

/** The definition, with scans: what the table must decide. */
class ReferenceTable {
  readonly sessions = new Map<string, RefSession>();
  constructor(private readonly config: SessionConfig) {}

  apply(client: string, sequence: number, logTimeMs: number, response: number): SessionOutcome<number> {
    for (const [id, s] of [...this.sessions])
      if (logTimeMs - s.lastActiveMs > this.config.sessionExpiryMs) this.sessions.delete(id);
    const session = this.sessions.get(client);
    if (session === undefined && sequence > 1) return { kind: "expired" };
    if (session !== undefined && sequence === session.lastSequence) {
      session.lastActiveMs = logTimeMs;
      return { kind: "duplicate", response: session.response };
    }
    if (session !== undefined && sequence < session.lastSequence) return { kind: "stale" };
    if (session === undefined) {
      if (this.sessions.size >= this.config.sessionsMax) {
        const victim = [...this.sessions].sort(
          ([a, x], [b, y]) => x.lastActiveMs - y.lastActiveMs || (a < b ? -1 : 1),
        )[0]![0];
        this.sessions.delete(victim);
      }
      this.sessions.set(client, { lastSequence: sequence, response, lastActiveMs: logTimeMs });
    } else {
      session.lastSequence = sequence;
      session.response = response;
      session.lastActiveMs = logTimeMs;
    }
    return { kind: "executed", response };
  }

  rows(): [string, number, number, number][] {
    return [...this.sessions]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, s]) => [id, s.lastSequence, s.response, s.lastActiveMs]);
  }
}

const command = fc.record({
  client: fc.integer({ min: 0, max: 7 }),
  sequenceStep: fc.integer({ min: -1, max: 2 }),
  timeStep: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 })),
});

describe("SessionTable expiry and eviction", () => {
  it("decides as the scanning definition does, also after a restore from its data", () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 120 }), fc.nat(), (commands, restoreAt) => {
        const config: SessionConfig = { sessionsMax: 4, sessionExpiryMs: 100, dedupe: true };
        const live = new SessionTable<number>(config);
        let restored: SessionTable<number> | null = null;
        const reference = new ReferenceTable(config);
        const sequences = new Map<number, number>();
        let logTimeMs = 0;
        for (const [step, c] of commands.entries()) {
          if (step === restoreAt % commands.length) restored = SessionTable.fromData(config, live.toData());
          logTimeMs += c.timeStep;
          const sequence = Math.max(1, (sequences.get(c.client) ?? 0) + c.sequenceStep);
          sequences.set(c.client, sequence);
          const client = `c${c.client}` as ClientId;
          const expected = reference.apply(client, sequence, logTimeMs, step);
          expect(live.apply(client, sequence, logTimeMs, () => step)).toEqual(expected);
          if (restored !== null)
            expect(restored.apply(client, sequence, logTimeMs, () => step)).toEqual(expected);
        }
        expect(live.toData().sessions).toEqual(reference.rows());
        if (restored !== null) expect(restored.toData()).toEqual(live.toData());
      }),
      { numRuns: 1_000 },
    );
  });
});
