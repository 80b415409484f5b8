/**
 * The chat demo (public/console/chat.html): an APQ-MLS client running in the page. It uses
 * @hpqmls/client's ApqMember (ServiceClient with signed requests, ApqSession of
 * @hpqmls/pq-combiner over @hpqmls/mls-core and its WebCrypto backend), so every key is made in
 * the tab and stays there. The member's state (keys, unused KeyPackage pairs, sessions and
 * cursors) is kept in IndexedDB through the client's IndexedDbClientStore, one database per tab
 * (its name in the tab's sessionStorage): a reload restores the member and its group.
 *
 * Two tabs: one registers and creates a hybrid group, the other registers and publishes
 * KeyPackage pairs; the first adds the second (a FULL commit with a Welcome pair), then both
 * chat. Before sending, and every few seconds when "follow the schedule" is on, the tab asks the
 * server's schedule (GET /v1/groups/{id}/schedule, the policy engine over the server's view) and
 * makes the FULL or PARTIAL commit it says is due; the console's timeline shows them.
 */
import {
  ApqMember,
  emptyMemberStats,
  IndexedDbClientStore,
  type MemberStats,
  ServiceError,
} from "@hpqmls/client";
import { $, bytes, h, setStatus, showError } from "./dom.js";

const POLICIES: Readonly<Record<string, unknown>> = {
  demo: {
    full: { everyCommits: 3, everySeconds: 600 },
    partial: { everyMessages: 2, everySeconds: 300 },
    inactivitySeconds: 3600,
  },
  default: undefined,
};

const POLL_MS = 1000;
/** sessionStorage (per tab, kept across reloads): this tab's IndexedDB database and flags. */
const DB_KEY = "hpqmls-chat-db";
const PUBLISHED_KEY = "hpqmls-chat-published";
const SCHEDULE_MS = 4000;

let member: ApqMember | undefined;
let groupId: string | undefined;
let published = false;
let rendered = 0;
let lastStats: MemberStats = emptyMemberStats();

// One operation at a time: an ApqSession must not be used by two tasks at once.
let chain: Promise<unknown> = Promise.resolve();
let busy = 0;
function serial<T>(fn: () => Promise<T>): Promise<T> {
  busy++;
  const run = chain.then(fn).finally(() => busy--);
  chain = run.catch(() => {});
  return run;
}

function message(e: unknown): string {
  if (e instanceof ServiceError) {
    if (e.code === "identity_taken")
      return "That name is taken on this server: choose another one.";
    return `${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Runs a user action: disables its button, shows errors. */
async function action(button: HTMLButtonElement | null, fn: () => Promise<void>): Promise<void> {
  showError(undefined);
  if (button !== null) button.disabled = true;
  try {
    await serial(fn);
  } catch (e) {
    showError(message(e));
  } finally {
    if (button !== null) button.disabled = false;
    render();
  }
}

function nameOf(identity: string): string {
  if (!identity.startsWith("basic:")) return identity;
  const hex = identity.slice(6);
  return new TextDecoder().decode(
    new Uint8Array(hex.match(/../g)?.map((x) => Number.parseInt(x, 16)) ?? []),
  );
}

function logActivity(update: string, text: string): void {
  const li = h(
    "li",
    { "data-update": update },
    update === "FULL" || update === "PARTIAL"
      ? h("span", { class: `badge ${update === "FULL" ? "full" : "partial"}` }, update)
      : null,
    " ",
    text,
    h("span", { class: "when" }, new Date().toLocaleTimeString()),
  );
  const log = $("activity");
  log.prepend(li);
}

/** Logs the commits made since the last look (with `why` for the reason). */
function noteCommits(why: string): void {
  if (member === undefined) return;
  const s = member.stats;
  const full = s.fullCommits - lastStats.fullCommits;
  const partial = s.partialCommits - lastStats.partialCommits;
  const sent = s.bytesSent - lastStats.bytesSent;
  const size = ` (${bytes(sent)} sent)`;
  if (full > 0)
    logActivity(
      "FULL",
      `${full > 1 ? `${full} FULL commits` : "FULL commit"}: ${why}${partial > 0 ? "" : size}`,
    );
  if (partial > 0)
    logActivity(
      "PARTIAL",
      `${partial > 1 ? `${partial} PARTIAL commits` : "PARTIAL commit"}: ${why}${size}`,
    );
  lastStats = { ...s };
}

function addMessage(sender: string, text: string, mine: boolean): void {
  const li = h(
    "li",
    { class: mine ? "mine" : undefined, "data-sender": sender },
    h("span", { class: "who" }, mine ? `${sender} (you)` : sender),
    text,
    h("span", { class: "when" }, new Date().toLocaleTimeString()),
  );
  const list = $("messages");
  list.append(li);
  list.scrollTop = list.scrollHeight;
}

function renderInbox(): void {
  if (member === undefined) return;
  for (; rendered < member.inbox.length; rendered++) {
    const m = member.inbox[rendered]!;
    addMessage(m.sender, m.text, false);
  }
}

function render(): void {
  renderInbox();
  const registered = member !== undefined;
  const inGroup = registered && groupId !== undefined && member!.isMember(groupId);
  $<HTMLButtonElement>("register").disabled = registered;
  $("forget").hidden = !registered;
  $<HTMLInputElement>("name").readOnly = registered;
  $<HTMLButtonElement>("create").disabled = !registered || inGroup;
  $<HTMLButtonElement>("publish").disabled = !registered || inGroup || published;
  $("no-group").hidden = inGroup;
  $("in-group").hidden = !inGroup;
  for (const id of ["text", "send", "full", "partial"])
    ($(id) as HTMLInputElement | HTMLButtonElement).disabled = !inGroup;
  if (!inGroup || member === undefined || groupId === undefined) return;
  const s = member.session(groupId);
  $("group-id").textContent = groupId;
  $<HTMLAnchorElement>("timeline-link").href = `/console/groups/${groupId}`;
  $("t-epoch").textContent = s.tEpoch.toString();
  $("pq-epoch").textContent = s.pqEpoch.toString();
  $("members").textContent = s
    .members()
    .map((m) => nameOf(m))
    .join(", ");
  const st = member.stats;
  $("stats").textContent =
    `${st.fullCommits} FULL, ${st.partialCommits} PARTIAL, ${bytes(st.bytesSent)} sent` +
    (st.rejected > 0 ? `, ${st.rejected} refused` : "");
}

/** Asks the server's schedule and makes the update it says is due. */
async function followSchedule(): Promise<void> {
  if (member === undefined || groupId === undefined || !member.isMember(groupId)) return;
  await member.sync(groupId);
  noteCommits("while catching up");
  const session = member.session(groupId);
  const { decision } = await member.service.schedule(groupId);
  const update = session.mustCommitFull ? "FULL" : decision.update;
  const reason = session.mustCommitFull ? "a new member's first commit is FULL" : decision.reason;
  if (update === "FULL") await member.update(groupId, "full");
  else if (update === "PARTIAL") await member.update(groupId, "partial");
  else return;
  noteCommits(`due by the schedule (${reason})`);
}

function showMe(): void {
  if (member === undefined) return;
  $("me-name").textContent = member.name;
  $("me-id").textContent = member.service.clientId;
  $("me").hidden = false;
  $<HTMLInputElement>("name").value = member.name;
}

/** The member this tab saved before a reload, if any. */
async function restore(): Promise<boolean> {
  const dbName = sessionStorage.getItem(DB_KEY);
  if (dbName === null) return false;
  try {
    const store = await IndexedDbClientStore.open(dbName);
    member = await ApqMember.restore(location.origin, store);
  } catch (e) {
    sessionStorage.removeItem(DB_KEY);
    showError(`The saved member could not be restored (${message(e)}); register again.`);
    return false;
  }
  published = sessionStorage.getItem(PUBLISHED_KEY) === "1";
  groupId = member.groupIds()[0];
  showMe();
  if (groupId !== undefined) {
    await member.sync(groupId);
    rendered = member.inbox.length; // earlier messages are not kept, only the keys and sessions
  }
  lastStats = { ...member.stats };
  logActivity("restore", `Restored ${member.name} from this tab's IndexedDB`);
  return true;
}

async function forget(): Promise<void> {
  const dbName = sessionStorage.getItem(DB_KEY);
  sessionStorage.removeItem(DB_KEY);
  sessionStorage.removeItem(PUBLISHED_KEY);
  if (dbName !== null) await IndexedDbClientStore.destroy(dbName).catch(() => {});
  location.reload();
}

function setupRegistration(): void {
  const names = ["alice", "bob", "carol", "dave", "erin", "frank"];
  const r = crypto.getRandomValues(new Uint8Array(3));
  const nameInput = $<HTMLInputElement>("name");
  nameInput.value = `${names[r[0]! % names.length]}-${[...r.slice(1)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  $<HTMLFormElement>("register-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = nameInput.value.trim();
    if (name === "") return;
    void action($<HTMLButtonElement>("register"), async () => {
      setStatus("Making keys and registering…");
      const dbName = `hpqmls-chat-${crypto.randomUUID()}`;
      const store = await IndexedDbClientStore.open(dbName);
      member = await ApqMember.register(location.origin, name, {}, undefined, store);
      sessionStorage.setItem(DB_KEY, dbName);
      showMe();
      setStatus(`Registered as ${name}. Create a group, or publish key packages to be added.`);
      $<HTMLButtonElement>("create").focus();
    });
  });
}

function setupGroup(): void {
  $<HTMLFormElement>("create-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const choice = $<HTMLSelectElement>("policy").value;
    void action($<HTMLButtonElement>("create"), async () => {
      if (member === undefined) return;
      setStatus("Creating the hybrid group…");
      groupId = await member.createGroup(POLICIES[choice]);
      noteCommits("establishes the session (the first commit is FULL)");
      setStatus(`Group created. Add someone by name: they must publish key packages first.`);
      $<HTMLInputElement>("add-name").focus();
    });
  });
  $("publish").addEventListener("click", () => {
    void action($<HTMLButtonElement>("publish"), async () => {
      if (member === undefined) return;
      await member.publishKeyPackages(3);
      published = true;
      sessionStorage.setItem(PUBLISHED_KEY, "1");
      $("invite").textContent =
        `3 key packages published. In the other tab, add “${member.name}”; this tab joins when the Welcome arrives.`;
      setStatus("Waiting for a Welcome…");
    });
  });
  $<HTMLFormElement>("add-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $<HTMLInputElement>("add-name");
    const name = input.value.trim();
    if (name === "") return;
    void action($<HTMLButtonElement>("add"), async () => {
      if (member === undefined || groupId === undefined) return;
      try {
        await member.add(groupId, name);
      } catch (e) {
        if (e instanceof ServiceError && e.status === 404)
          throw new Error(
            `${name} has no key package on the server: in their tab, register and click “Publish key packages”.`,
          );
        throw e;
      }
      noteCommits(`adds ${name} (membership changes are FULL commits; the Welcome goes with it)`);
      input.value = "";
      setStatus(`${name} added.`);
    });
  });
}

function setupChat(): void {
  $<HTMLFormElement>("send-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $<HTMLInputElement>("text");
    const text = input.value;
    if (text.trim() === "") return;
    void action($<HTMLButtonElement>("send"), async () => {
      if (member === undefined || groupId === undefined) return;
      await followSchedule();
      await member.send(groupId, text);
      noteCommits("due by the schedule before sending");
      addMessage(member.name, text, true);
      input.value = "";
      input.focus();
    });
  });
  for (const kind of ["full", "partial"] as const)
    $(kind).addEventListener("click", () => {
      void action($<HTMLButtonElement>(kind), async () => {
        if (member === undefined || groupId === undefined) return;
        await member.sync(groupId);
        noteCommits("while catching up");
        await member.update(groupId, kind);
        noteCommits("requested by hand");
      });
    });
}

/** Background work: new messages, Welcomes, the schedule. */
function startPolling(): void {
  let lastSchedule = Date.now();
  setInterval(() => {
    if (member === undefined || busy > 0) return;
    const m = member;
    void serial(async () => {
      if (groupId === undefined || !m.isMember(groupId)) {
        if (!published) return;
        const joined = await m.acceptWelcomes();
        if (joined.length > 0) {
          groupId = joined[0]!;
          logActivity("join", `Joined group ${groupId.slice(0, 12)}… through a Welcome pair`);
          setStatus("Joined the group: say hello.");
        }
        return;
      }
      await m.sync(groupId);
      noteCommits("while catching up");
      if (!m.isMember(groupId)) setStatus("You were removed from the group.");
      const auto = $<HTMLInputElement>("auto-schedule").checked;
      if (auto && Date.now() - lastSchedule >= SCHEDULE_MS) {
        lastSchedule = Date.now();
        await followSchedule();
      }
    })
      .catch((e) => showError(message(e)))
      .finally(render);
  }, POLL_MS);
}

try {
  if (!window.isSecureContext || crypto.subtle === undefined)
    throw new Error(
      "This page needs a secure context for WebCrypto: open it as http://127.0.0.1:<port>/console/chat or over HTTPS.",
    );
  setupRegistration();
  setupGroup();
  setupChat();
  $("forget").addEventListener("click", () => void serial(forget));
  void serial(restore)
    .then((restored) => {
      setStatus(
        restored
          ? groupId === undefined
            ? "Restored. Create a group, or publish key packages to be added."
            : "Restored, with your group."
          : "Ready: choose a name and register.",
      );
      render();
      startPolling();
    })
    .catch((e) => showError(message(e)));
} catch (e) {
  showError(message(e));
}
