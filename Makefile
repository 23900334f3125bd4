# Every target bootstraps .venv from the pinned requirements on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= dev
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))
FULL_STACKS := $(wildcard tests/stacks/Pulumi.*.yaml)  # every option on: previewed, never deployed as is
# Per-stack pack config, when the repo has one (policies/config/<stack>.json).
PACK_CONFIG ?= $(wildcard policies/config/$(STACK).json)

.PHONY: help venv preview stacks test lint deploy bench docs package clean e2e

help:
	@echo "make preview [STACK=dev]   offline preview of one stack with the policy pack (no cloud, no CLI)"
	@echo "make test                  the whole test suite except the browser tests"
	@echo "make e2e                   browser tests on the local server (installs Debian's chromium if missing)"
	@echo "make lint                  ruff and bandit"
	@echo "make stacks                offline preview of every Pulumi.<stack>.yaml and tests/stacks/ (every option on); fails on mandatory violations"
	@echo "make bench                 offline preview timings (dev, prod) and policy analysis growth with stack size"
	@echo "make docs                  regenerate the settings, policy and idle-cost tables (and Pulumi.yaml's config)"
	@echo "make configure [STACK=name] [ARGS='--set k=v --yes']  stack wizard: writes a Pulumi.<stack>.yaml that loads"
	@echo "make package               build the Lambda archive build/lambda/app.zip (reproducible, no Docker)"
	@echo "make deploy [STACK=dev]    pulumi up with the policy pack (needs the Pulumi CLI and AWS credentials)"

$(STAMP): requirements.txt requirements-dev.txt policies/requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

venv: $(STAMP)

preview: $(STAMP)
	@mkdir -p reports
	$(BIN)/python -m tools.preview --stack $(STACK) --policy-pack policies \
		$(if $(PACK_CONFIG),--policy-pack-config $(PACK_CONFIG)) --json reports/preview-$(STACK).json

stacks: $(STAMP)
	@mkdir -p reports
	@set -e; for s in $(STACKS); do \
		echo "== offline preview of stack $$s"; \
		config=policies/config/$$s.json; \
		$(BIN)/python -m tools.preview --stack $$s --policy-pack policies --no-tree --json reports/preview-$$s.json \
			$$( [ -f $$config ] && echo --policy-pack-config $$config ); \
	done; \
	for f in $(FULL_STACKS); do \
		s=$$(basename $$f .yaml); s=$${s#Pulumi.}; \
		echo "== offline preview of test stack $$s (every option on)"; \
		config=policies/config/$$s.json; [ -f $$config ] || config=policies/config/$${s%-full}.json; \
		$(BIN)/python -m tools.preview --stack $$s --config-file $$f --policy-pack policies --no-tree \
			--json reports/preview-$$s.json $$( [ -f $$config ] && echo --policy-pack-config $$config ); \
	done

# The browser tests run in `make e2e` (CI runs both), so a machine with chromium does not run them twice.
# A temp root of our own per run: the embedded PostgreSQL runs as an unprivileged user that must traverse it,
# and other pytest runs reset the permissions of the shared /tmp/pytest-of-<user> or reuse a fixed path.
test: $(STAMP)
	@tmp=$$(mktemp -d /tmp/chatbot-test.XXXXXX); \
	$(BIN)/python -m pytest --ignore=tests/e2e --basetemp=$$tmp/pytest; status=$$?; \
	rm -rf $$tmp; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c bandit.yaml -r components policies tools app __main__.py

bench: $(STAMP)
	$(BIN)/python -m tools.bench_preview
	$(BIN)/python -m tools.bench_policies
	$(BIN)/python -m tools.bench_app

.PHONY: configure
configure: $(STAMP)
	$(BIN)/python -m tools.configure $(if $(filter command line environment,$(origin STACK)),--stack $(STACK)) $(ARGS)

package: $(STAMP)
	$(BIN)/python -m tools.package_lambda

docs: $(STAMP)
	$(BIN)/python -m tools.settings_doc --write --embed README.md
	$(BIN)/python -m tools.policy_doc --write
	$(BIN)/python -m tools.cost --write

deploy: $(STAMP)
	pulumi up --stack $(STACK) --policy-pack policies $(if $(PACK_CONFIG),--policy-pack-config $(PACK_CONFIG))

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache

# The whole chatbot on this machine: http://127.0.0.1:8000 (Ctrl-C stops it). Bedrock when AWS credentials
# are found, else local mode; ARGS='--local-models' forces local mode, ARGS='--bedrock' requires Bedrock.
.PHONY: serve
serve: $(STAMP)
	$(BIN)/python -m tools.local_server $(ARGS)

# End-to-end tests: headless Debian Chromium (driven by Playwright; never `playwright install`) against the
# local server in local mode. Installs chromium + chromium-driver with apt-get when missing (needs root).
e2e: $(STAMP)
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "== installing Debian's chromium and chromium-driver"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	fi
	@mkdir -p reports/screenshots
	@tmp=$$(mktemp -d /tmp/chatbot-e2e.XXXXXX); \
	E2E_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q tests/e2e --basetemp=$$tmp/pytest; status=$$?; \
	rm -rf $$tmp; exit $$status
