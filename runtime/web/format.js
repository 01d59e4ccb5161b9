// Pure helpers: what each column of an answer is, and how its values read. No DOM here, so the
// browser tests can check them directly; the numbers are formatted exactly as crq's CLI formats them
// (runtime/answer.py format_value), so the page and `crq ask` never disagree on a figure.

const GRAINS = ["day", "week", "month", "quarter", "year"];
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SHARE_SUFFIX = "_share";
// units (models/units.py): how each is shown, where that differs from its name, and their families
const UNIT_DISPLAY = { USD: "currency", GB: "gb", count: "integer", fraction: "percent", percent: "share" };
const UNIT_LABEL = { thousand_USD: "thousand USD", million_USD: "million USD" };
const SCALED_USD = { thousand_USD: "k", million_USD: "M" };
const DATA = new Set(["B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "PiB"]);
const DURATIONS = new Set(["seconds", "minutes", "hours", "days"]);

/** The format a unit's numbers are shown in (runtime/answer.py format_value's vocabulary). */
export function unitFormat(unit) {
  return unit ? UNIT_DISPLAY[unit] || unit : "number";
}

// C0 controls but the newline, DEL, C1 controls and bidi overrides/isolates: data (tag values, account
// names) is written by anyone who can tag a resource, so these show as escapes, as in the CLI.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text that cannot reorder or hide what follows it: each control character written as an escape. */
export function visible(value, lines = false) {
  return String(value).replace(lines ? CONTROL : CONTROL_OR_NEWLINE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

function fixed(number, digits, grouping = true) {
  // half-even, as Python's format() rounds the exact binary value
  return number.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    useGrouping: grouping,
    roundingMode: "halfEven",
  });
}

/** A value as `crq ask` prints it: format is a metric's format from the catalog, or "share". */
export function formatValue(value, format = "number") {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value !== "number") return visible(value);
  switch (format) {
    case "currency":
      return `$${fixed(value, 2)}`;
    case "percent":
      return `${fixed(value * 100, 1, false)}%`;
    case "share":
      return `${fixed(value, 1, false)}%`;
    case "gb":
      return `${fixed(value, 1)} GB`;
    case "integer":
      return fixed(value, 0);
    default:
      if (format in SCALED_USD) return `$${fixed(value, 2)}${SCALED_USD[format]}`;
      // other data sizes: small amounts of large units keep three decimals
      if (DATA.has(format)) return `${fixed(value, Math.abs(value) >= 1 || value === 0 ? 1 : 3)} ${format}`;
      if (DURATIONS.has(format)) return `${fixed(value, 1)} ${format}`;
      return fixed(value, Number.isInteger(value) ? 0 : 2);
  }
}

/** A short number for chart axes: $120K, 45%, 1.2K. */
export function formatCompact(value, format = "number") {
  if (format === "percent") return `${fixed(value * 100, Math.abs(value) < 0.1 && value !== 0 ? 1 : 0, false)}%`;
  if (format === "share") return `${fixed(value, Math.abs(value) < 10 && value !== 0 ? 1 : 0, false)}%`;
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(value);
  if (format === "currency") return value < 0 ? `-$${compact.slice(1)}` : `$${compact}`;
  if (format === "gb") return `${compact} GB`;
  if (format in SCALED_USD) return value < 0 ? `-$${compact.slice(1)}${SCALED_USD[format]}` : `$${compact}${SCALED_USD[format]}`;
  if (DATA.has(format) || DURATIONS.has(format)) return `${compact} ${format}`;
  return compact;
}

/** A date bucket readable by people: May 2026, Q2 2026, week of 1 Jun 2026, 17 Jun 2026. */
export function formatDate(value, grain = "day") {
  if (typeof value !== "string") return formatValue(value);
  const day = ISO_DATE.exec(value);
  const stamp = day ? null : ISO_TIMESTAMP.exec(value);
  if (!day && !stamp) return visible(value);
  const [, y, m, d] = day || stamp;
  const month = MONTHS[Number(m) - 1];
  if (!month) return visible(value);
  const date = `${Number(d)} ${month} ${y}`;
  if (stamp) return `${date}, ${stamp[4]}:${stamp[5]}`;
  switch (grain) {
    case "year":
      return y;
    case "quarter":
      return `Q${Math.floor((Number(m) - 1) / 3) + 1} ${y}`;
    case "month":
      return `${month} ${y}`;
    case "week":
      return `Week of ${date}`;
    default:
      return date;
  }
}

function words(name) {
  const text = visible(name).replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * What each column of an answer is. metricFormats: metric name -> format, from GET /v1/catalog.
 * Metrics are the intent's metrics (plus their `<metric>_share` when the intent asks for shares),
 * shown in the unit the intent asks for (`units`), labelled with it;
 * a dimension with a grain (`usage_date__month`), or whose values are all dates, is time.
 */
export function describeColumns(answer, metricFormats = {}) {
  const intent = answer.intent || {};
  const metrics = new Set(intent.metrics || []);
  const units = Object.fromEntries((intent.units || []).map((u) => [u.metric, u.unit]));
  const shares = intent.share ? new Set([...metrics].map((m) => m + SHARE_SUFFIX)) : new Set();
  const rows = answer.rows || [];
  return (answer.columns || []).map((name, index) => {
    if (shares.has(name)) {
      const base = name.slice(0, -SHARE_SUFFIX.length);
      return { name, index, kind: "metric", format: "share", label: `Share of ${words(base).toLowerCase()}` };
    }
    if (units[name] && metrics.has(name)) {
      const unit = units[name];
      return { name, index, kind: "metric", format: unitFormat(unit), label: `${words(name)} (${UNIT_LABEL[unit] || unit})` };
    }
    if (metrics.has(name) || (!intent.metrics && name in metricFormats)) {
      return { name, index, kind: "metric", format: metricFormats[name] || "number", label: words(name) };
    }
    const [, base, grain] = /^(.*)__([a-z]+)$/.exec(name) || [];
    if (base && GRAINS.includes(grain)) {
      return { name, index, kind: "time", grain, label: `${words(base)} (${grain})` };
    }
    const values = rows.map((r) => r[index]).filter((v) => v !== null && v !== undefined);
    if (values.length && values.every((v) => typeof v === "string" && (ISO_DATE.test(v) || ISO_TIMESTAMP.test(v)))) {
      return { name, index, kind: "time", grain: "day", label: words(name) };
    }
    return { name, index, kind: "dimension", label: words(name) };
  });
}

/** One cell's text. */
export function formatCell(value, column) {
  if (column.kind === "metric") return formatValue(value, column.format);
  if (column.kind === "time") return formatDate(value, column.grain);
  return formatValue(value);
}

/**
 * The answer's sentence and its reading: crq ends an answer with "(interpreted as ...)." and the page
 * shows the two apart. Anything else stays whole.
 */
export function splitReading(text) {
  const marker = " (interpreted as ";
  const at = text.lastIndexOf(marker);
  if (at < 0 || !text.endsWith(").")) return { sentence: text, reading: "" };
  return { sentence: `${text.slice(0, at)}.`, reading: text.slice(at + marker.length, -2) };
}

function csvField(value) {
  if (value === null || value === undefined) return "";
  let text = String(value);
  // a cell a spreadsheet would run as a formula (=HYPERLINK(...) in a tag value) is kept as text
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The rows as CSV (RFC 4180), with the raw values the API returned, not the formatted ones. */
export function toCsv(columns, rows) {
  return [columns, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}
