// Goal: keep the layering of DESIGN.md true even if lint is skipped. Method: read every source
// file, extract its import specifiers with a regex, and fail on (1) a pure core (protocol/,
// structures/, lib/) that imports node: modules or env/, runtime/, platform/, sim/, or names a
// forbidden global (Date.now, timers, Math.random, crypto, performance, process, WeakRef);
// (2) runtime/ importing platform/ or sim/; (3) a circular import anywhere under src/.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..", "src");

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  // `from` must follow a space or a brace, so a string such as `"from" | "to"` in a type is no import.
  const pattern = /(?:import|export)\s[^;]*?[\s}]from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const match of text.matchAll(pattern)) specifiers.push((match[1] ?? match[2])!);
  return specifiers;
}

function resolveLocal(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  return resolve(dirname(fromFile), specifier.replace(/\.js$/, ".ts"));
}

const files = sourceFiles(root);
const pureFolders = ["protocol", "structures", "lib"].map((name) => join(root, name));
const isPure = (file: string) => pureFolders.some((folder) => file.startsWith(folder + "/"));
const forbiddenFolders = ["env", "runtime", "platform", "sim"].map((name) => join(root, name));
const forbiddenGlobals = [
  /\bDate\.now\s*\(/,
  /\bnew\s+Date\s*\(/,
  /\bMath\.random\s*\(/,
  /\bsetTimeout\s*\(/,
  /\bsetInterval\s*\(/,
  /\bsetImmediate\s*\(/,
  /\bqueueMicrotask\s*\(/,
  /\bperformance\./,
  /\bprocess\./,
  /\bcrypto\./,
  /\bWeakRef\b/,
  /\bFinalizationRegistry\b/,
  /\brequire\s*\(/,
];

describe("layering (DESIGN.md rule 1)", () => {
  it("finds the source tree", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it("keeps pure cores free of node:, env/, runtime/, platform/ and sim/ imports", () => {
    const violations: string[] = [];
    for (const file of files.filter(isPure)) {
      for (const specifier of importsOf(stripComments(readFileSync(file, "utf8")))) {
        const target = resolveLocal(file, specifier);
        const bad =
          specifier.startsWith("node:") ||
          (target === null && !isAllowedPackage(specifier)) ||
          (target !== null && forbiddenFolders.some((folder) => target.startsWith(folder + "/")));
        if (bad) violations.push(`${relative(root, file)} imports ${specifier}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps pure cores free of time, timers, randomness and process globals", () => {
    const violations: string[] = [];
    for (const file of files.filter(isPure)) {
      const text = stripComments(readFileSync(file, "utf8"));
      for (const pattern of forbiddenGlobals) {
        if (pattern.test(text)) violations.push(`${relative(root, file)} uses ${pattern.source}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("keeps runtime/ independent of platform/ and sim/", () => {
    const violations: string[] = [];
    for (const file of files.filter((f) => f.startsWith(join(root, "runtime") + "/"))) {
      for (const specifier of importsOf(stripComments(readFileSync(file, "utf8")))) {
        const target = resolveLocal(file, specifier);
        if (target === null) continue;
        if (target.startsWith(join(root, "platform") + "/") || target.startsWith(join(root, "sim") + "/")) {
          violations.push(`${relative(root, file)} imports ${specifier}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("has no circular imports", () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const targets = importsOf(stripComments(readFileSync(file, "utf8")))
        .map((specifier) => resolveLocal(file, specifier))
        .filter((target): target is string => target !== null);
      graph.set(file, targets);
    }
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (file: string): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        const start = stack.indexOf(file);
        cycles.push([...stack.slice(start), file].map((f) => relative(root, f)).join(" -> "));
        return;
      }
      state.set(file, "visiting");
      stack.push(file);
      for (const target of graph.get(file) ?? []) visit(target);
      stack.pop();
      state.set(file, "done");
    };
    for (const file of files) visit(file);
    expect(cycles).toEqual([]);
  });
});

/** Pure cores may use these pure libraries from npm, and nothing else. */
function isAllowedPackage(specifier: string): boolean {
  return ["msgpackr"].includes(specifier);
}
