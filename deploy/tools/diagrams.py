"""`make diagrams`: docs/infra_*.puml (PlantUML) and docs/infra_*.mmd (Mermaid) rendered into docs/img/
as SVG and PNG, and docs/img/infra_diagrams.json recording each source's sha256 and each render's.

The manifest is how tests/test_diagrams.py tells that a render is older than its source: a fresh
`git clone` gives every file the same modification time, so times say nothing, but a source whose
hash differs from the one its renders were made from does. Nothing is fetched: PlantUML is Debian's
(with Graphviz), Mermaid is @mermaid-js/mermaid-cli from deploy/tools/node_modules driving Debian's
chromium (deploy/tools/puppeteer-config.json); mermaid-cli serves mermaid's files to the page itself.
Only sources whose hash or renders changed are rendered again, unless --force.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
IMG = DOCS / "img"
MANIFEST = IMG / "infra_diagrams.json"
TOOLS = ROOT / "deploy" / "tools"
MMDC = TOOLS / "node_modules" / ".bin" / "mmdc"
PUPPETEER_CONFIG = TOOLS / "puppeteer-config.json"
FORMATS = ("svg", "png")
# what a renderer draws instead of failing; a render holding it is refused
FAILURE_MARKS = ("Syntax Error", "Syntax error in text", "Parse error")


class RenderError(Exception):
    """A source that did not render; the message has the tool's own words."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sources() -> list[Path]:
    return sorted([*DOCS.glob("infra_*.puml"), *DOCS.glob("infra_*.mmd")])


def kind(source: Path) -> str:
    return {".puml": "plantuml", ".mmd": "mermaid"}[source.suffix]


def renders(source: Path) -> dict[str, Path]:
    """docs/infra_architecture.puml -> {svg: docs/img/infra_architecture-plantuml.svg, png: ...}."""
    return {fmt: IMG / f"{source.stem}-{kind(source)}.{fmt}" for fmt in FORMATS}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(command, capture_output=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise RenderError(f"{' '.join(command[:3])}... exited {result.returncode}: "
                          f"{(result.stderr or result.stdout).decode(errors='replace')[-2000:]}")
    return result  # type: ignore[no-any-return]


def render_plantuml(source: Path, fmt: str, out: Path) -> None:
    # -pipe: the image on stdout whatever @startuml names it; PlantUML exits non-zero on a syntax error
    command = ["plantuml", f"-t{fmt}", "-pipe", "-charset", "UTF-8", "-nometadata"]
    result = _run(command, input=source.read_bytes())
    out.write_bytes(result.stdout)


def render_mermaid(source: Path, fmt: str, out: Path) -> None:
    if not MMDC.exists():
        raise RenderError(f"{rel(MMDC)} missing: run `make tools-node`")
    scale = ["--scale", "2"] if fmt == "png" else []
    _run([str(MMDC), "--quiet", "--puppeteerConfigFile", str(PUPPETEER_CONFIG), "--input", str(source),
          "--output", str(out), "--backgroundColor", "white", *scale])


RENDERERS: dict[str, Callable[[Path, str, Path], None]] = {
    "plantuml": render_plantuml,
    "mermaid": render_mermaid,
}


def tool_versions() -> dict[str, str]:
    versions = {}
    try:
        versions["plantuml"] = _run(["plantuml", "-version"]).stdout.decode().splitlines()[0]
    except (OSError, RenderError, IndexError):
        versions["plantuml"] = "unknown"
    try:
        versions["mermaid"] = "mermaid-cli " + _run([str(MMDC), "--version"]).stdout.decode().strip()
    except (OSError, RenderError):
        versions["mermaid"] = "unknown"
    return versions


def check(path: Path, fmt: str) -> None:
    data = path.read_bytes()
    if fmt == "png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RenderError(f"{rel(path)}: not a PNG")
    if fmt == "svg":
        text = data.decode()
        if "<svg" not in text:
            raise RenderError(f"{rel(path)}: not an SVG")
        for mark in FAILURE_MARKS:
            if mark in text:
                raise RenderError(f"{rel(path)}: the renderer drew {mark!r} instead of the diagram")


def render(source: Path, tool: str) -> dict[str, object]:
    """Both formats into a temporary folder first: a failed render leaves docs/img/ as it was."""
    entry: dict[str, object] = {"sha256": sha256(source), "tool": tool, "renders": {}}
    with tempfile.TemporaryDirectory() as folder:
        made = {}
        for fmt, target in renders(source).items():
            out = Path(folder) / target.name
            RENDERERS[kind(source)](source, fmt, out)
            check(out, fmt)
            made[target] = out
        for target, out in made.items():
            target.write_bytes(out.read_bytes())
            entry["renders"][rel(target)] = sha256(target)  # type: ignore[index]
    return entry


def current(entry: dict[str, object] | None, source: Path) -> bool:
    if not entry or entry.get("sha256") != sha256(source):
        return False
    recorded = entry.get("renders") or {}
    return all(p.exists() and recorded.get(rel(p)) == sha256(p) for p in renders(source).values())  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="render every source, changed or not")
    args = parser.parse_args(argv)
    IMG.mkdir(parents=True, exist_ok=True)
    old = json.loads(MANIFEST.read_text())["diagrams"] if MANIFEST.exists() else {}
    versions = tool_versions()
    diagrams = {}
    failed = []
    for source in sources():
        key = rel(source)
        if not args.force and current(old.get(key), source):
            print(f"{key}: up to date")
            diagrams[key] = old[key]
            continue
        try:
            diagrams[key] = render(source, versions[kind(source)])
            print(f"{key}: rendered -> {', '.join(diagrams[key]['renders'])}")  # type: ignore[arg-type]
        except (RenderError, OSError, subprocess.TimeoutExpired) as e:
            failed.append(f"{key}: {e}")
            if key in old:
                diagrams[key] = old[key]  # its renders are untouched; the test reports them stale
    for key in set(old) - set(diagrams):  # a source was removed: so are its renders
        for path in old[key].get("renders", {}):
            (ROOT / path).unlink(missing_ok=True)
        print(f"{key}: source gone, renders removed")
    MANIFEST.write_text(json.dumps({"generator": "deploy/tools/diagrams.py (make diagrams)",
                                    "diagrams": diagrams}, indent=2, sort_keys=True) + "\n")
    for line in failed:
        print(f"error: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
