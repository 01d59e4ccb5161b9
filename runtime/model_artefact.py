"""A precompiled model: the validated model and the offline mapper's words, loaded instead of the YAML.

Reading a model means parsing its YAML, validating it against every rule and indexing its phrases
for the offline mapper (``Vocabulary``'s base: everything but the values found in the data). All of
it grows with the model (about 0.3 s for a model 30 times the shipped one) and none of it changes
until the YAML or crq does, so it is done once and written as an artefact:

* ``crq build MODEL`` writes ``MODEL.crqm`` next to the YAML (``build_artefact``); the Lambda app
  layer ships one for each model in it (deploy/layers/build.py), and the chat API's container loads
  it instead of the YAML when it matches (``load_for_container``);
* the CLI keeps one per model in ``$CRQ_HOME/models`` (``load_cached``), so a second `crq ask` on the
  same YAML skips parsing and validation.

An artefact is used only when it was made from the same YAML bytes, by the same crq code, with the
same versions of the libraries whose objects it holds (``code_version``); anything else (an edited
YAML, another crq, a damaged or foreign file) is never trusted: the CLI rebuilds it from the YAML,
the container logs why and reads the YAML. The payload is a pickle, so it is read with an
unpickler that only builds crq's model and vocabulary classes, after its digest matched: a SHA-256
for an artefact built for deployment (as trusted as the code beside it in the layer), an HMAC with
a key of the CRQ_HOME for the CLI's own (a file copied in from elsewhere is rebuilt, never read).

Layout: the line ``crq-model-artefact``, a line of JSON (``Header``), a line with the digest of the
header line and the payload (hex), then the payload: ``pickle.dumps((model, base_vocabulary))``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import pickle
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from models.semantic_model import SemanticModel
from runtime.mappers.vocabulary import Vocabulary, base_vocabulary, remember_base
from semantic.loader import DEFAULT_MODEL, check_model, check_model_bytes, read_model_bytes, valid_model

logger = logging.getLogger(__name__)

FORMAT = 1
MAGIC = b"crq-model-artefact\n"
SUFFIX = ".crqm"
CACHE_FOLDER = "models"  # under $CRQ_HOME
KEEP = 16  # the CLI's cache keeps the artefacts of the models used last
_KEY_FILE = ".key"
_MAX_HEADER = 4096
_ROOT = Path(__file__).resolve().parent.parent
CODE_STAMP = _ROOT / "runtime" / "code_version.txt"  # only in a built layer, never in a work tree
# the code whose classes the payload holds or whose rules made it: a change in any file is another crq
_CODE = ("models", "semantic", "compiler", "runtime/mappers")
# what the payload may name: crq's model and vocabulary classes, and dates a verified query may hold
_ALLOWED_MODULES = ("models.intent", "models.semantic_model", "models.units", "runtime.mappers.vocabulary")
_ALLOWED_GLOBALS = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timedelta"),
                    ("datetime", "timezone"), ("decimal", "Decimal")}  # fmt: skip


class ArtefactRefused(Exception):
    """An artefact that is not used; the message says why, in words."""


@dataclass(frozen=True)
class Header:
    """What an artefact was made from. ``source`` and ``code`` decide whether it is used."""

    format: int
    source: str  # SHA-256 of the YAML file's bytes
    code: str  # code_version() of the crq that built it
    file: str  # the YAML's name when it was built, for messages
    signed: bool  # digest is an HMAC with the CRQ_HOME's key (else a SHA-256)


@dataclass(frozen=True)
class Loaded:
    """A model ready to use and where it came from (``artefact`` or ``yaml``)."""

    model: SemanticModel
    origin: str
    artefact: Path | None = None


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of crq's code that shapes an artefact (``_CODE``'s Python files, by path and content)
    and of the libraries whose objects or parsing it holds. Computed once per process (3-10 ms, more
    than reading a small model), except where the build stamped it beside the code (``CODE_STAMP``,
    written into the Lambda app layer by deploy/layers/build.py, whose files do not change after)."""
    try:
        return CODE_STAMP.read_text().strip()
    except FileNotFoundError:
        return _hash_code()


def _hash_code() -> str:
    import pydantic
    import pydantic_core
    import sqlglot
    import yaml

    h = hashlib.sha256(f"{FORMAT}|{pydantic.VERSION}|{pydantic_core.__version__}|".encode())
    h.update(f"{yaml.__version__}|{getattr(sqlglot, '__version__', '')}|".encode())
    files = [p for part in _CODE for p in (_ROOT / part).rglob("*.py")] + [Path(__file__).resolve()]
    for path in sorted(files, key=lambda p: p.relative_to(_ROOT).as_posix()):
        h.update(path.relative_to(_ROOT).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def source_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artefact_path(model_path: str | Path) -> Path:
    """Where `crq build` writes a model's artefact and the container looks for it: next to the YAML."""
    return Path(model_path).with_suffix(SUFFIX)


# --- writing -----------------------------------------------------------------------------------------


def compile_model(data: bytes, file: str) -> tuple[SemanticModel, Vocabulary]:
    """Parse and validate the YAML (ModelValidationError with file:line for each error), and index
    its words."""
    model = valid_model(*check_model_bytes(data, file))
    return model, base_vocabulary(model)


def artefact_bytes(
    model: SemanticModel, base: Vocabulary, data: bytes, file: str, key: bytes | None = None
) -> bytes:
    """The artefact of ``model`` (built from the YAML ``data``), signed with ``key`` when given."""
    header = Header(FORMAT, source_digest(data), code_version(), Path(file).name, key is not None)
    line = json.dumps(asdict(header), sort_keys=True).encode() + b"\n"
    payload = pickle.dumps((model, base), protocol=5)
    return MAGIC + line + _digest(key, line, payload).encode() + b"\n" + payload


def build_artefact(
    model_path: str | Path | None = None, out: str | Path | None = None
) -> tuple[Path, Header]:
    """`crq build`: validate the YAML and write its artefact (default: next to it); return where and
    what. The artefact is unsigned: it goes where the code goes (a Lambda layer)."""
    path = Path(model_path or DEFAULT_MODEL)
    data = read_model_bytes(path)
    model, base = compile_model(data, str(path))
    target = Path(out) if out else artefact_path(path)
    blob = artefact_bytes(model, base, data, str(path))
    _write_atomically(target, blob)
    return target, _parse_header(blob.split(b"\n", 2)[1])


def _write_atomically(target: Path, blob: bytes, mode: int = 0o644) -> None:
    """Written beside the target and renamed over it: a reader sees the old file or the whole new one.
    ``mode``: 0o644 for a deployment's artefact (less the umask), 0o600 for the CLI's cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)  # made 0o600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        if mode != 0o600:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, mode & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading -----------------------------------------------------------------------------------------


def read_artefact(
    path: str | Path, data: bytes, key: bytes | None = None
) -> tuple[SemanticModel, Vocabulary]:
    """The model and base vocabulary in the artefact at ``path``, made from the YAML ``data`` by this
    crq; raises ArtefactRefused saying why not. ``key``: the digest must be an HMAC with it (the CLI's
    cache); without one it must be a SHA-256 (a deployment's artefact)."""
    try:
        blob = Path(path).read_bytes()
    except OSError as e:
        raise ArtefactRefused(f"cannot read it ({e.strerror or e})") from None
    return parse_artefact(blob, data, key)


def parse_artefact(blob: bytes, data: bytes, key: bytes | None = None) -> tuple[SemanticModel, Vocabulary]:
    if not blob.startswith(MAGIC):
        raise ArtefactRefused("it is not a crq model artefact")
    end = blob.find(b"\n", len(MAGIC), len(MAGIC) + _MAX_HEADER)
    if end < 0:
        raise ArtefactRefused("it is damaged (no header)")
    line = blob[len(MAGIC) : end + 1]
    header = _parse_header(line)
    if header.format != FORMAT:
        raise ArtefactRefused(f"it has format {header.format}; this crq reads format {FORMAT}")
    if header.source != source_digest(data):
        raise ArtefactRefused(f"it was built from another version of {header.file} (the YAML changed since)")
    if header.code != code_version():
        raise ArtefactRefused("it was built by another version of crq")
    if header.signed != (key is not None):
        raise ArtefactRefused("it was built elsewhere" if key is not None else "it belongs to a CLI's cache")
    digest, payload = blob[end + 1 : end + 1 + 65], blob[end + 1 + 65 :]
    if not hmac.compare_digest(digest, _digest(key, line, payload).encode() + b"\n"):
        raise ArtefactRefused("its digest does not match: it is damaged, or was not built here")
    try:
        model, base = _Unpickler(io.BytesIO(payload)).load()
    except Exception as e:  # a payload that passed its digest yet fails: another Python, a bug
        raise ArtefactRefused(f"it cannot be read ({type(e).__name__}: {e})") from None
    held = isinstance(model, SemanticModel) and isinstance(base, Vocabulary)
    if not held or base.source_model is not model:
        raise ArtefactRefused("it does not hold a model and its vocabulary")
    return model, base


def _parse_header(line: bytes) -> Header:
    try:
        fields = json.loads(line)
        return Header(**{k: fields[k] for k in Header.__dataclass_fields__})
    except (ValueError, KeyError, TypeError):
        raise ArtefactRefused("it is damaged (its header cannot be read)") from None


def _digest(key: bytes | None, line: bytes, payload: bytes) -> str:
    if key is None:
        h = hashlib.sha256(line)
        h.update(payload)
        return h.hexdigest()
    mac = hmac.new(key, line, hashlib.sha256)
    mac.update(payload)
    return mac.hexdigest()


class _Unpickler(pickle.Unpickler):
    """Builds only the classes a model and its vocabulary are made of, never a function: whatever a
    payload says, reading it cannot run code."""

    def find_class(self, module: str, name: str) -> type:
        if module in _ALLOWED_MODULES or (module, name) in _ALLOWED_GLOBALS:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a model")


# --- the two users: the CLI's cache and the API's container ------------------------------------------


_LOADED: dict[tuple[str, str, str], Loaded] = {}


def _once(mode: str, model_path: str | Path | None, load: Callable[[Path, bytes], Loaded]) -> Loaded:
    """One Loaded per file content and mode in a process (a SnapStart snapshot keeps what
    ``before_snapshot`` loaded; in-process CLI calls share the model, its catalog and words). A file
    that cannot be read is reported as the loader reports it (E000, with its path)."""
    path = Path(model_path or DEFAULT_MODEL)
    try:
        data = read_model_bytes(path)
    except OSError:
        return Loaded(valid_model(*check_model(path)), "yaml")
    key = (str(path.resolve()), source_digest(data), mode)
    if key not in _LOADED:
        if len(_LOADED) >= 8:
            _LOADED.clear()
        _LOADED[key] = load(path, data)
    return _LOADED[key]


def load_cached(model_path: str | Path | None, home: Path) -> Loaded:
    """The CLI's model: from ``home/models/<digest>.crqm`` when this crq made one from these bytes,
    else from the YAML (ModelValidationError with file:line when it is invalid), then written there
    for the next run. A cache that cannot be written (a read-only CRQ_HOME) only costs the next run."""
    return _once(f"cache:{home}", model_path, lambda path, data: _load_cached(path, data, home))


def _load_cached(path: Path, data: bytes, home: Path) -> Loaded:
    folder = home / CACHE_FOLDER
    key = _cache_key(folder)
    name = hashlib.sha256(f"{code_version()}|{source_digest(data)}".encode()).hexdigest()[:40] + SUFFIX
    cached = folder / name
    if key is not None and cached.exists():
        try:
            model, base = read_artefact(cached, data, key)
        except ArtefactRefused as e:
            logger.info("model cache %s not used: %s", cached, e)
        else:
            remember_base(model, base)
            os.utime(cached)  # the cache keeps the models used last
            return Loaded(model, "artefact", cached)
    model, base = compile_model(data, str(path))
    if key is not None:
        try:
            _write_atomically(cached, artefact_bytes(model, base, data, str(path), key), mode=0o600)
            _prune(folder, keep=cached)
        except OSError as e:
            logger.info("model cache not written: %s", e)
    return Loaded(model, "yaml")


def _cache_key(folder: Path) -> bytes | None:
    """This CRQ_HOME's key for signing its artefacts (made on first use, readable by its owner only);
    None when it cannot be read or made: then there is no cache."""
    path = folder / _KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".key.", dir=folder)  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
        os.replace(tmp, path)
        return path.read_bytes()  # the file another process may have renamed in just before
    except OSError:
        return None


def _prune(folder: Path, keep: Path) -> None:
    """The newest KEEP artefacts stay; an edited model's older ones go."""
    found = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in found[KEEP:]:
        if old != keep:
            old.unlink(missing_ok=True)


def load_for_container(model_path: str | Path | None, warn: Callable[[str], None] = logger.warning) -> Loaded:
    """The API container's model: from the artefact next to the YAML when it matches, else from the
    YAML, after ``warn`` said why the artefact was refused (a stale one means the deployment shipped
    a YAML edited after `crq build`, or another crq: rebuild it). No artefact: the YAML, silently."""
    return _once("container", model_path, lambda path, data: _load_for_container(path, data, warn))


def _load_for_container(path: Path, data: bytes, warn: Callable[[str], None]) -> Loaded:
    artefact = artefact_path(path)
    if artefact.exists():
        try:
            model, base = read_artefact(artefact, data)
        except ArtefactRefused as e:
            warn(f"model artefact {artefact} not used: {e}; reading {path} instead (run `crq build {path}`)")
        else:
            remember_base(model, base)
            return Loaded(model, "artefact", artefact)
    return Loaded(valid_model(*check_model_bytes(data, str(path))), "yaml")  # words: when a mapper asks


def main(argv: list[str] | None = None) -> None:
    """``python -m runtime.model_artefact [--stamp] MODEL...``: each model's artefact beside it, as
    `crq build` writes it, for the layer builder (the layer has no CLI); ``--stamp`` then writes
    ``CODE_STAMP``, so that the layer's containers need not hash the code at each cold start."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    for model in (a for a in args if a != "--stamp"):
        target, _ = build_artefact(model)
        print(target)
    if "--stamp" in args:
        CODE_STAMP.write_text(_hash_code() + "\n")
        print(CODE_STAMP)


if __name__ == "__main__":
    main()


__all__ = [
    "ArtefactRefused",
    "Header",
    "Loaded",
    "artefact_path",
    "build_artefact",
    "code_version",
    "load_cached",
    "load_for_container",
    "parse_artefact",
    "read_artefact",
]
