"""deploy/publish.py end to end against moto's server (real HTTP on 127.0.0.1): the functions are set up
as deploy/terraform leaves them (lib + app layers, an extra layer, a `live` alias on version 1), then a
deploy publishes the app layer, points both functions at it, publishes versions and moves the alias;
the smoke test asks a real `crq serve` (the Lambda handler over HTTP) for `GET /v1/health`; a failed
smoke test moves every alias back; `rollback` moves the alias back one version.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from runtime.aws import api
from semantic import load_model

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy" / "publish.py"
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's
BUCKET = "crq-layers"
CHAT, JOBS = "crq-chat", "crq-jobs"
VERSION = importlib.metadata.version("cloud-resource-query")

_spec = importlib.util.spec_from_file_location("crq_publish", SCRIPT)
assert _spec and _spec.loader
publish = sys.modules["crq_publish"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(publish)


def layer_arn(name: str, version: int) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:{version}"


LIB1, APP1, POLICY1 = layer_arn("crq-lib-arm64", 1), layer_arn("crq-app", 1), layer_arn("crq-access-policy", 1)
APP2 = layer_arn("crq-app", 2)


def layer_zip(path: Path, version: str = VERSION, marker: str = "new") -> Path:
    """An app layer as `make layers` lays it out: python/ with the packages and the wheel metadata."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("python/runtime/deployed.py", f"BUILD = {marker!r}\n")
        z.writestr("python/cloud_resource_query-0.dist-info/METADATA",
                   f"Metadata-Version: 2.1\nName: cloud-resource-query\nVersion: {version}\n")
    return path


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Fresh moto state holding what `terraform apply` of deploy/terraform leaves: the layer bucket,
    layer versions 1, both functions on them (chat also has the access-policy layer) published as
    version 1, and their `live` aliases on it. Yields the Lambda client."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10)
    for name, value in {"AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    iam, s3, lam = boto3.client("iam"), boto3.client("s3"), boto3.client("lambda")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="crq-chat-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    for name, archs in (("crq-lib-arm64", ["arm64"]), ("crq-app", []), ("crq-access-policy", [])):
        key = f"terraform/{name}.zip"
        s3.upload_file(str(layer_zip(tmp_path / f"{name}.zip", marker="old")), BUCKET, key)
        lam.publish_layer_version(LayerName=name, Content={"S3Bucket": BUCKET, "S3Key": key},
                                  CompatibleRuntimes=["python3.12"], CompatibleArchitectures=archs)
    placeholder = io.BytesIO()
    with zipfile.ZipFile(placeholder, "w") as z:
        z.writestr("README.txt", "crq's code is in its layers")
    for function, layers in ((CHAT, [LIB1, APP1, POLICY1]), (JOBS, [LIB1, APP1])):
        created = lam.create_function(
            FunctionName=function, Runtime="python3.12", Role=role, Handler="runtime.aws.api.handler",
            Code={"ZipFile": placeholder.getvalue()}, Layers=layers, Architectures=["arm64"], Publish=True)
        assert created["Version"] == "1"
        lam.create_alias(FunctionName=function, Name="live", FunctionVersion="1")
    yield lam


@pytest.fixture(scope="module")
def health_server() -> Iterator[str]:
    """`crq serve` (the Lambda handler over HTTP on 127.0.0.1); each test gives it a container."""
    from runtime.server import make_server

    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    api.use_container(None)


@pytest.fixture
def healthy(health_server: str, pg_url: str) -> Iterator[str]:
    api.use_container(api.Container(load_model(), pg_url))
    yield f"{health_server}/v1/health"
    api.use_container(None)


def run(*argv: str) -> tuple[int, dict[str, Any] | None]:
    """publish.main in this process; its result from --output (stdout also has the server's log lines)."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "result.json"
        code = publish.main([*argv, "--output", str(output)])
        return code, json.loads(output.read_text()) if output.exists() else None


def deploy_args(app_zip: Path, *extra: str) -> list[str]:
    return ["deploy", "--bucket", BUCKET, "--layer", f"crq-app={app_zip}", "--function", CHAT,
            "--function", JOBS, "--note", "v9.9.9", *extra]


def live(lam: Any) -> dict[str, str]:
    return {f: lam.get_alias(FunctionName=f, Name="live")["FunctionVersion"] for f in (CHAT, JOBS)}


def layers_of(lam: Any, function: str, version: str) -> list[str]:
    config = lam.get_function_configuration(FunctionName=function, Qualifier=version)
    return [layer["Arn"] for layer in config["Layers"]]


def _documented_policy() -> dict[str, Any]:
    """The deploy role's policy as docs/deployment.md gives it (the first JSON block after its heading)."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    match = re.search(r"^#+ .*deploy role.*?^```json\n(.*?)^```", text, re.M | re.S | re.I)
    assert match, "docs/deployment.md: no JSON policy under a heading about the deploy role"
    return dict(json.loads(match[1]))


# S3 operations and the IAM action that allows them (upload_file may go multipart for big zips)
S3_ACTIONS = {"PutObject": "s3:PutObject", "CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject",
              "CompleteMultipartUpload": "s3:PutObject", "AbortMultipartUpload": "s3:AbortMultipartUpload"}


def test_deploy_publishes_the_layer_updates_both_functions_and_moves_the_alias(
    aws: Any, healthy: str, tmp_path: Path
) -> None:
    app_zip = layer_zip(tmp_path / "crq-app-layer.zip")
    called: list[str] = []

    def record(model: Any, **_: Any) -> None:
        called.append(f"{model.service_model.endpoint_prefix}:{model.name}")

    boto3.setup_default_session()  # the session publish.py's clients come from
    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    events.register("before-call", record)
    code, result = run(*deploy_args(app_zip, "--health-url", healthy))
    events.unregister("before-call", record)

    assert code == 0
    with urllib.request.urlopen(healthy, timeout=30) as r:
        health = json.loads(r.read())
    assert health["database"] is True and health["version"] == VERSION
    assert result == {
        "layers": {"crq-app": APP2},
        "functions": [
            {"function": CHAT, "previous": "1", "version": "2", "layers": [LIB1, APP2, POLICY1]},
            {"function": JOBS, "previous": "1", "version": "2", "layers": [LIB1, APP2]},
        ],
        "health": health,
    }
    # what AWS now holds: the alias on the new version, whose layers are the new ones; version 1 intact
    assert live(aws) == {CHAT: "2", JOBS: "2"}
    assert layers_of(aws, CHAT, "2") == [LIB1, APP2, POLICY1] and layers_of(aws, JOBS, "2") == [LIB1, APP2]
    assert layers_of(aws, CHAT, "1") == [LIB1, APP1, POLICY1] and layers_of(aws, JOBS, "1") == [LIB1, APP1]
    assert aws.get_alias(FunctionName=CHAT, Name="live")["Description"] == "v9.9.9"
    digest = hashlib.sha256(app_zip.read_bytes()).hexdigest()
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=f"layers/crq-app/{digest}.zip")["Body"].read()
    assert stored == app_zip.read_bytes()
    newest = aws.get_layer_version(LayerName="crq-app", VersionNumber=2)
    assert newest["Description"] == f"sha256:{digest} v9.9.9"
    assert newest["CompatibleRuntimes"] == ["python3.12"]

    # the documented deploy policy allows every call the script made
    allowed = {a for s in _documented_policy()["Statement"] for a in s["Action"]}
    needed = {S3_ACTIONS[op] if svc == "s3" else f"{svc}:{op}" for svc, op in (c.split(":") for c in called)}
    assert {"s3:PutObject", "lambda:PublishLayerVersion", "lambda:UpdateFunctionConfiguration",
            "lambda:PublishVersion", "lambda:UpdateAlias"} <= needed
    assert needed <= allowed, f"docs/deployment.md's deploy policy lacks {sorted(needed - allowed)}"

    # the same build again changes nothing: no new layer version, no new function version
    code, again = run(*deploy_args(app_zip))
    assert code == 0 and again == {k: v for k, v in result.items() if k != "health"} | {
        "functions": [dict(f, previous="2") for f in result["functions"]]}
    assert [v["Version"] for v in aws.list_layer_versions(LayerName="crq-app")["LayerVersions"]] == [2, 1]
    assert live(aws) == {CHAT: "2", JOBS: "2"}


@pytest.mark.parametrize("failure", ["database unreachable", "wrong version", "no such route", "nothing listening"])
def test_a_failed_smoke_test_moves_every_alias_back(
    aws: Any, health_server: str, pg_url: str, tmp_path: Path, failure: str
) -> None:
    app_zip = layer_zip(tmp_path / "crq-app-layer.zip", version="0.0.0+other" if failure == "wrong version" else VERSION)
    database = "postgresql://crq@127.0.0.1:9/nowhere?connect_timeout=2" if failure == "database unreachable" else pg_url
    url = {"no such route": f"{health_server}/v1/healthz", "nothing listening": "http://127.0.0.1:9/v1/health"}.get(
        failure, f"{health_server}/v1/health")
    api.use_container(api.Container(load_model(), database))
    try:
        args = publish.parser().parse_args(deploy_args(app_zip, "--health-url", url))
        with pytest.raises(publish.DeployError, match=rf"^smoke test of {re.escape(url)} failed: ") as caught:
            publish.deploy(args, smoke=functools.partial(publish.smoke_test, attempts=2, wait_s=0.01))
    finally:
        api.use_container(None)
    reason = {"database unreachable": "database is not reachable", "wrong version": "'0.0.0+other' deployed",
              "no such route": "HTTP 404", "nothing listening": "Connection refused"}[failure]
    assert reason in str(caught.value)
    assert live(aws) == {CHAT: "1", JOBS: "1"}
    assert layers_of(aws, CHAT, "1") == [LIB1, APP1, POLICY1]
    assert layers_of(aws, CHAT, "2") == [LIB1, APP2, POLICY1]  # published, never live
    assert aws.get_alias(FunctionName=JOBS, Name="live")["Description"] == "rolled back: DeployError (v9.9.9)"


def test_rollback_moves_the_alias_back_one_version(aws: Any, tmp_path: Path) -> None:
    assert run(*deploy_args(layer_zip(tmp_path / "a.zip")))[0] == 0
    assert live(aws) == {CHAT: "2", JOBS: "2"}

    # the command line, as the workflow runs it
    p = subprocess.run([sys.executable, str(SCRIPT), "rollback", "--function", CHAT, "--function", JOBS],
                       capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"functions": [
        {"function": CHAT, "previous": "2", "version": "1", "layers": [LIB1, APP1, POLICY1]},
        {"function": JOBS, "previous": "2", "version": "1", "layers": [LIB1, APP1]},
    ]}
    assert live(aws) == {CHAT: "1", JOBS: "1"}

    # nothing before version 1: a clear error, nothing moved
    code, out = run("rollback", "--function", CHAT, "--function", JOBS)
    assert (code, out) == (1, None)
    assert live(aws) == {CHAT: "1", JOBS: "1"}

    # an exact target
    code, out = run("rollback", "--function", CHAT, "--to", f"{CHAT}=2")
    assert code == 0 and out == {"functions": [
        {"function": CHAT, "previous": "1", "version": "2", "layers": [LIB1, APP2, POLICY1]}]}
    assert live(aws) == {CHAT: "2", JOBS: "1"}


def test_a_function_without_the_layer_is_refused_before_anything_changes(
    aws: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    z = layer_zip(tmp_path / "x.zip")
    code, out = run("deploy", "--bucket", BUCKET, "--layer", f"crq-app={z}", "--layer", f"crq-lib-x86_64={z}",
                    "--function", CHAT, "--function", JOBS)
    assert (code, out) == (1, None)
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"error: {CHAT} has no layer named crq-lib-x86_64 (its layers: crq-lib-arm64, crq-app, "
        "crq-access-policy); create the functions with deploy/terraform first")
    assert [v["Version"] for v in aws.list_layer_versions(LayerName="crq-app")["LayerVersions"]] == [1]
    assert live(aws) == {CHAT: "1", JOBS: "1"}
    assert boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="layers/").get("KeyCount") == 0
