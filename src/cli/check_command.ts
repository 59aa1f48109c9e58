// `shoal check FILE --model MODEL [--format jepsen|edn|jsonl] [--timeout SECONDS] [--html OUT]`:
// checks a history and exits 0 when it is linearizable (or passes a structural checker), 1 when it
// is not, 3 when the time budget ran out first, and 2 on bad input, naming the line.

import { readFileSync, writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import {
  checkHistory,
  failureText,
  formatFromFileName,
  type HistoryFormat,
  historyFormats,
  HistoryInputError,
  modelByName,
  modelNames,
  parseHistory,
  renderHtml,
  structuralCheckers,
  verdictLine,
} from "../check/index.js";
import { BadInputError } from "../errors.js";

/** Exit codes of `shoal check`. */
export const checkExitCode = { ok: 0, illegal: 1, badInput: 2, unknown: 3 } as const;

/** The options of one `shoal check` run, as parsed from the command line. */
export interface CheckCommandOptions {
  readonly file: string;
  readonly model: string;
  readonly format: string | null;
  readonly timeoutSeconds: number | null;
  readonly html: string | null;
  readonly permits: number;
}

function resolveFormat(options: CheckCommandOptions): HistoryFormat {
  const format = options.format ?? formatFromFileName(options.file);
  if (format === null) {
    throw new BadInputError(
      `cannot tell the format of ${options.file}; pass --format ${historyFormats.join("|")}`,
    );
  }
  if (!historyFormats.includes(format as HistoryFormat)) {
    throw new BadInputError(`unknown format ${format}; use one of ${historyFormats.join(", ")}`);
  }
  return format as HistoryFormat;
}

function runUnchecked(options: CheckCommandOptions, write: (text: string) => void): number {
  const format = resolveFormat(options);
  let text: string;
  try {
    text = readFileSync(options.file, "utf8");
  } catch (error) {
    throw new BadInputError(`cannot read ${options.file}: ${(error as Error).message}`);
  }
  const operations = parseHistory(text, format);
  const structural = structuralCheckers[options.model];
  if (structural !== undefined) {
    const result = structural(operations);
    write(`${result.verdict} (checker ${result.checker}): ${result.summary}\n`);
    for (const [name, examples] of Object.entries(result.examples)) {
      if (examples.length > 0) write(`  ${name}: ${examples.join(", ")}\n`);
    }
    return checkExitCode[result.verdict === "illegal" ? "illegal" : result.verdict];
  }
  const model = modelByName(options.model, { permits: options.permits });
  if (model === null) {
    const known = [...modelNames, ...Object.keys(structuralCheckers)].join(", ");
    throw new BadInputError(`unknown model ${options.model}; use one of ${known}`);
  }
  const timeoutMs = options.timeoutSeconds === null ? null : options.timeoutSeconds * 1000;
  const result = checkHistory(model, operations, { timeoutMs, nowMs: () => performance.now() });
  write(`${verdictLine(result)}\n`);
  if (result.failure !== null) write(`${failureText(result.failure)}\n`);
  if (options.html !== null) {
    writeFileSync(options.html, renderHtml(result));
    write(`wrote ${options.html}\n`);
  }
  return checkExitCode[result.verdict];
}

/** Runs one check, writing the report through `write`; returns the exit code. */
export function runCheckCommand(
  options: CheckCommandOptions,
  write: (text: string) => void,
  writeError: (text: string) => void,
): number {
  try {
    return runUnchecked(options, write);
  } catch (error) {
    if (error instanceof HistoryInputError || error instanceof BadInputError) {
      writeError(`bad input: ${error.message}\n`);
      return checkExitCode.badInput;
    }
    throw error;
  }
}

function parsePositive(name: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!(number > 0) || !Number.isFinite(number))
      throw new InvalidArgumentError(`${name} must be a positive number`);
    return number;
  };
}

/** Registers `shoal check`. */
export function registerCheckCommand(program: Command): void {
  program
    .command("check")
    .description("check a history for linearizability (or with a structural checker)")
    .argument("<file>", "the history file")
    .requiredOption(
      "--model <model>",
      `one of ${[...modelNames, ...Object.keys(structuralCheckers)].join(", ")}`,
    )
    .option("--format <format>", "jepsen | edn | jsonl (default: from the file extension)")
    .option(
      "--timeout <seconds>",
      "time budget; past it the verdict is unknown (exit 3)",
      parsePositive("--timeout"),
    )
    .option("--html <out>", "write a self-contained HTML view of the result")
    .option("--permits <count>", "permits of the semaphore model", parsePositive("--permits"), 1)
    // Usage errors (a missing --model, a bad number) are bad input too: exit 2, not commander's 1.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : checkExitCode.badInput))
    .action(
      (
        file: string,
        flags: { model: string; format?: string; timeout?: number; html?: string; permits: number },
      ) => {
        const code = runCheckCommand(
          {
            file,
            model: flags.model,
            format: flags.format ?? null,
            timeoutSeconds: flags.timeout ?? null,
            html: flags.html ?? null,
            permits: flags.permits,
          },
          (text) => process.stdout.write(text),
          (text) => process.stderr.write(text),
        );
        process.exitCode = code;
      },
    );
}
