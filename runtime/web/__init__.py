"""The demo page: static files (index.html, app.js, chart.js, format.js, style.css, config.js) and
what serving them needs, shared by ``crq serve`` (runtime/server.py) and ``make site`` (site.py).

Only files directly in this folder with a known suffix are the page: no request path can reach outside
it, nor this module's own Python files. docs/demo-page.md describes the page.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["CONTENT_TYPES", "ROOT", "find", "headers", "page_files", "policy"]

ROOT = Path(__file__).parent

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def page_files() -> list[Path]:
    """Every file of the page, sorted."""
    return sorted(p for p in ROOT.iterdir() if p.is_file() and p.suffix in CONTENT_TYPES)


def policy(api_origin: str | None = None, *, meta: bool = False) -> str:
    """The page's Content-Security-Policy: its own files, and requests to itself and the API's origin.

    No inline script or style and no other origin, so a value that slipped into the page as markup
    could still not run or load anything. ``meta`` leaves out ``frame-ancestors``, which browsers
    ignore (and report as an error) in a <meta> element."""
    connect = " ".join(["'self'", *([api_origin] if api_origin else [])])
    directives = [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        f"connect-src {connect}",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    if not meta:
        directives.append("frame-ancestors 'none'")
    return "; ".join(directives)


def find(target: str) -> Path | None:
    """The page's file for a request target ("/" is index.html), or None when it names none."""
    name = unquote(urlsplit(target).path)
    name = "index.html" if name == "/" else name.removeprefix("/")
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        return None
    file = ROOT / name
    return file if file.suffix in CONTENT_TYPES and file.is_file() else None


def headers(file: Path) -> dict[str, str]:
    """What ``crq serve`` sends with a file of the page (the API is on its own origin)."""
    return {
        "Content-Type": CONTENT_TYPES[file.suffix],
        "Content-Security-Policy": policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
