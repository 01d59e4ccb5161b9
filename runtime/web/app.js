// The demo page: a conversation with crq's chat API (docs/api.md, docs/demo-page.md).
// Every value that comes from the API or the user is put in the page as text (textContent, text nodes,
// attributes), never parsed as HTML. No library, no build step: ES modules served as they are.

import { chooseChart, drawChart } from "./chart.js";
import { describeColumns, formatCell, splitReading, toCsv, visible } from "./format.js";

const DEFAULTS = Object.freeze({
  apiBaseUrl: "",
  asOf: null,
  timezone: "UTC",
  asyncJobs: false,
  requestTimeoutMs: 30000,
  jobTimeoutMs: 180000,
});
const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 5000;
const POLL_GROWTH = 1.6;
const POLL_FAILURES = 3; // consecutive failed status checks before the page stops and says so
const SAMPLE_COUNT = 6;

// --- configuration -------------------------------------------------------------------------------

/** config.js (window.CRQ_CONFIG), checked; ?as_of=YYYY-MM-DD overrides asOf for a demo on old data. */
export function readConfig(given = window.CRQ_CONFIG, search = window.location.search) {
  if (!given || typeof given !== "object") {
    throw new Error("config.js did not load or does not set window.CRQ_CONFIG");
  }
  const config = { ...DEFAULTS, ...given };
  if (typeof config.apiBaseUrl !== "string") throw new Error("config.js: apiBaseUrl must be a string");
  config.apiBaseUrl = config.apiBaseUrl.replace(/\/+$/, "");
  const asOf = new URLSearchParams(search).get("as_of");
  if (asOf) config.asOf = asOf;
  if (config.asOf !== null && !/^\d{4}-\d{2}-\d{2}$/.test(config.asOf)) {
    throw new Error(`as_of must be a date written YYYY-MM-DD, not "${visible(config.asOf)}"`);
  }
  return Object.freeze(config);
}

// --- talking to the API ----------------------------------------------------------------------------

class ApiFailure extends Error {
  /** kind: network | timeout | aborted | http | format | job | waiting */
  constructor(kind, message, details = {}) {
    super(message);
    this.kind = kind;
    Object.assign(this, details);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new ApiFailure("aborted", "stopped"));
    }, { once: true });
  });
}

async function call(config, method, path, body, signal) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort("timeout"), config.requestTimeoutMs);
  const stop = () => controller.abort("aborted");
  signal.addEventListener("abort", stop, { once: true });
  const where = config.apiBaseUrl || window.location.origin;
  try {
    let response;
    try {
      response = await fetch(config.apiBaseUrl + path, {
        method,
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: "no-store",
      });
    } catch {
      if (controller.signal.reason === "timeout") {
        throw new ApiFailure("timeout", `No answer from the crq API within ${config.requestTimeoutMs / 1000} seconds.`);
      }
      if (controller.signal.aborted) throw new ApiFailure("aborted", "stopped");
      throw new ApiFailure("network", `Could not reach the crq API at ${where}. Check the connection (or that the API is running) and try again.`);
    }
    let data;
    try {
      data = await response.json();
    } catch {
      if (controller.signal.aborted) throw new ApiFailure(controller.signal.reason === "timeout" ? "timeout" : "aborted", "stopped");
      throw new ApiFailure("format", `The API answered HTTP ${response.status} with something that is not JSON.`, { status: response.status });
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiFailure("http", error.message || `HTTP ${response.status}`, {
        status: response.status,
        code: error.code || "",
        requestId: error.request_id || "",
      });
    }
    return { status: response.status, data };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
}

// --- building the page's elements (text only) --------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "hidden") node.hidden = true;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

const BADGES = {
  answered: ["Answered", "answered"],
  clarify: ["Needs a clearer question", "clarify"],
  refused: ["Refused", "refused"],
  error: ["Error", "error"],
  pending: ["Working", "pending"],
};

function badge(status) {
  const [text, cls] = BADGES[status] || [visible(status), "error"];
  return h("span", { class: `badge badge-${cls}` }, text);
}

function statusWords(answer) {
  return {
    answered: "Answer",
    clarify: "crq needs a clearer question",
    refused: "crq refused",
    error: "The question failed",
  }[answer.status] || "Answer";
}

// --- the page ------------------------------------------------------------------------------------

class Page {
  constructor(config) {
    this.config = config;
    this.conversationId = null;
    this.metricFormats = {};
    this.busy = false;
    this.controller = new AbortController();
    this.thread = document.getElementById("thread");
    this.form = document.getElementById("ask-form");
    this.input = document.getElementById("question");
    this.welcome = document.getElementById("welcome");
    this.announcer = document.getElementById("announcer");
    this.charts = new Map();
    this.resizer = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const drawn = this.charts.get(entry.target);
        const width = Math.floor(entry.contentRect.width);
        if (drawn && Math.abs(width - drawn.width) > 4) {
          drawn.width = width;
          drawChart(entry.target, drawn.spec, drawn.rows);
        }
      }
    });
  }

  start() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask(this.input.value);
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.ask(this.input.value);
      }
    });
    document.getElementById("new-conversation").addEventListener("click", () => this.reset());
    document.querySelector(".skip-link").addEventListener("click", (event) => {
      event.preventDefault();
      this.input.focus();
    });
    this.loadCatalog();
  }

  announce(text) {
    this.announcer.textContent = "";
    window.setTimeout(() => { this.announcer.textContent = text; }, 50);
  }

  reset() {
    this.controller.abort();
    this.controller = new AbortController();
    this.busy = false;
    this.setBusy(false);
    this.conversationId = null;
    for (const figure of this.charts.keys()) this.resizer.unobserve(figure);
    this.charts.clear();
    this.thread.replaceChildren();
    this.welcome.hidden = false;
    this.input.value = "";
    this.input.focus();
    this.announce("New conversation started.");
  }

  setBusy(busy) {
    this.form.classList.toggle("busy", busy);
    document.getElementById("ask").setAttribute("aria-disabled", String(busy));
  }

  // --- the catalog: side panel and sample questions ----------------------------------------------

  async loadCatalog() {
    const panel = document.getElementById("catalog-body");
    const samples = document.getElementById("samples");
    panel.replaceChildren(h("p", { class: "muted" }, "Loading what you can ask about…"));
    try {
      // not this.controller: starting a new conversation must not stop the catalog loading
      const { data } = await call(this.config, "GET", "/v1/catalog", undefined, new AbortController().signal);
      this.metricFormats = Object.fromEntries((data.metrics || []).map((m) => [m.name, m.format || "number"]));
      document.getElementById("model-name").textContent = `Model: ${visible(data.model || "")}`;
      panel.replaceChildren(...this.catalogSections(data));
      const questions = (data.questions || []).slice(0, SAMPLE_COUNT);
      samples.replaceChildren(
        ...questions.map((q) => h("li", {}, h("button", { type: "button", class: "sample", onclick: () => this.ask(q) }, visible(q)))),
      );
      document.getElementById("samples-block").hidden = questions.length === 0;
    } catch (failure) {
      if (failure.kind === "aborted") return;
      const retry = h("button", { type: "button", class: "button secondary small", onclick: () => this.loadCatalog() }, "Try again");
      panel.replaceChildren(h("div", { class: "callout callout-error", role: "alert" },
        h("p", {}, `Could not load the catalog: ${visible(failure.message)}`), retry));
      document.getElementById("samples-block").hidden = true;
    }
  }

  catalogSections(catalog) {
    const narrow = window.matchMedia("(max-width: 899px)").matches;
    const section = (title, count, items, open) =>
      h("details", { class: "catalog-section", open: open && !narrow },
        h("summary", {}, h("span", {}, title), h("span", { class: "count" }, String(count))),
        h("ul", { class: "defs" }, items));
    const metrics = (catalog.metrics || []).map((m) =>
      h("li", {},
        h("div", { class: "def-head" }, h("code", {}, visible(m.name)), m.format ? h("span", { class: "fmt" }, visible(m.format)) : null),
        m.description ? h("p", {}, visible(m.description)) : null));
    const byName = new Map();
    for (const d of catalog.dimensions || []) {
      if (!byName.has(d.name)) byName.set(d.name, { ...d, tables: [] });
      byName.get(d.name).tables.push(d.table);
    }
    const dimensions = [...byName.values()].map((d) => {
      const values = d.values || [];
      const shown = values.slice(0, 6).map((v) => visible(v)).join(", ");
      const more = values.length > 6 ? ` and ${values.length - 6} more` : "";
      return h("li", {},
        h("div", { class: "def-head" }, h("code", {}, visible(d.name)), d.tables.length > 1 ? h("span", { class: "fmt" }, `${d.tables.length} tables`) : null),
        d.description ? h("p", {}, visible(d.description)) : null,
        values.length ? h("p", { class: "values" }, h("span", { class: "visually-hidden" }, "Values: "), shown + more) : null);
    });
    const segments = (catalog.segments || []).map((s) =>
      h("li", {}, h("div", { class: "def-head" }, h("code", {}, visible(s.name))), s.description ? h("p", {}, visible(s.description)) : null));
    return [
      section("Metrics", metrics.length, metrics, true),
      section("Dimensions", dimensions.length, dimensions, true),
      segments.length ? section("Segments", segments.length, segments, false) : null,
    ].filter(Boolean);
  }

  // --- a question and its answer -----------------------------------------------------------------

  ask(text) {
    const question = String(text).trim();
    if (!question) {
      this.announce("Type a question first.");
      this.input.focus();
      return;
    }
    if (this.busy) {
      this.announce("Still answering the previous question.");
      return;
    }
    this.welcome.hidden = true;
    this.input.value = "";
    this.input.focus();
    const slot = h("div", { class: "answer-slot" });
    const turn = h("li", { class: "turn" },
      h("div", { class: "question-bubble" }, h("span", { class: "visually-hidden" }, "You asked: "), h("p", {}, question)),
      slot);
    this.thread.append(turn);
    this.run(turn, slot, question);
  }

  async run(turn, slot, question, job = null) {
    // a Retry or Check again button is about to go: keep the keyboard user's focus in the page
    if (slot.contains(document.activeElement)) this.input.focus();
    this.busy = true;
    this.setBusy(true);
    const signal = this.controller.signal;
    this.showPending(slot, job ? "Checking on the job…" : "Reading your question and running the query…");
    turn.scrollIntoView({ block: "nearest" });
    try {
      let answer;
      if (job) {
        answer = await this.waitForJob(slot, job, signal);
      } else {
        const body = { question, timezone: this.config.timezone };
        if (this.conversationId) body.conversation_id = this.conversationId;
        if (this.config.asOf) body.as_of = this.config.asOf;
        if (this.config.asyncJobs) body.async = true;
        const { status, data } = await call(this.config, "POST", "/v1/chat", body, signal);
        if (status === 202) {
          if (data.conversation_id) this.conversationId = data.conversation_id;
          answer = await this.waitForJob(slot, data, signal);
        } else {
          answer = data;
        }
      }
      if (answer.conversation_id) this.conversationId = answer.conversation_id;
      this.renderAnswer(slot, answer, question);
      const { sentence } = splitReading(answer.answer || answer.message || "");
      this.announce(`${statusWords(answer)}: ${visible(sentence)}`);
    } catch (failure) {
      if (failure.kind === "aborted") return;
      this.renderFailure(turn, slot, question, failure);
      this.announce(`Error: ${failure.message}`);
    } finally {
      if (!signal.aborted) {
        this.busy = false;
        this.setBusy(false);
      }
    }
    turn.scrollIntoView({ block: "start" });
  }

  showPending(slot, text) {
    const line = h("p", { class: "pending-text" }, text);
    const card = h("article", { class: "answer pending", "aria-busy": "true" },
      h("header", { class: "answer-head" }, badge("pending")),
      line,
      h("div", { class: "progress", "aria-hidden": "true" }, h("span", {})));
    slot.replaceChildren(card);
    return line;
  }

  /** Polls GET /v1/jobs/{id} with backoff until the job is done or failed, or the page stops waiting. */
  async waitForJob(slot, job, signal) {
    const started = Date.now();
    const line = this.showPending(slot, "Queued: waiting for a worker…");
    if (job.reason) {
      line.before(h("p", { class: "muted small" }, `crq runs this as a background job (${visible(job.reason)}).`));
    }
    const path = `/v1/jobs/${encodeURIComponent(job.job_id)}`;
    let delay = POLL_FIRST_MS;
    let failures = 0;
    for (;;) {
      await sleep(delay, signal);
      delay = Math.min(POLL_MAX_MS, delay * POLL_GROWTH);
      const seconds = Math.round((Date.now() - started) / 1000);
      let state;
      try {
        state = (await call(this.config, "GET", path, undefined, signal)).data;
        failures = 0;
      } catch (failure) {
        if (failure.kind === "aborted") throw failure;
        if (failure.kind === "http" && failure.status === 404) {
          throw new ApiFailure("job", "The job is no longer known to the API (unknown, expired or not yours).", { requestId: failure.requestId });
        }
        failures += 1;
        if (failures >= POLL_FAILURES) throw new ApiFailure("waiting", `Could not check on the job: ${failure.message}`, { job });
        continue;
      }
      if (state.status === "done" && state.answer) return { ...state.answer, result_url: state.result_url || null };
      if (state.status === "done" || state.status === "failed") {
        const error = state.error || {};
        throw new ApiFailure("job", error.message || "The job failed without saying why.", { code: error.code || "" });
      }
      const attempt = state.attempts > 1 ? ` (attempt ${state.attempts})` : "";
      line.textContent = state.status === "running"
        ? `Running the query${attempt}… ${seconds} s`
        : `Queued: waiting for a worker… ${seconds} s`;
      if (Date.now() - started > this.config.jobTimeoutMs) {
        throw new ApiFailure("waiting", `Still ${state.status === "running" ? "running" : "queued"} after ${seconds} seconds; the page stopped checking.`, { job });
      }
    }
  }

  renderFailure(turn, slot, question, failure) {
    const titles = {
      network: "The API could not be reached",
      timeout: "The API took too long",
      format: "The API answered in a way the page does not understand",
      job: "The job failed",
      waiting: "Still waiting",
    };
    let title = titles[failure.kind] || "The API returned an error";
    if (failure.kind === "http" || (failure.kind === "format" && failure.status >= 500)) {
      title = failure.status >= 500 ? `The API failed (HTTP ${failure.status})` : `The API refused the request (HTTP ${failure.status})`;
    }
    const actions = [];
    if (failure.kind === "waiting") {
      actions.push(h("button", { type: "button", class: "button primary small", onclick: () => this.run(turn, slot, question, failure.job) }, "Check again"));
    } else if (failure.code === "conversation_not_found") {
      actions.push(h("button", { type: "button", class: "button primary small", onclick: () => {
        this.conversationId = null;
        this.run(turn, slot, question);
      } }, "Ask again in a new conversation"));
    } else {
      actions.push(h("button", { type: "button", class: "button primary small", onclick: () => this.run(turn, slot, question) }, "Retry"));
    }
    slot.replaceChildren(h("article", { class: "answer failed", role: "alert" },
      h("header", { class: "answer-head" }, badge("error"), h("h2", { class: "answer-title" }, title)),
      h("p", { class: "message" }, visible(failure.message)),
      failure.requestId ? h("p", { class: "muted small" }, `Request id ${visible(failure.requestId)}`) : null,
      h("div", { class: "actions" }, actions)));
  }

  renderAnswer(slot, answer, question) {
    const status = answer.status;
    const card = h("article", { class: `answer status-${visible(status)}` });
    const head = h("header", { class: "answer-head" }, badge(status));
    card.append(head);
    if (status === "answered") {
      this.renderAnswered(card, answer, question);
    } else if (status === "clarify") {
      card.append(h("p", { class: "message" }, visible(answer.message || "crq is not sure what you meant.")));
      const suggestions = answer.suggestions || [];
      if (suggestions.length) {
        card.append(h("p", { class: "muted" }, "Did you mean one of these?"),
          h("ul", { class: "suggestions" }, suggestions.map((s) =>
            h("li", {}, h("button", { type: "button", class: "suggestion", onclick: () => this.ask(s) }, visible(s))))));
      }
    } else if (status === "refused") {
      const why = (answer.message || "").replace(/^refused:\s*/i, "");
      card.append(h("p", { class: "message" }, visible(why || "crq will not answer this question.")));
    } else {
      card.append(h("p", { class: "message" }, visible(answer.message || "The question could not be answered.")),
        h("div", { class: "actions" }, h("button", { type: "button", class: "button primary small", onclick: () => {
          const turn = slot.closest(".turn");
          this.run(turn, slot, question);
        } }, "Retry")));
    }
    slot.replaceChildren(card);
    const figure = card.querySelector("figure.chart");
    if (figure) {
      const drawn = this.charts.get(figure);
      drawn.width = figure.querySelector(".chart-area").clientWidth;
      drawChart(figure, drawn.spec, drawn.rows);
      this.resizer.observe(figure);
    }
  }

  renderAnswered(card, answer, question) {
    const rows = answer.rows || [];
    const columns = describeColumns(answer, this.metricFormats);
    const { sentence, reading } = splitReading(visible(answer.answer || ""));
    card.append(h("p", { class: "sentence" }, sentence));
    if (reading) card.append(h("p", { class: "reading" }, h("span", { class: "reading-label" }, "Interpreted as "), reading));
    if (answer.message) card.append(h("p", { class: "callout callout-note" }, h("strong", {}, "Note: "), visible(answer.message)));
    const single = rows.length === 1 && columns.every((c) => c.kind === "metric");
    if (single) {
      card.append(h("dl", { class: "kpis" }, columns.map((c) =>
        h("div", { class: "kpi" }, h("dt", {}, c.label), h("dd", {}, formatCell(rows[0][c.index], c))))));
    }
    const spec = chooseChart(columns, rows);
    if (spec) {
      const caption = spec.type === "line"
        ? `${spec.metric.label} by ${spec.time.label.toLowerCase()}${spec.series ? `, per ${spec.series.label.toLowerCase()}` : ""}`
        : `${spec.metric.label} by ${spec.labels.map((c) => c.label.toLowerCase()).join(" and ")}`;
      const figure = h("figure", { class: "chart" },
        h("figcaption", {}, caption),
        h("div", { class: "chart-area" }),
        h("ul", { class: "legend", hidden: true }),
        h("p", { class: "chart-note muted small", hidden: true }));
      this.charts.set(figure, { spec, rows, width: 0 });
      card.append(figure);
    }
    if (rows.length && !single) card.append(this.table(columns, rows));
    if (answer.result_url && /^https:\/\//.test(answer.result_url)) {
      card.append(h("p", { class: "callout callout-warn" }, "This result is too large to show here. ",
        h("a", { href: answer.result_url, rel: "noopener noreferrer", target: "_blank" }, "Download the whole answer (JSON)"),
        " — the link works for a short time."));
    }
    if (answer.truncated) {
      card.append(h("p", { class: "callout callout-warn" }, h("strong", {}, "Not every row is shown: "),
        `crq stopped at ${rows.length.toLocaleString("en-US")} rows (its row cap). Narrow the question, for example with a filter or a "top 10", to see all of it.`));
    }
    card.append(this.provenance(answer, columns, rows, question));
  }

  table(columns, rows) {
    const table = h("table", { class: "result" },
      h("caption", { class: "visually-hidden" }, `Result: ${rows.length} rows`),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.kind === "metric" ? "num" : null }, c.label)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) =>
        h("td", { class: c.kind === "metric" ? "num" : null, "data-value": JSON.stringify(r[c.index]) }, formatCell(r[c.index], c)))))));
    return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": `Result table, ${rows.length} rows` }, table);
  }

  provenance(answer, columns, rows, question) {
    const facts = [];
    if (answer.sql) facts.push(answer.materialization ? `Answered from the materialized view ${visible(answer.materialization)}` : "Answered from the base tables");
    if (answer.mapper) facts.push(`read by the ${visible(answer.mapper)} mapper`);
    const total = answer.timings_ms && answer.timings_ms.total;
    if (typeof total === "number") facts.push(`${Math.round(total)} ms`);
    const footer = h("footer", { class: "answer-foot" });
    const actions = h("div", { class: "actions" });
    const status = h("span", { class: "action-status muted small", role: "status" });
    if (answer.sql) {
      const panel = h("div", { class: "sql-panel", hidden: true },
        h("h3", {}, "SQL"), h("pre", {}, h("code", {}, visible(answer.sql, true))),
        h("h3", {}, "Parameters"), h("pre", {}, h("code", {}, visible(JSON.stringify(answer.params || {}, null, 2), true))),
        answer.request_id ? h("p", { class: "muted small" }, `Request id ${visible(answer.request_id)}`) : null);
      const id = `sql-${Math.random().toString(36).slice(2, 10)}`;
      panel.id = id;
      const toggle = h("button", { type: "button", class: "button secondary small", "aria-expanded": "false", "aria-controls": id, onclick: () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "Hide SQL" : "Show SQL";
        panel.hidden = !open;
      } }, "Show SQL");
      actions.append(toggle);
      footer.append(actions, status, facts.length ? h("p", { class: "facts muted small" }, facts.join(" · ")) : null, panel);
    } else {
      footer.append(actions, status, facts.length ? h("p", { class: "facts muted small" }, facts.join(" · ")) : null);
    }
    if (rows.length) {
      const names = columns.map((c) => c.name);
      const csv = () => toCsv(names, rows);
      actions.append(
        h("button", { type: "button", class: "button secondary small", onclick: async () => {
          try {
            await navigator.clipboard.writeText(csv());
            status.textContent = `Copied ${rows.length} rows as CSV.`;
          } catch {
            status.textContent = "The browser did not allow copying; use Download CSV.";
          }
        } }, "Copy CSV"),
        h("button", { type: "button", class: "button secondary small", onclick: () => {
          const url = URL.createObjectURL(new Blob([csv()], { type: "text/csv;charset=utf-8" }));
          const link = h("a", { href: url, download: `${slug(question)}.csv`, class: "visually-hidden" });
          document.body.append(link);
          link.click();
          link.remove();
          window.setTimeout(() => URL.revokeObjectURL(url), 1000);
          status.textContent = `Downloaded ${rows.length} rows.`;
        } }, "Download CSV"));
    }
    return footer;
  }
}

function slug(text) {
  return (text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "crq-answer");
}

function fail(message) {
  const banner = document.getElementById("config-error");
  banner.textContent = message;
  banner.hidden = false;
}

try {
  new Page(readConfig()).start();
} catch (error) {
  fail(`The page cannot start: ${error.message}. See docs/demo-page.md.`);
}
