// A self-contained HTML view of a failing object (no external assets): one row per process,
// each operation a bar from its call to its return (unknown outcomes run to the right edge), the
// longest partial linearization numbered and coloured, the operations that cannot come next
// outlined in red. Hovering a bar shows the operation and the state after it.

import type { CheckResult, Failure } from "./checker.js";
import { failureText, verdictLine } from "./report.js";

const rowHeightPx = 26;
const labelWidthPx = 90;
const chartWidthPx = 1400;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Bar {
  readonly row: number;
  readonly left: number;
  readonly width: number;
  readonly className: string;
  readonly label: string;
  readonly title: string;
}

function bars(failure: Failure): { bars: Bar[]; processes: number[] } {
  const processes = [...new Set(failure.operations.map(({ operation }) => operation.process))].sort(
    (a, b) => a - b,
  );
  const times = failure.operations.flatMap(({ operation }) => [operation.callTime, operation.returnTime]);
  const finite = times.filter((time) => time !== Infinity);
  const start = Math.min(...finite);
  const end = Math.max(...finite) + 2;
  const scale = (time: number): number =>
    ((Math.min(time, end) - start) / Math.max(1, end - start)) * chartWidthPx;
  const order = new Map(
    failure.linearization.map((step, i) => [step.position, { i, state: step.stateAfter }]),
  );
  const stuck = new Set(failure.stuck);
  const out = failure.operations.map(({ operation, description }, position): Bar => {
    const step = order.get(position);
    const className = step !== undefined ? "linearized" : stuck.has(position) ? "stuck" : "rest";
    const left = scale(operation.callTime);
    const after = step === undefined ? "" : ` — #${step.i + 1}, state after: ${step.state}`;
    return {
      row: processes.indexOf(operation.process),
      left,
      width: Math.max(4, scale(operation.returnTime) - left),
      className,
      label: step === undefined ? description : `${step.i + 1}: ${description}`,
      title: `p${operation.process} ${description} (line ${operation.line})${after}`,
    };
  });
  return { bars: out, processes };
}

const style = `body{font:13px system-ui,sans-serif;margin:20px;color:#222}
.chart{position:relative;border:1px solid #ccc;overflow-x:auto}
.label{position:absolute;left:4px;font-weight:600}
.bar{position:absolute;height:18px;border-radius:3px;font-size:11px;line-height:18px;padding:0 3px;
overflow:hidden;white-space:nowrap;box-sizing:border-box}
.linearized{background:#9fd3a0;border:1px solid #3c8c3e}.stuck{background:#f5c0c0;border:2px solid #c00}
.rest{background:#ddd;border:1px solid #999}pre{background:#f6f6f6;padding:10px;overflow-x:auto}`;

/** Renders a check result (with its failure, if any) as one self-contained HTML page. */
export function renderHtml(result: CheckResult): string {
  const parts: string[] = [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8"><title>shoal check</title>',
    `<style>${style}</style></head><body>`,
    `<h1>shoal check: ${escapeHtml(result.verdict)}</h1>`,
    `<p>${escapeHtml(verdictLine(result))}</p>`,
  ];
  const failure = result.failure;
  if (failure !== null) {
    const { bars: items, processes } = bars(failure);
    const height = processes.length * rowHeightPx + 10;
    parts.push(
      "<p>Green: the longest partial linearization found, numbered in order. Red: operations that cannot come next.</p>",
      `<div class="chart" style="height:${height}px;width:${chartWidthPx + labelWidthPx + 20}px">`,
    );
    processes.forEach((process, row) => {
      parts.push(`<div class="label" style="top:${row * rowHeightPx + 4}px">p${process}</div>`);
    });
    for (const bar of items) {
      parts.push(
        `<div class="bar ${bar.className}" style="top:${bar.row * rowHeightPx + 4}px;left:${(bar.left + labelWidthPx).toFixed(1)}px;` +
          `width:${bar.width.toFixed(1)}px" title="${escapeHtml(bar.title)}">${escapeHtml(bar.label)}</div>`,
      );
    }
    parts.push("</div>", `<pre>${escapeHtml(failureText(failure))}</pre>`);
  }
  parts.push("</body></html>", "");
  return parts.join("\n");
}
