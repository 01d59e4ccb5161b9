"""Ship crq's layers to the functions Terraform created, move their `live` alias, and smoke-test it.

The deploy workflow (.github/workflows/deploy.yml) runs this after `make layers`; an operator can run
it by hand with the same arguments (docs/deployment.md). Two commands:

``deploy``
    For each ``--layer NAME=ZIP``: upload the zip to ``s3://BUCKET/PREFIX/NAME/<sha256>.zip`` and
    publish it as a new version of layer NAME, unless the layer's newest version already holds those
    bytes (`make layers` is reproducible, so an unchanged layer publishes nothing). Then, for each
    ``--function``: swap the layer of that name in its layer list for the new version (the others, e.g.
    the access-policy layer, stay), publish a function version and move the alias to it. Last,
    ``--health-url`` is asked (``GET /v1/health``); when it does not answer healthy, every alias is
    moved back to where it was and the command fails.

``rollback``
    Moves each function's alias back to the newest published version below the one it points at (or
    to ``--to FUNCTION=VERSION``); versions are immutable, so this restores that version's code and
    configuration exactly. Then the same smoke test, when ``--health-url`` is given.

Credentials and region come from the usual AWS environment (in the workflow: GitHub's OIDC role via
aws-actions/configure-aws-credentials; ``AWS_ENDPOINT_URL`` points it at moto's server in tests).
What it did is printed as one JSON object on stdout; progress and errors go to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

DEFAULT_RUNTIMES = ["python3.12"]
DIGEST_PREFIX = "sha256:"
PACKAGE = "cloud_resource_query"


class DeployError(Exception):
    """A deployment step that cannot go on; the message says which and what to check."""


@dataclass(frozen=True)
class LayerZip:
    name: str
    path: Path

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        with self.path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


@dataclass
class Moved:
    """One function's alias move: where it pointed before, and where it points now."""

    function: str
    previous: str
    version: str
    layers: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def layer_name(arn: str) -> str:
    """`arn:aws:lambda:<region>:<account>:layer:<name>:<version>` -> name."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[5] != "layer":
        raise DeployError(f"not a layer version ARN: {arn}")
    return parts[6]


def package_version(zip_path: Path) -> str | None:
    """The crq version inside an app layer (its wheel metadata), which `GET /v1/health` reports."""
    with zipfile.ZipFile(zip_path) as z:
        for name in z.namelist():
            if re.fullmatch(rf"python/{PACKAGE}-[^/]+\.dist-info/METADATA", name):
                for line in z.read(name).decode().splitlines():
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
    return None


# --- layers ------------------------------------------------------------------------------------------


def publish_layer(lam: Any, s3: Any, bucket: str, prefix: str, layer: LayerZip, note: str) -> str:
    """The ARN of a layer version holding exactly this zip: the newest one when it already does, else a
    new one (uploaded under a key named by its digest, so an upload never overwrites another build)."""
    digest = layer.digest
    versions = lam.list_layer_versions(LayerName=layer.name).get("LayerVersions", [])
    newest = max(versions, key=lambda v: v["Version"], default=None)
    if newest and newest.get("Description", "").startswith(DIGEST_PREFIX + digest):
        log(f"{layer.name}: unchanged, version {newest['Version']} already holds {layer.path.name}")
        return str(newest["LayerVersionArn"])
    key = f"{prefix.strip('/')}/{layer.name}/{digest}.zip".lstrip("/")
    log(f"{layer.name}: uploading {layer.path} to s3://{bucket}/{key}")
    s3.upload_file(str(layer.path), bucket, key)
    # A new version looks like the last one (Terraform's first): same runtimes and architectures.
    extra = {"CompatibleRuntimes": (newest or {}).get("CompatibleRuntimes") or DEFAULT_RUNTIMES}
    if newest and newest.get("CompatibleArchitectures"):
        extra["CompatibleArchitectures"] = newest["CompatibleArchitectures"]
    published = lam.publish_layer_version(
        LayerName=layer.name,
        Description=f"{DIGEST_PREFIX}{digest} {note}"[:256],
        Content={"S3Bucket": bucket, "S3Key": key},
        **extra,
    )
    log(f"{layer.name}: published version {published['Version']}")
    return str(published["LayerVersionArn"])


def swap_layers(current: Sequence[str], new: dict[str, str], function: str) -> list[str]:
    """The function's layer list with each named layer replaced by its new version, in place (order is
    what Lambda unpacks by). A layer the function does not have is an error: it was not set up by
    deploy/terraform, or the names differ."""
    names = {layer_name(arn): arn for arn in current}
    missing = sorted(set(new) - set(names))
    if missing:
        raise DeployError(
            f"{function} has no layer named {', '.join(missing)} (its layers: "
            f"{', '.join(names) or 'none'}); create the functions with deploy/terraform first"
        )
    return [new.get(layer_name(arn), arn) for arn in current]


# --- functions and aliases ---------------------------------------------------------------------------


def alias_version(lam: Any, function: str, alias: str) -> str:
    try:
        return str(lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"])
    except lam.exceptions.ResourceNotFoundException as e:
        raise DeployError(f"{function} has no alias {alias!r}; create it with deploy/terraform first") from e


def current_layers(lam: Any, function: str, version: str = "$LATEST") -> list[str]:
    config = lam.get_function_configuration(FunctionName=function, Qualifier=version)
    return [layer["Arn"] for layer in config.get("Layers", [])]


def update_function(lam: Any, function: str, new_layers: dict[str, str], note: str) -> tuple[str, list[str]]:
    """Point $LATEST at the new layers and publish it as a version; returns (version, layers)."""
    current = current_layers(lam, function)
    layers = swap_layers(current, new_layers, function)
    if layers != current:
        log(f"{function}: layers -> {', '.join(a.split(':', 6)[-1] for a in layers)}")
        lam.update_function_configuration(FunctionName=function, Layers=layers)
        lam.get_waiter("function_updated_v2").wait(FunctionName=function)
    # Lambda publishes no new version when nothing changed since the last one: it returns that one.
    version = str(lam.publish_version(FunctionName=function, Description=note[:256])["Version"])
    return version, layers


def move_alias(lam: Any, function: str, alias: str, version: str, note: str) -> None:
    lam.update_alias(FunctionName=function, Name=alias, FunctionVersion=version, Description=note[:256])
    log(f"{function}:{alias} -> version {version}")


def previous_version(lam: Any, function: str, current: str) -> str:
    """The newest published version below `current` ($LATEST is never a rollback target)."""
    if not current.isdigit():
        raise DeployError(f"{function}'s alias points at {current}, not a published version: give --to")
    versions: list[int] = []
    for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=function):
        versions.extend(int(v["Version"]) for v in page["Versions"] if v["Version"].isdigit())
    older = [v for v in versions if v < int(current)]
    if not older:
        raise DeployError(f"{function}: no published version before {current} to roll back to")
    return str(max(older))


# --- the smoke test ----------------------------------------------------------------------------------


def smoke_test(url: str, expected_version: str | None = None, attempts: int = 4, wait_s: float = 2.0,
               timeout_s: float = 30.0) -> dict[str, Any]:
    """`GET /v1/health` through API Gateway: 200, the database reachable and, when known, the version
    the app layer carries. Retried a few times: the first request after a deploy starts a cold container."""
    problem = ""
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                body = json.loads(response.read())
            if not isinstance(body, dict):
                problem = f"not the health answer: {str(body)[:500]}"
            elif not body.get("database"):
                problem = f"the database is not reachable from the function: {body}"
            elif expected_version and body.get("version") != expected_version:
                problem = f"version {body.get('version')!r} answered, {expected_version!r} deployed: {body}"
            else:
                log(f"health: {body.get('status')}, version {body.get('version')}, views {body.get('views')}")
                return dict(body)
        except urllib.error.HTTPError as e:
            problem = f"HTTP {e.code}: {e.read()[:500].decode(errors='replace')}"
        except (urllib.error.URLError, OSError, ValueError) as e:
            problem = f"{type(e).__name__}: {e}"
        log(f"health check {attempt}/{attempts} failed: {problem}")
        if attempt < attempts:
            time.sleep(wait_s * attempt)
    raise DeployError(f"smoke test of {url} failed: {problem}")


# --- commands ----------------------------------------------------------------------------------------


def deploy(args: argparse.Namespace, smoke: Callable[..., dict[str, Any]] = smoke_test) -> dict[str, Any]:
    lam, s3 = boto3.client("lambda"), boto3.client("s3")
    zips = [LayerZip(name, Path(path)) for name, path in args.layer]
    for z in zips:
        if not z.path.is_file():
            raise DeployError(f"{z.path}: no such file (run `make layers` first)")
    previous = {f: alias_version(lam, f, args.alias) for f in args.function}
    for function in args.function:  # every function has every layer: checked before anything changes
        swap_layers(current_layers(lam, function), {z.name: "" for z in zips}, function)
    new_layers = {z.name: publish_layer(lam, s3, args.bucket, args.prefix, z, args.note) for z in zips}
    moved: list[Moved] = []
    result: dict[str, Any] = {"layers": new_layers, "functions": moved}
    try:
        for function in args.function:
            version, layers = update_function(lam, function, new_layers, args.note)
            moved.append(Moved(function, previous[function], version, layers))
            move_alias(lam, function, args.alias, version, args.note)
        if args.health_url:
            expected = next((v for z in zips if (v := package_version(z.path))), None)
            result["health"] = smoke(args.health_url, expected)
    except Exception as e:
        # Whatever failed after an alias moved (the smoke test, the second function), every alias
        # goes back to where it was: a deploy is all functions or none.
        for m in moved:
            note = f"rolled back: {type(e).__name__} ({args.note})"
            move_alias(lam, m.function, args.alias, m.previous, note)
        raise
    result["functions"] = [vars(m) for m in moved]
    return result


def rollback(args: argparse.Namespace, smoke: Callable[..., dict[str, Any]] = smoke_test) -> dict[str, Any]:
    lam = boto3.client("lambda")
    targets = dict(args.to)
    unknown = sorted(set(targets) - set(args.function))
    if unknown:
        raise DeployError(f"--to names functions not given with --function: {', '.join(unknown)}")
    moved = []
    for function in args.function:
        current = alias_version(lam, function, args.alias)
        target = targets.get(function) or previous_version(lam, function, current)
        if not target.isdigit():
            raise DeployError(f"--to {function}={target}: a version is a number "
                              "(`aws lambda list-versions-by-function` lists them)")
        move_alias(lam, function, args.alias, target, f"rollback from {current} ({args.note})")
        moved.append(Moved(function, current, target, current_layers(lam, function, target)))
    result: dict[str, Any] = {"functions": [vars(m) for m in moved]}
    if args.health_url:
        result["health"] = smoke(args.health_url)
    return result


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not (sep and name and value):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="deploy/publish.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--function", action="append", required=True,
                        help="a function to move (repeat: crq-chat, crq-jobs)")
    common.add_argument("--alias", default="live",
                        help="the alias API Gateway and SQS invoke (default: live)")
    common.add_argument("--health-url", help="GET after the move, e.g. https://<api>/v1/health")
    common.add_argument("--output", type=Path, help="also write the JSON result to this file")
    common.add_argument("--note", default="crq deploy",
                        help="recorded in version and alias descriptions (e.g. the git tag)")

    d = sub.add_parser("deploy", parents=[common], help="publish layers, update functions, move the alias")
    d.add_argument("--bucket", required=True,
                   help="S3 bucket for the layer zips (Terraform's layers_s3_bucket)")
    d.add_argument("--prefix", default="layers", help="key prefix in the bucket (default: layers)")
    d.add_argument("--layer", type=_pair, action="append", required=True, metavar="NAME=ZIP",
                   help="a layer name and its zip, e.g. crq-app=dist/crq-app-layer.zip (repeat)")

    r = sub.add_parser("rollback", parents=[common], help="move the alias back one published version")
    r.add_argument("--to", type=_pair, action="append", default=[], metavar="FUNCTION=VERSION",
                   help="an exact version for a function instead of the one before")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = deploy if args.command == "deploy" else rollback
    try:
        result = command(args)
    except (DeployError, BotoCoreError, ClientError, WaiterError) as e:
        log(f"error: {e}")
        return 1
    text = json.dumps(result, indent=2)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
