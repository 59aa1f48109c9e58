// The replicated KV register map used by the Raft simulation and CP maps: read, write and
// compare-and-set on integer registers, applied through the session table so that every command
// takes effect exactly once. Commands travel in log entries as UTF-8 JSON with the client id, the
// sequence number and the leader-assigned log time (H11: the leader stamps it, never a follower).

import { assert } from "../lib/assert.js";
import type { ClientId } from "../types.js";
import { type SessionConfig, type SessionOutcome, SessionTable, type SessionTableData } from "./sessions.js";

/** One KV command. */
export type KvCommand =
  | { readonly op: "read"; readonly key: string }
  | { readonly op: "write"; readonly key: string; readonly value: number }
  | { readonly op: "cas"; readonly key: string; readonly expected: number | null; readonly value: number };

/** The result of a command: `ok` false only for a CAS whose expected value did not match. */
export interface KvResponse {
  readonly ok: boolean;
  /** The value read, or the value before a CAS. */
  readonly value: number | null;
}

/** A command as it travels in a log entry. */
export interface KvEnvelope {
  readonly client: ClientId;
  readonly sequence: number;
  readonly logTimeMs: number;
  readonly command: KvCommand;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes an envelope for a log entry. */
export function encodeKvEnvelope(envelope: KvEnvelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

/** Decodes an envelope from a log entry; null for an entry that is not a KV command (the no-op). */
export function decodeKvEnvelope(data: Uint8Array): KvEnvelope | null {
  if (data.length === 0) return null;
  const parsed = JSON.parse(decoder.decode(data)) as KvEnvelope;
  assert(typeof parsed.client === "string" && Number.isSafeInteger(parsed.sequence), "malformed KV envelope");
  return parsed;
}

/** The KV register map with its session table. Deterministic: equal logs give equal states. */
export class KvMachine {
  private readonly registers = new Map<string, number>();
  constructor(
    sessionConfig: SessionConfig,
    private readonly sessions = new SessionTable<KvResponse>(sessionConfig),
  ) {}

  /** Applies one envelope exactly once per (client, sequence). */
  apply(envelope: KvEnvelope): SessionOutcome<KvResponse> {
    return this.sessions.apply(envelope.client, envelope.sequence, envelope.logTimeMs, () =>
      this.execute(envelope.command),
    );
  }

  /** Reads a register without going through the log (for ReadIndex reads after applied >= index). */
  read(key: string): number | null {
    return this.registers.get(key) ?? null;
  }

  /** The whole state as bytes (sorted, so equal states give equal bytes). */
  snapshot(): Uint8Array {
    const registers = [...this.registers.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    return encoder.encode(JSON.stringify({ registers, sessions: this.sessions.toData() }));
  }

  /** Rebuilds a machine from {@link snapshot} bytes (empty bytes: the initial state). */
  static restore(sessionConfig: SessionConfig, bytes: Uint8Array): KvMachine {
    if (bytes.length === 0) return new KvMachine(sessionConfig);
    const data = JSON.parse(decoder.decode(bytes)) as {
      registers: [string, number][];
      sessions: SessionTableData<KvResponse>;
    };
    const machine = new KvMachine(sessionConfig, SessionTable.fromData(sessionConfig, data.sessions));
    for (const [key, value] of data.registers) machine.registers.set(key, value);
    return machine;
  }

  private execute(command: KvCommand): KvResponse {
    const current = this.registers.get(command.key) ?? null;
    switch (command.op) {
      case "read":
        return { ok: true, value: current };
      case "write":
        this.registers.set(command.key, command.value);
        return { ok: true, value: command.value };
      case "cas":
        if (current !== command.expected) return { ok: false, value: current };
        this.registers.set(command.key, command.value);
        return { ok: true, value: current };
    }
  }
}
