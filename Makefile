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

.PHONY: help setup test lint demo synth cfn-lint deploy bench bench-full sdk-venv ledger backfill baseline smoke redrive browser clean

help: ## list every command
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | \
		awk -F '\t' '{ printf "  make %-11s %s\n", $$1, $$2 }'

$(STAMP): requirements-dev.txt layers/requirements.txt layers/dq/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP) ## create .venv with the pinned dependencies (every command does it when missing)

test: $(STAMP) ## ruff, mypy and every test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/python layers/dq/python infra app.py local bench ops
	for handler in functions/*/app.py; do $(VENV)/bin/mypy "$$handler" || exit 1; done
	$(PY) -m pytest -n auto

lint: $(STAMP) ## fix what ruff can fix and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: $(STAMP) ## play SageMaker's events against the real handlers on an in-memory AWS
	$(PY) -m local.demo

# The same CLI and settings as deploy (CDK_ARGS="-c key=value ..."), so the template is the one that would deploy.
synth: $(STAMP) node_modules/.bin/cdk ## write the CloudFormation template to cdk.out/ [CDK_ARGS="-c key=value"]
	rm -rf cdk.out
	AWS_EC2_METADATA_DISABLED=true npx cdk synth --quiet --no-notices --output cdk.out $(CDK_ARGS)
	@echo "synthesized: cdk.out/ModelGovernance.template.json"

# `make test` lints a default synth and one with every option on (tests/infra/test_cfn_lint.py); this lints yours.
cfn-lint: synth ## validate your synth (make synth) against CloudFormation's resource schemas
	$(VENV)/bin/cfn-lint cdk.out/*.template.json

node_modules/.bin/cdk: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

deploy: $(STAMP) node_modules/.bin/cdk ## deploy to the account and region of your credentials [CDK_ARGS="-c key=value"]
	npx cdk deploy --require-approval broadening --no-notices $(CDK_ARGS)

bench: $(STAMP) ## the benchmarks at small sizes on an in-memory AWS (about two minutes)
	$(PY) -m bench

bench-full: $(STAMP) ## every size, with the Evidently and SageMaker SDK comparisons (slow)
	BENCH=full $(PY) -m bench

# The SageMaker Python SDK v2 in .venv-bench (306 MB, not in the test venv): `make test` then also checks that the
# cards we write load with its own ModelCard.load (tests/integration/test_sdk_loads_our_cards.py).
sdk-venv: $(STAMP) ## install the SageMaker Python SDK in .venv-bench so make test loads our cards and monitor files with it
	$(PY) -c "from bench.cold_start import sdk_python; assert sdk_python(), 'SDK install failed'"

clean: ## remove every generated file and environment
	rm -rf cdk.out .venv .venv-bench .venv-evidently node_modules .mypy_cache .ruff_cache

ledger: $(STAMP) ## print what the deployed system saw and did for a group: GROUP=<group> [CARD=<card>]
	@$(PY) -m ops.ledger --group "$(GROUP)" $(if $(CARD),--card "$(CARD)",)

baseline: $(STAMP) ## write a baseline: DATASET=<s3 or path> OUTPUT=<s3 or path> [HEADER=true|false] [MONITOR=model-quality PROBLEM_TYPE=... LABEL=... PREDICTION=... PROBABILITY=...]
	@$(PY) -m ops.baseline --dataset "$(DATASET)" --output "$(OUTPUT)" $(if $(HEADER),--header $(HEADER),) \
		$(if $(MONITOR),--monitor "$(MONITOR)",) $(if $(PROBLEM_TYPE),--problem-type "$(PROBLEM_TYPE)",) \
		$(if $(LABEL),--label "$(LABEL)",) $(if $(PREDICTION),--prediction "$(PREDICTION)",) \
		$(if $(PROBABILITY),--probability "$(PROBABILITY)",)

backfill: $(STAMP) ## carry cards forward to latest versions that have none (dry run; DRY_RUN=false applies)
	@$(PY) -m ops.backfill $(if $(filter false,$(DRY_RUN)),--apply,--dry-run)

smoke: $(STAMP) ## after a deploy: check rules, subscriptions, alarms and invoke permissions, run a report-only sweep [STACK=<name>]
	@$(PY) -m ops.smoke $(if $(STACK),--stack "$(STACK)",)

redrive: $(STAMP) ## list the failed events in the dead-letter queues and, confirmed, hand them back [YES=1] [STACK=<name>]
	@$(PY) -m ops.redrive $(if $(STACK),--stack "$(STACK)",) $(if $(YES),--yes,)

browser: ## install Debian's Chromium (as root) for the monitors' report browser tests; make test skips them without
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null)
