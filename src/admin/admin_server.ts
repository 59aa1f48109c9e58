// The admin endpoint (node:http, on its own --admin address, apart from the peer/client port):
//   GET /healthz     200 while the member runs (liveness)
//   GET /readyz      200 once the cluster formed and every hosted group knows a leader, else 503
//   GET /metrics     Prometheus text (admin/metrics.ts)
//   GET /api/status  JSON: the member's status plus process figures; `shoal status --json` prints it
//   GET /            the dashboard
// Handlers only read; nothing here changes the member. Requests other than GET get 405.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "../env/logger.js";
import { listenOn } from "../platform/node/listen.js";
import type { MemberStatus } from "../runtime/index.js";
import { dashboardHtml } from "./dashboard.js";
import type { MemberMetrics } from "./metrics.js";

/** Process figures added to the status (CPU and memory at rest, for reports). */
export interface ProcessFigures {
  readonly pid: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
}

/** What `/api/status` returns. */
export type AdminStatus = MemberStatus & { readonly process: ProcessFigures };

/** What the admin server reads. */
export interface AdminSource {
  status(): MemberStatus;
  readonly stopped: boolean;
}

/** How to start an {@link AdminServer}. */
export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly source: AdminSource;
  readonly metrics: MemberMetrics;
  readonly logger: Logger;
}

/** Returns the status with this process's figures. */
export function adminStatus(source: AdminSource): AdminStatus {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    ...source.status(),
    process: {
      pid: process.pid,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
    },
  };
}

/** The HTTP admin endpoint of one member. */
export class AdminServer {
  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  /** Listens and resolves once the port is bound. */
  static async listen(options: AdminServerOptions): Promise<AdminServer> {
    const server = createServer((request, response) => {
      AdminServer.handle(options, request, response).catch((error: unknown) => {
        options.logger.warn("admin.request_failed", { url: request.url, error: String(error) });
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
    const port = await listenOn(server, options.port, options.host);
    return new AdminServer(server, `${options.host}:${port}`);
  }

  /** Stops listening and closes idle connections. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private static async handle(
    options: AdminServerOptions,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") return send(response, 405, "text/plain", "GET only\n");
    const source = options.source;
    switch (path) {
      case "/healthz":
        return source.stopped
          ? send(response, 503, "text/plain", "stopping\n")
          : send(response, 200, "text/plain", "ok\n");
      case "/readyz": {
        const status = source.status();
        const body = `${JSON.stringify({ ready: status.ready, formed: status.formed })}\n`;
        return send(response, status.ready && !source.stopped ? 200 : 503, "application/json", body);
      }
      case "/metrics":
        return send(
          response,
          200,
          options.metrics.registry.contentType,
          await options.metrics.registry.metrics(),
        );
      case "/api/status":
        return send(response, 200, "application/json", `${JSON.stringify(adminStatus(source))}\n`);
      case "/":
        return send(response, 200, "text/html; charset=utf-8", dashboardHtml());
      default:
        return send(response, 404, "text/plain", "not found\n");
    }
  }
}

function send(response: ServerResponse, statusCode: number, contentType: string, body: string): void {
  response.writeHead(statusCode, { "content-type": contentType, "cache-control": "no-store" });
  response.end(body);
}
