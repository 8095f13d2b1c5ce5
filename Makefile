# Every target works from a fresh clone: it builds .venv (and node_modules for deploy) first when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := 1
export PYTHONPATH := layers/python:layers/dq/python:.
export UV_COMPILE_BYTECODE := 1

.PHONY: help setup test lint demo synth cfn-lint deploy bench sdk-venv ledger backfill baseline clean

help:
	@echo "make demo | test | lint | synth | deploy | bench | sdk-venv | ledger GROUP=<name> | backfill [DRY_RUN=false]"

$(STAMP): requirements-dev.txt layers/requirements.txt layers/dq/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/python layers/dq/python infra app.py local bench ops
	for handler in functions/*/app.py; do $(VENV)/bin/mypy "$$handler" || exit 1; done
	$(PY) -m pytest -n auto

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: $(STAMP)
	$(PY) -m local.demo

synth: $(STAMP)
	rm -rf cdk.out
	CDK_OUTDIR=cdk.out $(PY) app.py
	@echo "synthesized: cdk.out/ModelGovernance.template.json"

# `make test` lints a default synth and one with every option on (tests/infra/test_cfn_lint.py); this lints yours.
cfn-lint: synth
	$(VENV)/bin/cfn-lint cdk.out/*.template.json

node_modules/.bin/cdk: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

deploy: $(STAMP) node_modules/.bin/cdk
	npx cdk deploy --require-approval broadening --no-notices $(CDK_ARGS)

bench: $(STAMP)
	$(PY) -m bench

# The SageMaker Python SDK v2 in .venv-bench (306 MB, not in the test venv): `make test` then also checks that the
# cards we write load with its own ModelCard.load (tests/integration/test_sdk_loads_our_cards.py).
sdk-venv: $(STAMP)
	$(PY) -c "from bench.cold_start import sdk_python; assert sdk_python(), 'SDK install failed'"

clean:
	rm -rf cdk.out .venv .venv-bench .venv-evidently node_modules .mypy_cache .ruff_cache

ledger: $(STAMP)
	$(PY) -m ops.ledger --group "$(GROUP)" $(if $(CARD),--card "$(CARD)",)

baseline: $(STAMP)
	$(PY) -m ops.baseline --dataset "$(DATASET)" --output "$(OUTPUT)" $(if $(HEADER),--header $(HEADER),)

backfill: $(STAMP)
	$(PY) -m ops.backfill $(if $(filter false,$(DRY_RUN)),--apply,--dry-run)
