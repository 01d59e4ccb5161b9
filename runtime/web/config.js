// Where the page finds the crq API. `crq serve` serves this file as is (the API on the same origin);
// `make site` writes its own copy with apiBaseUrl from CRQ_API_BASE_URL (docs/demo-page.md).
window.CRQ_CONFIG = {
  // "" = the page's own origin; else e.g. "https://abc123.execute-api.eu-west-1.amazonaws.com"
  apiBaseUrl: "",
  // "YYYY-MM-DD" pins the date "today" means (data loaded as of another day); null = today in UTC.
  // A page address ending in ?as_of=2026-06-17 does the same for one visit.
  asOf: null,
  // IANA time zone in which time buckets (days, months) are cut
  timezone: "UTC",
  // true asks the API to answer as a job (202, then polled): for answers that may take longer than
  // API Gateway's 30 seconds
  asyncJobs: false,
  requestTimeoutMs: 30000,
  // how long the page keeps polling a job before it stops and offers "Check again"
  jobTimeoutMs: 180000,
};
