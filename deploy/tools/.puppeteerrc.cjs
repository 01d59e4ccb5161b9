// puppeteer must never download a browser (none can be fetched here): mermaid-cli drives Debian's
// chromium through puppeteer-config.json (executablePath /usr/bin/chromium).
module.exports = { skipDownload: true };
