// The public face of the admin endpoint: HTTP health, readiness, metrics, status and dashboard.

export { AdminServer, adminStatus } from "./admin_server.js";
export { dashboardHtml } from "./dashboard.js";
export { MemberMetrics } from "./metrics.js";
export type { AdminServerOptions, AdminSource, AdminStatus, ProcessFigures } from "./admin_server.js";
