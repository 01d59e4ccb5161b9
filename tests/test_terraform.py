"""Checks of the Terraform in deploy/terraform, with no cloud account: every file parses, checkov's
Terraform checks pass, and the IAM policies keep to least privilege.

checkov and python-hcl2 live in `.venv-deploy` (`make tools-deploy`, which `make test` runs first), so
their pins never touch `.venv`; both run here as subprocesses. python-hcl2 is installed into its own
folder (`.venv-deploy/python-hcl2`) because checkov's bc-python-hcl2 installs the same `hcl2` module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "deploy" / "terraform"
MODULE = TERRAFORM / "modules" / "crq"
DEPLOY_VENV = ROOT / ".venv-deploy"
DEPLOY_PYTHON = DEPLOY_VENV / "bin" / "python"
CHECKOV = DEPLOY_VENV / "bin" / "checkov"
HCL2_DIR = DEPLOY_VENV / "python-hcl2"

TF_FILES = sorted(TERRAFORM.rglob("*.tf"))

needs_deploy_tools = pytest.mark.skipif(
    not (CHECKOV.exists() and HCL2_DIR.is_dir()),
    reason="checkov / python-hcl2 not installed: run `make tools-deploy` (`make test` does)",
)

# python-hcl2 prints every .tf file as JSON, keyed by its path; a file it cannot parse gets "error".
PARSE = """
import json, sys
import hcl2
out = {"__hcl2__": hcl2.__file__, "files": {}}
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            out["files"][path] = {"hcl": hcl2.load(f)}
    except Exception as e:
        out["files"][path] = {"error": f"{type(e).__name__}: {e}"}
json.dump(out, sys.stdout)
"""

# The only actions a statement may grant on "*": X-Ray's (which accept nothing else) and the network
# interface actions of AWSLambdaVPCAccessExecutionRole (Lambda manages ENIs that have no ARN yet).
STAR_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}

# What each function's role may touch, statement by statement (sid => resources, as written).
EXPECTED_RESOURCES = {
    ("chat", "Logs"): ["${aws_cloudwatch_log_group.chat.arn}:*"],
    ("chat", "Secrets"): "${local.chat_secret_arns}",
    ("chat", "EnqueueJobs"): ["${aws_sqs_queue.jobs.arn}"],
    ("chat", "ReadResults"): ["${aws_s3_bucket.results.arn}/${local.results_prefix}*"],
    ("jobs", "Logs"): ["${aws_cloudwatch_log_group.jobs.arn}:*"],
    ("jobs", "Secrets"): "${local.jobs_secret_arns}",
    ("jobs", "ConsumeJobs"): ["${aws_sqs_queue.jobs.arn}"],
    ("jobs", "EnqueueJobs"): ["${aws_sqs_queue.jobs.arn}"],
    ("jobs", "Results"): ["${aws_s3_bucket.results.arn}/${local.results_prefix}*"],
}
EXPECTED_SECRET_LOCALS = {
    "chat_secret_arns": {"var.database_secret_arn", "var.app_database_secret_arn", "var.llm_api_key_secret_arn"},
    "jobs_secret_arns": {"var.database_secret_arn", "var.app_database_secret_arn"},
}


def _unquote(value: Any) -> Any:
    """python-hcl2 8 keeps the quotes of string literals and block labels: drop them everywhere."""
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@pytest.fixture(scope="module")
def parsed() -> dict[str, Any]:
    if not (DEPLOY_PYTHON.exists() and HCL2_DIR.is_dir()):
        pytest.skip("python-hcl2 not installed: run `make tools-deploy` (`make test` does)")
    env = {**os.environ, "PYTHONPATH": str(HCL2_DIR)}
    result = subprocess.run(
        [str(DEPLOY_PYTHON), "-c", PARSE, *map(str, TF_FILES)],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )
    out = json.loads(result.stdout)
    assert Path(out["__hcl2__"]).is_relative_to(HCL2_DIR), f"parsed with the wrong hcl2: {out['__hcl2__']}"
    return out["files"]


def _hcl(parsed: dict[str, Any]) -> dict[Path, dict[str, Any]]:
    return {Path(path): _unquote(entry["hcl"]) for path, entry in parsed.items() if "hcl" in entry}


def _blocks(hcl: dict[Path, dict[str, Any]], kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every `resource` or `data` block."""
    found = []
    for doc in hcl.values():
        for item in doc.get(kind, []):
            for type_, named in item.items():
                found.extend((type_, name, body) for name, body in named.items() if not name.startswith("__"))
    return found


def _statements(body: dict[str, Any]) -> list[dict[str, Any]]:
    statements = list(body.get("statement", []))
    for dynamic in body.get("dynamic", []):
        for label, block in dynamic.items():
            if label == "statement":
                statements.extend(block.get("content", []))
    return statements


def _policy_documents(parsed: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    docs = {
        name: _statements(body)
        for type_, name, body in _blocks(_hcl(parsed), "data")
        if type_ == "aws_iam_policy_document"
    }
    assert docs, "no aws_iam_policy_document found"
    return docs


def test_terraform_files_exist() -> None:
    names = {p.relative_to(TERRAFORM).as_posix() for p in TF_FILES}
    assert {"modules/crq/variables.tf", "modules/crq/outputs.tf", "examples/basic/main.tf"} <= names


@needs_deploy_tools
def test_every_tf_file_parses(parsed: dict[str, Any]) -> None:
    assert set(parsed) == {str(p) for p in TF_FILES}
    errors = {path: entry["error"] for path, entry in parsed.items() if "error" in entry}
    assert not errors, errors


def _skip_comments() -> list[tuple[str, str, str]]:
    """(file relative to deploy/terraform, check id, reason) of every `#checkov:skip=` comment."""
    skips = []
    for path in TF_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "checkov:skip" in line:
                where = f"{path.relative_to(ROOT)}:{number}"
                match = re.fullmatch(r"\s*#checkov:skip=(CKV2?_[A-Z0-9]+_\d+):(.*)", line)
                assert match, f"{where}: write skips as #checkov:skip=CKV_...:reason"
                skips.append((path.relative_to(TERRAFORM).as_posix(), match[1], match[2].strip()))
    return skips


def _start_checkov(directory: Path, cwd: Path) -> subprocess.Popen[str]:
    # --skip-download: no call to Prisma Cloud for guidelines (this machine may be offline).
    # JSON (without --quiet) lists the skipped checks too.
    return subprocess.Popen(
        [str(CHECKOV), "-d", str(directory), "--framework", "terraform", "--compact", "--skip-download",
         "--output", "json"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _report(process: subprocess.Popen[str]) -> tuple[int, dict[str, Any], str]:
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, json.loads(stdout), stderr


@needs_deploy_tools
def test_checkov_passes(tmp_path: Path) -> None:
    # The same tree without its skip comments, checked at the same time: each skip must silence a
    # check that fails without it (no skip that is stale, misplaced or merely decorative).
    bare = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, bare, ignore=shutil.ignore_patterns(".terraform*"))
    for path in bare.rglob("*.tf"):
        path.write_text(re.sub(r"(?m)^\s*#checkov:skip=.*\n", "", path.read_text()))
    with_skips = _start_checkov(TERRAFORM.relative_to(ROOT), ROOT)
    without_skips = _start_checkov(bare, tmp_path)

    returncode, report, stderr = _report(with_skips)
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]}): {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert returncode == 0, stderr[-3000:]
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    assert report["summary"]["resource_count"] >= 40, report["summary"]

    def found(checks: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(c["file_path"].lstrip("/"), c["check_id"]) for c in checks}

    written = {(path, check) for path, check, _ in _skip_comments()}
    applied = found(report["results"]["skipped_checks"])
    assert applied == written, f"skips checkov did not apply: {written - applied}"
    _, bare_report, _ = _report(without_skips)
    assert bare_report["summary"]["skipped"] == 0
    needed = found(bare_report["results"]["failed_checks"])
    assert needed == written, f"skips that silence nothing: {written - needed}; failures: {needed - written}"


def test_every_checkov_skip_gives_its_reason() -> None:
    skips = _skip_comments()
    assert skips, "expected the documented skips (see deploy/terraform)"
    for path, check, reason in skips:
        assert len(reason) >= 40, f"{path}: {check} needs a real reason"


@needs_deploy_tools
def test_iam_actions_and_resources_are_least_privilege(parsed: dict[str, Any]) -> None:
    for doc, statements in _policy_documents(parsed).items():
        for statement in statements:
            where = f"aws_iam_policy_document.{doc} statement {statement.get('sid', '?')}"
            assert "not_actions" not in statement and "not_resources" not in statement, where
            actions = statement.get("actions", [])
            assert isinstance(actions, list), f"{where}: actions must be a literal list, not {actions!r}"
            assert "*" not in actions, f"{where}: action \"*\""
            allow = statement.get("effect", "Allow") == "Allow"
            if allow:
                wild = [a for a in actions if "*" in a]
                assert not wild, f"{where}: wildcard actions {wild}"
            resources = statement.get("resources", [])
            if isinstance(resources, str):  # an expression: it must name no "*"
                assert "*" not in resources, f"{where}: {resources}"
                continue
            if "*" in resources:
                assert allow, where
                assert resources == ["*"], f"{where}: \"*\" beside other resources"
                others = sorted(set(actions) - STAR_RESOURCE_ACTIONS)
                assert not others, f"{where}: \"*\" resource for {others}"
            elif allow:
                for resource in resources:
                    # a wildcard only at the end of an ARN of something this module creates
                    if "*" in resource:
                        assert resource.endswith("*") and resource.count("*") == 1, f"{where}: {resource}"
                        assert resource.startswith("${aws_"), f"{where}: {resource}"


@needs_deploy_tools
def test_each_function_reaches_exactly_its_resources(parsed: dict[str, Any]) -> None:
    docs = _policy_documents(parsed)
    for (doc, sid), expected in EXPECTED_RESOURCES.items():
        matching = [s for s in docs[doc] if s.get("sid") == sid]
        assert len(matching) == 1, f"{doc}: one statement {sid}"
        assert matching[0]["resources"] == expected, f"{doc}.{sid}"
    locals_ = {}
    for doc in _hcl(parsed).values():
        for block in doc.get("locals", []):
            locals_.update(block)
    for name, variables in EXPECTED_SECRET_LOCALS.items():
        assert set(re.findall(r"var\.\w+", json.dumps(locals_[name]))) == variables, name


@needs_deploy_tools
def test_every_policy_is_a_checked_document(parsed: dict[str, Any]) -> None:
    """Policies come from aws_iam_policy_document (checked above), never inline JSON or managed policies."""
    document = re.compile(r"\$\{data\.aws_iam_policy_document\.\w+\.json\}")
    policy_attributes = {
        "aws_iam_role": "assume_role_policy",
        "aws_iam_role_policy": "policy",
        "aws_iam_policy": "policy",
        "aws_s3_bucket_policy": "policy",
        "aws_sqs_queue_policy": "policy",
    }
    resources = _blocks(_hcl(parsed), "resource")
    for type_, name, body in resources:
        assert type_ not in {"aws_iam_role_policy_attachment", "aws_iam_policy_attachment"}, name
        assert "managed_policy_arns" not in body and "inline_policy" not in body, name
        if type_ in policy_attributes:
            value = body[policy_attributes[type_]]
            assert document.fullmatch(value), f"{type_}.{name}: {value}"


@needs_deploy_tools
def test_routes_are_the_handlers_and_the_documented_ones(parsed: dict[str, Any]) -> None:
    # the handler's routes, from the OpenAPI document generated from it (API Gateway names every
    # path parameter {id}); docs/api.md's table lists none that API Gateway would not route
    openapi = json.loads((ROOT / "docs" / "api" / "openapi.json").read_text())
    served = {f"{method.upper()} {re.sub(r'{[^}]+}', '{id}', path)}"
              for path, methods in openapi["paths"].items() for method in methods}
    documented = set(re.findall(r"^\| `((?:GET|POST) /v1/[^`]*)` \|", (ROOT / "docs" / "api.md").read_text(), re.M))
    api = _hcl(parsed)[MODULE / "api.tf"]
    routes = {k: v for block in api["locals"] for k, v in block["routes"].items()}
    assert set(routes) == served == {"POST /v1/chat", "POST /v1/query", "GET /v1/catalog", "GET /v1/health",
                                     "GET /v1/conversations/{id}", "GET /v1/jobs/{id}"}
    assert documented <= served
    assert [k for k, needs_auth in routes.items() if not needs_auth] == ["GET /v1/health"]
    # every other route has a caller: JWT when an issuer is given, else IAM; never NONE
    (authenticated,) = [b["aws_apigatewayv2_route"]["chat"] for b in api["resource"] if "aws_apigatewayv2_route" in b
                        and "chat" in b["aws_apigatewayv2_route"]]
    assert "NONE" not in authenticated["authorization_type"]
    assert '"JWT"' in authenticated["authorization_type"] and '"AWS_IAM"' in authenticated["authorization_type"]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform not on PATH")
def test_terraform_fmt() -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
