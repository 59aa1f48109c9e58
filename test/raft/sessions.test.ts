// Goal: the exactly-once layer above Raft (H10). Method: apply commands through the session table
// and the KV machine as a log would deliver them, including the same (client, sequence) committed
// twice after a leader change, and check that the second copy is answered from the table and never
// executed; that eviction is deterministic in log time; and that the M8 mutant (no dedupe) does
// execute the duplicate, so the simulation has something to catch.

import { describe, expect, it } from "vitest";
import { KvMachine } from "../../src/structures/kv_machine.js";
import { sessionConfigDefault, SessionTable } from "../../src/structures/sessions.js";
import { clientId } from "../../src/types.js";

const c1 = clientId("c1");

describe("session table (H10)", () => {
  it("answers a retried command from the table and never executes it twice", () => {
    const table = new SessionTable<number>(sessionConfigDefault());
    let executions = 0;
    const first = table.apply(c1, 1, 0, () => ++executions);
    const retry = table.apply(c1, 1, 10, () => ++executions);
    expect(first).toEqual({ kind: "executed", response: 1 });
    expect(retry).toEqual({ kind: "duplicate", response: 1 });
    expect(executions).toBe(1);
    expect(table.apply(c1, 2, 20, () => ++executions)).toEqual({ kind: "executed", response: 2 });
    expect(table.apply(c1, 1, 30, () => ++executions)).toEqual({ kind: "stale" });
    expect(executions).toBe(2);
  });

  it("applies an increment once when the log holds it twice (the h10 scenario)", () => {
    const machine = new KvMachine(sessionConfigDefault());
    const envelope = {
      client: c1,
      sequence: 1,
      logTimeMs: 5,
      command: { op: "cas", key: "k", expected: null, value: 1 },
    } as const;
    expect(machine.apply(envelope)).toEqual({ kind: "executed", response: { ok: true, value: null } });
    expect(machine.apply({ ...envelope, logTimeMs: 9 })).toEqual({
      kind: "duplicate",
      response: { ok: true, value: null },
    });
    expect(machine.read("k")).toBe(1);
  });

  it("evicts by log time, identically on every replica, and refuses an expired session", () => {
    const config = { sessionsMax: 2, sessionExpiryMs: 100, dedupe: true };
    const replicas = [new SessionTable<string>(config), new SessionTable<string>(config)];
    for (const table of replicas) {
      table.apply(clientId("a"), 1, 0, () => "a1");
      table.apply(clientId("b"), 1, 50, () => "b1");
      table.apply(clientId("c"), 1, 60, () => "c1"); // Full: evicts a, the least recently active.
      expect(table.size()).toBe(2);
      expect(table.apply(clientId("a"), 2, 70, () => "a2")).toEqual({ kind: "expired" });
      expect(table.apply(clientId("b"), 2, 300, () => "b2")).toEqual({ kind: "expired" }); // Idle > 100 ms.
    }
    expect(replicas[0]!.toData()).toEqual(replicas[1]!.toData());
  });

  it("round-trips the machine through a snapshot", () => {
    const machine = new KvMachine(sessionConfigDefault());
    machine.apply({ client: c1, sequence: 1, logTimeMs: 1, command: { op: "write", key: "x", value: 7 } });
    const restored = KvMachine.restore(sessionConfigDefault(), machine.snapshot());
    expect(restored.read("x")).toBe(7);
    expect(restored.snapshot()).toEqual(machine.snapshot());
    const retry = restored.apply({
      client: c1,
      sequence: 1,
      logTimeMs: 2,
      command: { op: "write", key: "x", value: 7 },
    });
    expect(retry.kind).toBe("duplicate");
  });

  it("executes duplicates under mutant M8", () => {
    const table = new SessionTable<number>({ ...sessionConfigDefault(), dedupe: false });
    let executions = 0;
    table.apply(c1, 1, 0, () => ++executions);
    table.apply(c1, 1, 1, () => ++executions);
    expect(executions).toBe(2);
  });
});
