// Text reports of a check: the verdict line, and for a failure the smallest failing object with
// the longest partial linearization the search found, as Porcupine's visualizer shows it.

import type { CheckResult, Failure } from "./checker.js";

/** Lines of a failure shown at most, so a huge object does not flood a terminal. */
const failureLinesMax = 60;

/** One line: verdict, model, time, operations and objects checked. */
export function verdictLine(result: CheckResult): string {
  const unknown = result.unknownKeys.length > 0 ? `, ${result.unknownKeys.length} timed out` : "";
  return (
    `${result.verdict} (model ${result.model}): ${result.operationCount} operations, ` +
    `${result.partitionsChecked}/${result.partitionCount} objects checked${unknown}, ` +
    `${result.elapsedMs.toFixed(0)} ms`
  );
}

function operationLine(failure: Failure, position: number): string {
  const { operation, description } = failure.operations[position]!;
  const returned =
    operation.returnTime === Infinity ? "unknown outcome" : `returned at ${operation.returnTime}`;
  return `process ${operation.process} ${description} (line ${operation.line}, called at ${operation.callTime}, ${returned})`;
}

/** The failing object in text: its partial linearization, then the operations that cannot follow. */
export function failureText(failure: Failure): string {
  const lines: string[] = [];
  const object = failure.key === null ? "the object" : `key ${JSON.stringify(failure.key)}`;
  lines.push(`smallest failing object: ${object}, ${failure.operations.length} operations`);
  lines.push(
    `longest partial linearization: ${failure.linearization.length} operations, from ${failure.initialState}`,
  );
  const shown = failure.linearization.slice(-failureLinesMax);
  if (shown.length < failure.linearization.length) {
    lines.push(`  ... ${failure.linearization.length - shown.length} earlier operations`);
  }
  const offset = failure.linearization.length - shown.length;
  shown.forEach((step, i) => {
    lines.push(`  ${offset + i + 1}. ${operationLine(failure, step.position)}  ⇒ ${step.stateAfter}`);
  });
  lines.push("none of these can come next:");
  for (const position of failure.stuck.slice(0, failureLinesMax)) {
    lines.push(`  - ${operationLine(failure, position)}`);
  }
  return lines.join("\n");
}
