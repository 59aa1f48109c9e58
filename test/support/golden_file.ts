// Golden files of hex bodies: one "<name> <hex>" line each, '#' comment lines, blank lines ignored.
// The wire golden tests read and (with SHOAL_GOLDEN_REWRITE=1) rewrite them.

import { readFileSync, writeFileSync } from "node:fs";

/** The named hex bodies of the golden file at `path`. */
export function goldenRead(path: string): Map<string, string> {
  const entries = readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.split(" "));
  return new Map(entries.map(([name, hex]) => [name ?? "", hex ?? ""]));
}

/** Writes the golden file at `path`: the `header` comment lines, then one line per [name, hex]. */
export function goldenWrite(
  path: string,
  header: readonly string[],
  bodies: readonly [string, string][],
): void {
  const lines = bodies.map(([name, hex]) => `${name} ${hex}`);
  writeFileSync(path, [...header, ...lines, ""].join("\n"));
}
