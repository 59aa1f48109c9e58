// Goal: pin the Raft core's behaviour in every hazard H1–H12 and every Figure 2 rule with golden
// scenario scripts (T4), reviewed by hand. Method: each test/raft/testdata/*.txt is a list of
// commands, each followed by `----` and its expected output; the interpreter (interaction_env.ts)
// runs them and checks cross-member invariants after every command. `SHOAL_REWRITE=1` rewrites the
// expected outputs; review the diff before committing.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type Command, InteractionEnv } from "./interaction_env.js";

const folder = resolve(import.meta.dirname, "testdata");
const rewrite = process.env["SHOAL_REWRITE"] === "1";

interface Block {
  readonly comments: readonly string[];
  readonly command: string;
  readonly expected: string;
}

function parse(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split("\n");
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("#")) {
      comments.push(line);
      continue;
    }
    if (line.trim() === "") continue;
    if (lines[i + 1] !== "----") throw new Error(`line ${i + 1}: a command must be followed by ----`);
    const output: string[] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j] !== ""; j++) output.push(lines[j]!);
    blocks.push({ comments, command: line, expected: output.join("\n") });
    comments = [];
    i = j;
  }
  return blocks;
}

function parseCommand(line: string): Command {
  const words = line.trim().split(/\s+/);
  const args: string[] = [];
  const options = new Map<string, string>();
  for (const word of words.slice(1)) {
    const equals = word.indexOf("=");
    if (equals > 0) options.set(word.slice(0, equals), word.slice(equals + 1));
    else if (["lose-unsynced", "tear-last-write"].includes(word)) options.set(word, "true");
    else args.push(word);
  }
  return { name: words[0]!, args, options };
}

function render(blocks: readonly Block[], outputs: readonly string[]): string {
  const parts: string[] = [];
  blocks.forEach((block, i) => {
    const head = block.comments.length > 0 ? `${block.comments.join("\n")}\n` : "";
    parts.push(`${head}${block.command}\n----\n${outputs[i] === "" ? "ok" : outputs[i]}\n`);
  });
  return parts.join("\n");
}

const files = readdirSync(folder)
  .filter((name) => name.endsWith(".txt"))
  .sort();

describe("raft scenario scripts (T4)", () => {
  it("has a script per hazard", () => {
    for (let h = 1; h <= 12; h++) expect(files.some((name) => name.startsWith(`h${h}_`))).toBe(true);
  });

  for (const name of files) {
    it(name, () => {
      const path = join(folder, name);
      const text = readFileSync(path, "utf8");
      expect(text.startsWith("#"), "a script opens with # lines stating its scenario").toBe(true);
      const blocks = parse(text);
      const env = new InteractionEnv();
      const outputs: string[] = [];
      let failure: unknown = null;
      for (const block of blocks) {
        try {
          outputs.push(env.run(parseCommand(block.command)));
        } catch (error) {
          outputs.push(`error: ${(error as Error).message}`);
          failure = error;
          break;
        }
      }
      if (rewrite) {
        writeFileSync(path, render(blocks.slice(0, outputs.length), outputs));
        if (failure !== null) throw failure;
        return;
      }
      if (failure !== null) throw failure;
      blocks.forEach((block, i) => {
        const actual = outputs[i] === "" ? "ok" : outputs[i];
        expect(actual, `${name}: ${block.command}`).toBe(block.expected);
      });
    });
  }
});
