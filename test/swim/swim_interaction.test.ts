// Goal: readable, reviewable scenarios of the SWIM core, in the style of etcd raft's interaction
// tests: each testdata/*.txt file is a script of commands, each followed by `----` and the exact
// output the core must produce (packets, events, views). A behaviour change shows up as a diff of
// these files. Method: a tiny interpreter drives SwimMember cores with a synchronous network; run
// with SHOAL_REWRITE=1 to regenerate the expected outputs, then review the diff.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Prng } from "../../src/lib/prng.js";
import {
  describeMembershipEvent,
  describeSwimMessage,
  type Outbound,
  SwimMember,
  swimConfigLan,
  swimConfigWithoutLifeguard,
  type Update,
} from "../../src/protocol/swim/index.js";
import { type Address, address, nodeId } from "../../src/types.js";

const folder = join(import.meta.dirname, "testdata");
const isRewrite = process.env["SHOAL_REWRITE"] === "1";

interface Block {
  readonly comments: string[];
  readonly command: string;
  readonly expected: string[];
}

function parseScript(text: string): Block[] {
  const blocks: Block[] = [];
  for (const chunk of text.split(/\n\s*\n/)) {
    const lines = chunk.split("\n").filter((line) => line.length > 0);
    if (lines.length === 0) continue;
    const separator = lines.indexOf("----");
    const head = separator < 0 ? lines : lines.slice(0, separator);
    blocks.push({
      comments: head.filter((line) => line.startsWith("#")),
      command: head.filter((line) => !line.startsWith("#")).join(" "),
      expected: separator < 0 ? [] : lines.slice(separator + 1),
    });
  }
  return blocks;
}

function parseUpdate(text: string): Update {
  const [kind, member, incarnation, from] = text.split(":");
  const base = { member: nodeId(member!), incarnation: Number(incarnation) };
  if (kind === "alive") return { kind, ...base, address: address(member!), metadata: new Uint8Array(0) };
  if (kind === "suspect" || kind === "dead") return { kind, ...base, from: nodeId(from!) };
  if (kind === "left") return { kind, ...base };
  throw new Error(`bad update ${text}`);
}

class Interpreter {
  private readonly members = new Map<string, SwimMember>();

  run(command: string): string[] {
    const [verb, ...args] = command.split(/\s+/);
    const options = Object.fromEntries(args.filter((arg) => arg.includes("=")).map((arg) => arg.split("=")));
    const words = args.filter((arg) => !arg.includes("="));
    switch (verb) {
      case "member":
        return this.add(words[0]!, options);
      case "gossip": {
        const target = this.member(words[0]!);
        target.step(address(options["from"] ?? "x"), {
          kind: "gossip",
          source: nodeId(options["from"] ?? "x"),
          piggyback: words.slice(1).map(parseUpdate),
        });
        return this.deliver();
      }
      case "self": {
        const member = this.member(words[0]!);
        return [`${member.id} incarnation=${member.incarnation} health=${member.healthScore}`];
      }
      case "tick": {
        const output: string[] = [];
        for (let i = 0; i < Number(options["count"] ?? 1); i++) {
          for (const name of words) this.member(name).tick();
          output.push(...this.deliver());
        }
        return output;
      }
      case "view":
        return this.member(words[0]!)
          .memberViews()
          .map((view) => `${view.member} ${view.state} incarnation=${view.incarnation}`);
      default:
        throw new Error(`unknown command ${verb}`);
    }
  }

  private add(name: string, options: Record<string, string>): string[] {
    const lan = swimConfigLan(100);
    const config = options["lifeguard"] === "off" ? swimConfigWithoutLifeguard(lan) : lan;
    const member = new SwimMember({
      id: nodeId(name),
      address: address(name),
      config,
      prng: Prng.derive(1, name),
      incarnation: Number(options["incarnation"] ?? 0),
      metadata: new Uint8Array(0),
      seeds: (options["seeds"] ?? "")
        .split(",")
        .filter((seed) => seed.length > 0)
        .map(address),
    });
    this.members.set(name, member);
    return [`${name} incarnation=${member.incarnation}`];
  }

  private member(name: string): SwimMember {
    const member = this.members.get(name);
    if (member === undefined) throw new Error(`unknown member ${name}`);
    return member;
  }

  /** Delivers packets between scripted members until quiet; packets to others are shown and lost. */
  private deliver(): string[] {
    const output: string[] = [];
    for (let round = 0; round < 20; round++) {
      const packets: { from: Address; packet: Outbound }[] = [];
      for (const member of this.members.values()) {
        for (const packet of member.takeOutbox()) packets.push({ from: member.address, packet });
        output.push(...member.takeEvents().map((event) => `${member.id}: ${describeMembershipEvent(event)}`));
      }
      if (packets.length === 0) return output;
      for (const { from, packet } of packets) {
        output.push(`${from}->${packet.to} ${describeSwimMessage(packet.message)}`);
        this.members.get(packet.to)?.step(from, packet.message);
      }
    }
    throw new Error("delivery did not go quiet");
  }
}

function render(blocks: readonly Block[], outputs: readonly string[][]): string {
  return `${blocks
    .map((block, i) =>
      [...block.comments, block.command, "----", ...(outputs[i]!.length > 0 ? outputs[i]! : ["ok"])].join(
        "\n",
      ),
    )
    .join("\n\n")}\n`;
}

describe("swim interaction scripts", () => {
  for (const file of readdirSync(folder)
    .filter((name) => name.endsWith(".txt"))
    .sort()) {
    it(file, () => {
      const path = join(folder, file);
      const blocks = parseScript(readFileSync(path, "utf8"));
      const interpreter = new Interpreter();
      const outputs = blocks.map((block) => interpreter.run(block.command));
      const actual = render(blocks, outputs);
      if (isRewrite) writeFileSync(path, actual);
      expect(actual).toBe(readFileSync(path, "utf8"));
    });
  }
});
