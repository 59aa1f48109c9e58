// `shoal status`: reads /api/status from a member's admin endpoint and prints the members and the
// groups as tables, or the JSON itself with --json (the same document /api/status serves).

import type { Command } from "commander";
import type { AdminStatus } from "../admin/index.js";

/** Most time `shoal status` waits for the admin endpoint. */
const statusTimeoutMs = 5_000;

/** Fetches the status of the member whose admin endpoint is `endpoint` (HOST:PORT). */
export async function statusFetch(endpoint: string): Promise<AdminStatus> {
  const response = await fetch(`http://${endpoint}/api/status`, {
    signal: AbortSignal.timeout(statusTimeoutMs),
  });
  if (!response.ok) throw new Error(`${endpoint}/api/status answered ${response.status}`);
  return (await response.json()) as AdminStatus;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Renders a status as text tables. */
export function statusRender(status: AdminStatus): string {
  const members = status.members.map((m) => [m.nodeId, m.address, m.adminAddress, m.state]);
  const groups = status.groups.map((g) => [
    String(g.group),
    g.partition === null ? "config" : String(g.partition),
    g.role,
    g.leader ?? "-",
    String(g.term),
    String(g.commit),
    String(g.applied),
  ]);
  const leaders = status.groups.filter((g) => g.role === "leader").length;
  return [
    `member ${status.nodeId} at ${status.address} in cluster ${status.clusterName}: ${status.ready ? "ready" : "not ready"}, ${status.groups.length} groups, leads ${leaders}`,
    "",
    ...table(["NODE", "ADDRESS", "ADMIN", "STATE"], members),
    "",
    ...table(["GROUP", "PARTITION", "ROLE", "LEADER", "TERM", "COMMIT", "APPLIED"], groups),
    "",
  ].join("\n");
}

/** Registers `shoal status`. */
export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("show a member's view of the cluster (from its admin endpoint)")
    .option("--endpoint <host:port>", "the member's admin address", "127.0.0.1:7071")
    .option("--json", "print the JSON document of /api/status")
    .action(async (flags: { endpoint: string; json?: boolean }) => {
      try {
        const status = await statusFetch(flags.endpoint);
        process.stdout.write(
          flags.json === true ? `${JSON.stringify(status, null, 2)}\n` : statusRender(status),
        );
      } catch (error) {
        process.stderr.write(`shoal status: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
