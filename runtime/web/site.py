"""``make site``: the demo page as static files for S3 (``aws s3 sync dist/site s3://BUCKET/``).

    python -m runtime.web.site [--out dist/site] [--api-base-url URL]   (default: $CRQ_API_BASE_URL)

``config.js`` gets the API's base URL; ``index.html`` gets the page's Content-Security-Policy as a
<meta> element whose connect-src names the API's origin, since S3 sends no headers of its own (a
CloudFront response headers policy can send the same policy as a header). docs/demo-page.md.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from runtime.web import page_files, policy

__all__ = ["SiteError", "api_base", "build"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_CONFIG_LINE = re.compile(r'^(\s*apiBaseUrl:\s*)"",?$', re.M)
_CHARSET = '<meta charset="utf-8">'
_SAFE_HOST = re.compile(r"[A-Za-z0-9.-]+|::1")
_SAFE_PATH = re.compile(r"[A-Za-z0-9._~/-]*")


class SiteError(Exception):
    """A base URL or an output folder the site cannot be built with; the message says why."""


def api_base(url: str) -> tuple[str, str]:
    """(base URL without a trailing slash, origin) of the API, checked: https (http only on this
    machine), no user, query or fragment. A path is kept (a REST API's stage: .../prod)."""
    parts = urlsplit(url.strip())
    example = "https://abc123.execute-api.eu-west-1.amazonaws.com"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SiteError(f"CRQ_API_BASE_URL must be the API's absolute URL, such as {example}; got {url!r}")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise SiteError(f"CRQ_API_BASE_URL must use https (http only on 127.0.0.1 or localhost); got {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SiteError(f"CRQ_API_BASE_URL takes no user, query or fragment; got {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise SiteError(f"CRQ_API_BASE_URL has an invalid port; got {url!r}") from None
    if not _SAFE_HOST.fullmatch(parts.hostname) or not _SAFE_PATH.fullmatch(parts.path):
        raise SiteError(f"CRQ_API_BASE_URL has characters a host name or an API path does not; got {url!r}")
    origin = f"{parts.scheme}://{parts.netloc.lower()}"
    return origin + parts.path.rstrip("/"), origin


def _clear(out: Path) -> None:
    """Empty ``out`` if it holds an earlier site (so removed files do not linger in the bucket);
    refuse any other non-empty folder rather than delete what is not ours."""
    if not out.exists():
        return
    if not out.is_dir():
        raise SiteError(f"{out} is not a folder")
    entries = list(out.iterdir())
    if entries and not ((out / "index.html").is_file() and (out / "config.js").is_file()):
        raise SiteError(f"{out} is not empty and holds no earlier site; choose an empty or new folder")
    for entry in entries:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def build(out: Path, api_base_url: str) -> list[Path]:
    """Write the page into ``out`` for the API at ``api_base_url``; returns the files written."""
    base, origin = api_base(api_base_url)
    sources = {p.name: p for p in page_files()}
    source = sources["config.js"].read_text()
    config, found = _CONFIG_LINE.subn(lambda m: f"{m[1]}{json.dumps(base)},", source)
    index = sources["index.html"].read_text()
    if found != 1 or index.count(_CHARSET) != 1:
        raise SiteError('config.js needs one line `apiBaseUrl: "",` and index.html one <meta charset>')
    csp = html.escape(policy(origin, meta=True), quote=False)  # the checked origin needs no more
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    _clear(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in sources.items():
        target = out / name
        if name == "config.js":
            target.write_text(config)
        elif name == "index.html":
            target.write_text(index.replace(_CHARSET, f"{_CHARSET}\n  {meta}"))
        else:
            shutil.copyfile(path, target)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("dist/site"))
    parser.add_argument("--api-base-url", default=os.environ.get("CRQ_API_BASE_URL", ""),
                        help="the API's base URL (default: $CRQ_API_BASE_URL)")
    args = parser.parse_args(argv)
    if not args.api_base_url:
        example = "CRQ_API_BASE_URL=https://abc123.execute-api.eu-west-1.amazonaws.com make site"
        print(f"make site: set CRQ_API_BASE_URL to the API's URL, e.g. {example}", file=sys.stderr)
        return 2
    try:
        files = build(args.out, args.api_base_url)
    except SiteError as e:
        print(f"make site: {e}", file=sys.stderr)
        return 2
    base, _ = api_base(args.api_base_url)
    print(f"{len(files)} files in {args.out} for the API at {base}; upload with: aws s3 sync {args.out} s3://BUCKET/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
