# Two commands: `make demo` and `make test`. Each sets up everything it needs (.venv, pinned packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_AS_OF ?= $(shell date -u +%F)

.PHONY: demo test bench lint layers clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "crq needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

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

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/compile.py
	$(BIN)/python benchmarks/materialized.py
	$(BIN)/python benchmarks/api.py

lint: $(STAMP)
	$(BIN)/ruff check .

# AWS Lambda layers for the chat API, into dist/ (docs/layers.md)
layers: $(STAMP)
	$(BIN)/python deploy/layers/build.py --arch both --out dist

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis dist
