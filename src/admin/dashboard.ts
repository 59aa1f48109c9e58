// The dashboard at `/`: one self-contained HTML page (no external scripts or styles) that polls
// /api/status every second and renders the members and the groups.

/** Returns the dashboard page. */
export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Shoal member</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { padding: 0.2rem 0.7rem; border-bottom: 1px solid #ddd; text-align: left; }
.alive, .self, .leader { color: #17803d; } .suspect { color: #b54708; } .unreachable, .dead { color: #b42318; } .left { color: #667085; }
</style>
</head>
<body>
<h1 id="title">Shoal</h1>
<p id="summary"></p>
<h2>Members</h2>
<table><thead><tr><th>node</th><th>address</th><th>admin</th><th>state</th></tr></thead><tbody id="members"></tbody></table>
<h2>Groups</h2>
<table><thead><tr><th>group</th><th>partition</th><th>role</th><th>leader</th><th>term</th><th>commit</th><th>applied</th><th>digest</th></tr></thead><tbody id="groups"></tbody></table>
<script>
function cell(text, cls) { const td = document.createElement("td"); td.textContent = String(text); if (cls) td.className = cls; return td; }
function row(cells) { const tr = document.createElement("tr"); for (const c of cells) tr.appendChild(c); return tr; }
async function refresh() {
  try {
    const status = await (await fetch("/api/status")).json();
    document.getElementById("title").textContent = "Shoal member " + status.nodeId;
    document.getElementById("summary").textContent = (status.ready ? "ready" : "not ready") + " - " + status.groups.length + " groups - up " + Math.round(status.uptimeMs / 1000) + " s";
    document.getElementById("members").replaceChildren(...status.members.map((m) => row([cell(m.nodeId), cell(m.address), cell(m.adminAddress), cell(m.state, m.state)])));
    document.getElementById("groups").replaceChildren(...status.groups.map((g) => row([cell(g.group), cell(g.partition ?? "config"), cell(g.role, g.role), cell(g.leader ?? "-"), cell(g.term), cell(g.commit), cell(g.applied), cell(g.digest.toString(16))])));
  } catch (error) {
    document.getElementById("summary").textContent = "unreachable: " + error;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
}
