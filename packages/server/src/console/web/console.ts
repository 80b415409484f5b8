/**
 * The operator console's pages (public/console/{index,group,bench}.html): they read the
 * /v1/console JSON API (packages/server/API.md, "Console") and render it. Vanilla DOM, no
 * framework; bundled by ../bundle.ts.
 */
import { $, ago, badge, bytes, h, seconds, setStatus, showError, time } from "./dom.js";

const TOKEN_KEY = "hpqmls-console-token";

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The /v1/console API, with the operator token of this tab if the server wants one. */
async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers, cache: "no-store" });
  const text = await res.text();
  const body = text.length > 0 ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiFailure(res.status, err?.code ?? "http_error", err?.message ?? res.statusText);
  }
  return body as T;
}

/** Shows the token form on 401; resolves once a token was entered. */
function askToken(): Promise<void> {
  const section = $("login");
  section.hidden = false;
  const input = $<HTMLInputElement>("token");
  input.focus();
  return new Promise((resolve) => {
    $<HTMLFormElement>("login-form").addEventListener(
      "submit",
      (ev) => {
        ev.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        input.value = "";
        section.hidden = true;
        resolve();
      },
      { once: true },
    );
  });
}

/** Runs `load` now and every `ms` while the auto-refresh box is checked. */
function refreshing(load: () => Promise<void>, ms: number): void {
  let busy = false;
  let waitingForToken = false;
  const run = async (): Promise<void> => {
    if (busy || waitingForToken) return;
    busy = true;
    try {
      await load();
      showError(undefined);
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 401) {
        const hadToken = sessionStorage.getItem(TOKEN_KEY) !== null;
        sessionStorage.removeItem(TOKEN_KEY);
        setStatus("The console needs the operator token.");
        showError(hadToken ? e : undefined);
        waitingForToken = true;
        void askToken().then(() => {
          waitingForToken = false;
          void run();
        });
        return;
      }
      showError(e);
    } finally {
      busy = false;
    }
  };
  void run();
  const auto = document.getElementById("auto") as HTMLInputElement | null;
  setInterval(() => {
    if (auto === null || auto.checked) void run();
  }, ms);
}

// ---------------------------------------------------------------- groups

interface GroupRow {
  groupId: string;
  members: number;
  tEpoch: number;
  pqEpoch: number;
  modeName: string;
  tSuiteName: string;
  pqSuiteName: string;
  lastFullAt: number | null;
  createdAt: number;
}

function short(id: string): string {
  return id.length > 16 ? `${id.slice(0, 12)}…` : id;
}

async function groupsPage(): Promise<void> {
  refreshing(async () => {
    const r = await api<{ groups: GroupRow[]; total: number; now: number }>(
      "/v1/console/groups?limit=200",
    );
    const body = $("groups").querySelector("tbody")!;
    body.replaceChildren(
      ...r.groups.map((g) =>
        h(
          "tr",
          {},
          h(
            "th",
            { scope: "row" },
            h(
              "a",
              { href: `/console/groups/${g.groupId}`, class: "mono", title: g.groupId },
              short(g.groupId),
            ),
          ),
          h("td", { class: "num" }, g.members),
          h("td", { class: "num" }, g.tEpoch),
          h("td", { class: "num" }, g.pqEpoch),
          h("td", {}, g.modeName),
          h("td", { class: "mono" }, g.tSuiteName),
          h("td", { class: "mono" }, g.pqSuiteName),
          h("td", {}, ago(g.lastFullAt, r.now)),
          h("td", {}, time(g.createdAt)),
        ),
      ),
    );
    if (r.groups.length === 0)
      body.append(
        h(
          "tr",
          {},
          h(
            "td",
            { colspan: 9, class: "muted" },
            "No group yet. Open the ",
            h("a", { href: "/console/chat" }, "chat demo"),
            " in two tabs to make one.",
          ),
        ),
      );
    setStatus(
      `${r.total} group${r.total === 1 ? "" : "s"}${r.total > r.groups.length ? ` (the ${r.groups.length} newest shown)` : ""}; updated ${new Date().toLocaleTimeString()}`,
    );
  }, 3000);
}

// ---------------------------------------------------------------- one group

interface Policy {
  full: { everyCommits: number | null; everySeconds: number | null };
  partial: { everyMessages: number | null; everySeconds: number | null };
  inactivitySeconds: number;
}

interface GroupDetail {
  groupId: string;
  pqGroupId: string;
  tSuiteName: string;
  pqSuiteName: string;
  tSuite: number;
  pqSuite: number;
  modeName: string;
  tEpoch: number;
  pqEpoch: number;
  lastSeq: number;
  createdAt: number;
  lastFullAt: number | null;
  lastCommitAt: number | null;
  commitsSinceFull: number;
  messagesSinceCommit: number;
  now: number;
  policy: Policy;
  schedule: {
    decision: { update: string; rule: string; reason: string; inactive: string[] };
    snapshot: {
      established: boolean;
      commitsSinceFull: number;
      messagesSinceUpdate: number;
      lastFullAt: number;
      lastUpdateAt: number;
    };
  };
  inactive: {
    inactivitySeconds: number;
    members: { identityB64: string; name: string; lastActive: number | null }[];
  };
  members: {
    identityB64: string;
    name: string;
    joinedAt: number;
    lastActive: number;
    removedSeq: number | null;
    inactive: boolean;
  }[];
  totals: { kind: string; count: number; bytes: number }[];
}

interface Commit {
  seq: number;
  kind: string;
  update: string;
  tEpoch: number;
  pqEpoch: number;
  bytes: number;
  welcomeBytes: number;
  senderName: string | null;
  sender: string | null;
  createdAt: number;
}

function facts(dl: HTMLElement, rows: [string, Node | string | number][]): void {
  dl.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

const POLICY_FIELDS = [
  ["full-commits", (p: Policy) => p.full.everyCommits],
  ["full-seconds", (p: Policy) => p.full.everySeconds],
  ["partial-messages", (p: Policy) => p.partial.everyMessages],
  ["partial-seconds", (p: Policy) => p.partial.everySeconds],
  ["inactivity", (p: Policy) => p.inactivitySeconds],
] as const;

function fillPolicy(p: Policy): void {
  for (const [id, get] of POLICY_FIELDS) {
    const input = $<HTMLInputElement>(id);
    const v = get(p);
    input.value = v === null ? "" : String(v);
    input.removeAttribute("aria-invalid");
  }
}

function readPolicy(): unknown {
  const num = (id: string): number | null => {
    const v = $<HTMLInputElement>(id).value.trim();
    return v === "" ? null : Number(v);
  };
  return {
    full: { everyCommits: num("full-commits"), everySeconds: num("full-seconds") },
    partial: { everyMessages: num("partial-messages"), everySeconds: num("partial-seconds") },
    inactivitySeconds: num("inactivity"),
  };
}

const FIELD_OF_PATH: Record<string, string> = {
  "full.everyCommits": "full-commits",
  "full.everySeconds": "full-seconds",
  "partial.everyMessages": "partial-messages",
  "partial.everySeconds": "partial-seconds",
  inactivitySeconds: "inactivity",
};

function timelineRows(commits: readonly Commit[], max: number): HTMLElement[] {
  return commits.map((c) => {
    const cls = c.update === "FULL" ? (c.kind === "external-join" ? "join" : "full") : "partial";
    const total = c.bytes + c.welcomeBytes;
    const bar = h("span", { class: `bar ${cls}`, "aria-hidden": "true" });
    // CSSOM, not a style attribute: the console's CSP has no 'unsafe-inline'.
    bar.style.width = `${Math.max(2, Math.round((total / Math.max(1, max)) * 160))}px`;
    return h(
      "tr",
      { "data-kind": c.kind, "data-seq": c.seq },
      h("td", { class: "num" }, c.seq),
      h(
        "td",
        {},
        badge(c.update),
        c.kind === "external-join" ? h("span", { class: "muted" }, " external join") : null,
      ),
      h("td", { class: "num" }, c.tEpoch),
      h("td", { class: "num" }, c.pqEpoch),
      h(
        "td",
        {},
        bar,
        bytes(c.bytes),
        c.welcomeBytes > 0
          ? h("span", { class: "muted" }, ` + Welcome ${bytes(c.welcomeBytes)}`)
          : null,
      ),
      h("td", {}, c.senderName ?? c.sender ?? "—"),
      h("td", {}, time(c.createdAt)),
    );
  });
}

async function groupPage(): Promise<void> {
  const groupId = decodeURIComponent(location.pathname.split("/").pop() ?? "");
  const base = `/v1/console/groups/${encodeURIComponent(groupId)}`;
  $("title").textContent = `Group ${short(groupId)}`;
  document.title = `Group ${short(groupId)} — hpqmls console`;
  let loadedPolicy: string | undefined;
  let dirty = false;
  let older: Commit[] = [];
  let olderCursor: number | null = null;
  let newestCursor: number | null = null;

  const form = $<HTMLFormElement>("policy-form");
  form.addEventListener("input", () => {
    dirty = true;
    $("policy-status").textContent = "";
  });
  $("policy-reset").addEventListener("click", () => {
    if (loadedPolicy !== undefined) fillPolicy(JSON.parse(loadedPolicy) as Policy);
    dirty = false;
    $("policy-errors").textContent = "";
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const errors = $("policy-errors");
    errors.textContent = "";
    for (const id of Object.values(FIELD_OF_PATH)) $(id).removeAttribute("aria-invalid");
    try {
      const saved = await api<Policy>(`${base}/policy`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(readPolicy()),
      });
      loadedPolicy = JSON.stringify(saved);
      fillPolicy(saved);
      dirty = false;
      $("policy-status").textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      errors.textContent = `Not saved: ${message}`;
      for (const [path, id] of Object.entries(FIELD_OF_PATH))
        if (message.includes(path)) $(id).setAttribute("aria-invalid", "true");
      form.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
    }
  });

  const more = $<HTMLButtonElement>("more");
  more.addEventListener("click", async () => {
    if (olderCursor === null) return;
    const r = await api<{ commits: Commit[]; next: number | null }>(
      `${base}/timeline?limit=100&before=${olderCursor}`,
    );
    older = [...older, ...r.commits];
    olderCursor = r.next;
    more.hidden = olderCursor === null;
    await load();
  });

  const load = async () => {
    const [g, t] = await Promise.all([
      api<GroupDetail>(base),
      api<{ commits: Commit[]; next: number | null }>(`${base}/timeline?limit=100`),
    ]);
    if (newestCursor === null) {
      olderCursor = t.next;
      more.hidden = olderCursor === null;
    }
    newestCursor = t.commits[0]?.seq ?? 0;
    const seen = new Set(t.commits.map((c) => c.seq));
    const commits = [...t.commits, ...older.filter((c) => !seen.has(c.seq))];
    const active = g.members.filter((m) => m.removedSeq === null);
    facts($("summary"), [
      ["Group id (T)", h("code", {}, g.groupId)],
      ["PQ group id", h("code", {}, g.pqGroupId)],
      ["Mode", g.modeName],
      ["T suite", h("code", {}, `${g.tSuiteName} (0x${g.tSuite.toString(16).padStart(4, "0")})`)],
      [
        "PQ suite",
        h("code", {}, `${g.pqSuiteName} (0x${g.pqSuite.toString(16).padStart(4, "0")})`),
      ],
      ["T epoch", g.tEpoch],
      ["PQ epoch", g.pqEpoch],
      ["Members", active.length],
      ["Accepted messages", g.lastSeq],
      ["Created", time(g.createdAt)],
    ]);
    const d = g.schedule.decision;
    const s = g.schedule.snapshot;
    facts($("due"), [
      ["Update due", badge(d.update)],
      ["Rule", h("code", {}, d.rule)],
      ["Why", d.reason],
      ["PARTIAL commits since the last FULL", s.commitsSinceFull],
      ["Messages since the last commit", s.messagesSinceUpdate],
      ["Last FULL commit", `${time(g.lastFullAt)} (${ago(g.lastFullAt, g.now)})`],
      ["Last commit", `${time(g.lastCommitAt)} (${ago(g.lastCommitAt, g.now)})`],
      [
        "Policy",
        `FULL every ${g.policy.full.everyCommits ?? "∞"} commits or ${seconds(g.policy.full.everySeconds)}; PARTIAL after ${g.policy.partial.everyMessages ?? "∞"} messages or ${seconds(g.policy.partial.everySeconds)}`,
      ],
    ]);

    const max = Math.max(1, ...commits.map((c) => c.bytes + c.welcomeBytes));
    $("timeline")
      .querySelector("tbody")!
      .replaceChildren(...timelineRows(commits, max));
    const full = g.totals.filter((x) => x.kind === "full-commit" || x.kind === "external-join");
    const partial = g.totals.find((x) => x.kind === "partial-commit");
    const apps = g.totals.find((x) => x.kind === "application");
    const sum = (xs: { count: number; bytes: number }[]) =>
      xs.reduce((a, x) => ({ count: a.count + x.count, bytes: a.bytes + x.bytes }), {
        count: 0,
        bytes: 0,
      });
    const f = sum(full);
    $("totals").textContent =
      `FULL: ${f.count} (${bytes(f.bytes)}) · PARTIAL: ${partial?.count ?? 0} (${bytes(partial?.bytes ?? 0)}) · application messages: ${apps?.count ?? 0} (${bytes(apps?.bytes ?? 0)})`;

    $("members")
      .querySelector("tbody")!
      .replaceChildren(
        ...g.members.map((m) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, m.name),
            h("td", {}, time(m.joinedAt)),
            h("td", {}, ago(m.lastActive, g.now)),
            h(
              "td",
              {},
              m.removedSeq !== null
                ? `removed (seq ${m.removedSeq})`
                : m.inactive
                  ? h("strong", { class: "error" }, "inactive")
                  : "active",
            ),
          ),
        ),
      );
    const inactive = g.inactive.members;
    $("inactive-report").textContent =
      inactive.length === 0
        ? `No member is inactive (window: ${seconds(g.inactive.inactivitySeconds)} without a commit).`
        : `${inactive.length} inactive (no commit for more than ${seconds(g.inactive.inactivitySeconds)}): ${inactive.map((m) => m.name).join(", ")}. The policy says to remove them.`;

    const policy = JSON.stringify(g.policy);
    if (!dirty && policy !== loadedPolicy) {
      loadedPolicy = policy;
      fillPolicy(g.policy);
    }
    setStatus(
      `T epoch ${g.tEpoch}, PQ epoch ${g.pqEpoch}; ${commits.length} commit${commits.length === 1 ? "" : "s"} shown; updated ${new Date().toLocaleTimeString()}`,
    );
  };
  refreshing(load, 2000);
}

// ---------------------------------------------------------------- bench

async function benchPage(): Promise<void> {
  refreshing(async () => {
    const r = await api<{ charts: { name: string; url: string; bytes: number }[] }>(
      "/v1/console/bench",
    );
    const list = $("chart-list");
    const charts = $("charts");
    if (list.childElementCount === r.charts.length && r.charts.length > 0) return;
    list.replaceChildren(
      ...r.charts.map((c) =>
        h(
          "li",
          {},
          h("a", { href: c.url }, c.name),
          h("span", { class: "muted" }, ` (${bytes(c.bytes)})`),
        ),
      ),
    );
    charts.replaceChildren(
      ...r.charts.map((c) => {
        const label = c.name.replace(/\.svg$/, "").replace(/[-_]+/g, " ");
        return h(
          "figure",
          {},
          h("img", { src: c.url, alt: `Bench chart: ${label}`, loading: "lazy" }),
          h("figcaption", {}, h("a", { href: c.url }, c.name)),
        );
      }),
    );
    setStatus(
      r.charts.length === 0
        ? "No chart yet: run npm run bench (bench/README.md) to write bench/results/*.svg."
        : `${r.charts.length} chart${r.charts.length === 1 ? "" : "s"} in bench/results/.`,
    );
  }, 30_000);
}

const page = document.body.dataset.page;
if (page === "groups") void groupsPage();
else if (page === "group") void groupPage();
else if (page === "bench") void benchPage();
