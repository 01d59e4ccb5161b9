"""The GitHub Actions workflows: actionlint (its WebAssembly build under node, deploy/tools) finds nothing
in them and does find a broken copy; and what the deploy must do is what they say: triggers, OIDC role
and no stored keys, actions pinned by commit, `make test` before any deploy, deploy/publish.py called
with arguments its parser accepts."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / "deploy" / "tools" / "actionlint.cjs"
INSTALLED = ROOT / "deploy" / "tools" / "node_modules" / "@tktco" / "node-actionlint" / "main.wasm"
NODE = shutil.which("node")

needs_actionlint = pytest.mark.skipif(
    NODE is None or not INSTALLED.exists(),
    reason="node or deploy/tools/node_modules missing: run `make tools-node` (`make test` does)",
)

_spec = importlib.util.spec_from_file_location("crq_publish_cli", ROOT / "deploy" / "publish.py")
assert _spec and _spec.loader
publish = sys.modules["crq_publish_cli"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(publish)


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    assert NODE
    return subprocess.run([NODE, str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, timeout=120)


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return dict(doc)


def steps(doc: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return list(doc["jobs"][job]["steps"])


@needs_actionlint
def test_actionlint_finds_nothing_in_the_workflows_and_catches_a_broken_one(tmp_path: Path) -> None:
    every = sorted(WORKFLOWS.glob("*.y*ml"))
    assert {p.name for p in every} >= {"ci.yml", "deploy.yml"}
    # a copy with two mistakes at known lines: an unknown context in an expression, a job that does not exist
    text = (WORKFLOWS / "deploy.yml").read_text().splitlines(keepends=True)
    job = text.index("  deploy:\n")  # actionlint reports an unknown `needs` at the job's own line
    assert text[job + 1] == "    needs: test\n"
    text[job + 1] = "    needs: tests\n"
    region = next(i for i, line in enumerate(text) if "aws-region: ${{ vars.AWS_REGION }}" in line)
    text[region] = text[region].replace("vars.AWS_REGION", "config.AWS_REGION")
    broken = tmp_path / "deploy.yml"
    broken.write_text("".join(text))

    found = actionlint(*every, broken)  # one run: the WebAssembly module takes seconds to start

    assert found.returncode == 1 and found.stderr == ""
    lines = found.stdout.splitlines()
    assert all(line.startswith(f"{broken}:") for line in lines), "\n".join(lines)  # nothing in the real ones
    assert [re.match(rf"{re.escape(str(broken))}:(\d+):\d+: .*\[([\w-]+)\]$", line).groups()  # type: ignore[union-attr]
            for line in lines] == [(str(job + 1), "job-needs"), (str(region + 1), "expression")]
    assert 'job "deploy" needs job "tests" which does not exist' in lines[0]
    assert 'undefined variable "config"' in lines[1]


def test_triggers() -> None:
    assert load("ci.yml")["on"] == {"pull_request": None, "workflow_dispatch": None}
    deploy = load("deploy.yml")["on"]
    assert deploy["push"] == {"tags": ["v*"]}
    assert deploy["workflow_dispatch"]["inputs"]["action"]["options"] == ["deploy", "rollback"]


def test_every_action_is_pinned_by_commit_and_no_expression_reaches_a_script() -> None:
    for name in ("ci.yml", "deploy.yml"):
        text = (WORKFLOWS / name).read_text()
        uses = re.findall(r"uses: (\S+)(.*)", text)
        assert uses, name
        for action, comment in uses:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), f"{name}: {action} is not pinned by commit"
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{name}: {action} needs its tag in a comment"
        for job, body in load(name)["jobs"].items():
            for step in body["steps"]:
                assert "${{" not in step.get("run", ""), f"{name} {job}: pass values through env, not ${{{{ }}}}"


def test_aws_is_reached_only_through_the_oidc_role() -> None:
    doc = load("deploy.yml")
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert "secrets." not in text and "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert doc["permissions"] == {"contents": "read"}
    for job in ("deploy", "rollback"):
        assert doc["jobs"][job]["permissions"] == {"contents": "read", "id-token": "write"}
        (login,) = [s for s in steps(doc, job) if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
        assert login["with"]["role-to-assume"] == "${{ vars.CRQ_DEPLOY_ROLE_ARN }}"
    assert "permissions" not in doc["jobs"]["test"]  # the test job gets no token for AWS
    assert load("ci.yml")["permissions"] == {"contents": "read"} and "id-token" not in (WORKFLOWS / "ci.yml").read_text()


def test_make_test_runs_before_any_deploy() -> None:
    for name in ("ci.yml", "deploy.yml"):
        assert [s["run"] for s in steps(load(name), "test") if "run" in s] == ["make test"]
    doc = load("deploy.yml")
    assert doc["jobs"]["deploy"]["needs"] == "test"
    runs = [s.get("run", s.get("uses", "")).split("@")[0] for s in steps(doc, "deploy")]
    assert runs[1:3] == ["make layers", "aws-actions/configure-aws-credentials"]


def _publish_calls(job: dict[str, Any]) -> list[list[str]]:
    """Each deploy/publish.py command line of a job, with its shell variables given sample values."""
    sample = {"CRQ_NAME": "crq", "CRQ_ARCHITECTURE": "arm64", "CRQ_LAYERS_BUCKET": "b", "CRQ_API_URL": "https://x/",
              "GITHUB_REF_NAME": "v1", "GITHUB_SHA": "abc", "GITHUB_ACTOR": "me", "GITHUB_RUN_ID": "7"}
    calls = []
    for step in job["steps"]:
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            if "deploy/publish.py" in line:
                line = re.sub(r"\$\{(\w+)%/\}", lambda m: sample[m[1]].rstrip("/"), line)
                line = re.sub(r"\$(\w+)", lambda m: sample[m[1]], line)
                words = shlex.split(line.split("|")[0])
                calls.append(words[words.index("deploy/publish.py") + 1:])
    return calls


def test_the_deploy_and_rollback_jobs_call_publish_py_as_its_parser_expects() -> None:
    doc = load("deploy.yml")
    (deploy,) = _publish_calls(doc["jobs"]["deploy"])
    args = publish.parser().parse_args(deploy)
    assert args.command == "deploy" and args.bucket == "b" and args.health_url == "https://x/v1/health"
    assert args.layer == [("crq-app", "dist/crq-app-layer.zip"), ("crq-lib-arm64", "dist/crq-lib-layer-arm64.zip")]
    assert args.function == ["crq-chat", "crq-jobs"] and args.alias == "live"
    assert str(args.output) == "deployed.json"  # the step summary shows it
    (rollback,) = _publish_calls(doc["jobs"]["rollback"])
    args = publish.parser().parse_args(rollback)
    assert (args.command, args.function, args.health_url) == ("rollback", ["crq-chat", "crq-jobs"],
                                                              "https://x/v1/health")
    # the Terraform module names its layers and functions the same way
    lambda_tf = (ROOT / "deploy" / "terraform" / "modules" / "crq" / "lambda.tf").read_text()
    assert 'layer_name          = "${var.name}-app"' in lambda_tf
    assert 'layer_name               = "${var.name}-lib-${var.architecture}"' in lambda_tf
    main_tf = (ROOT / "deploy" / "terraform" / "modules" / "crq" / "main.tf").read_text()
    assert 'chat_name = "${var.name}-chat"' in main_tf and 'jobs_name = "${var.name}-jobs"' in main_tf
