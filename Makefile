# microcred: `make demo` and `make test` are all a new user needs (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMPS := .stamps

# solc-js stands in for native solc (which would be downloaded), anvil comes from npm.
export SOLCX_BINARY_PATH := $(CURDIR)/tools/solc
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help install compile test test-long test-anvil bench demo demo-stop lint slither clean

help:
	@echo "make demo    local chain + deploy + demo data (state kept in .microcred/)"
	@echo "make demo-stop  stop a demo left running (a closed terminal, a killed make)"
	@echo "make test    install what is missing and run every test"
	@echo "make bench   gas and lookup benchmarks (prints figures)"
	@echo "make mutation  mutation score of verification.py (mutmut)"
	@echo "make lint    ruff, mypy"
	@echo "make slither static analysis of the contracts"

install: $(STAMPS)/python $(STAMPS)/node

$(STAMPS)/python: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "microcred needs $(PYTHON) (Python 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -e '.[ape,dev]'
	@mkdir -p $(STAMPS) && touch $@

# The JSON-LD contexts come from npm packages: exported into src/microcred/vc/contexts/
# (gitignored) as VENDORED.md lists them.
$(STAMPS)/node: package.json package-lock.json \
		src/microcred/vc/VENDORED.md tools/export_vc_contexts.mjs
	@command -v npm >/dev/null || { echo "microcred needs Node.js 20+ and npm on PATH"; exit 1; }
	npm ci --no-audit --no-fund
	node tools/export_vc_contexts.mjs
	@mkdir -p $(STAMPS) && touch $@

compile: install
	$(BIN)/ape compile
	$(BIN)/python tools/export_abi.py

# Every test: static analysis, the whole tree on Ape's EthTester chain, the contract suite again on anvil.
test: compile
	bash tools/slither.sh
	$(BIN)/ape test tests -q
	$(BIN)/ape test tests/contracts -q --network ethereum:local:foundry

# The security suite with MICROCRED_TEST_LONG=1 for slow fault runs (none today: the stuck
# transaction test sets a 1 s timeout and runs in `make test`).
test-long: compile
	MICROCRED_TEST_LONG=1 $(BIN)/ape test tests/security -q

test-anvil: compile
	$(BIN)/ape test tests/contracts -q --network ethereum:local:foundry

bench: compile
	$(BIN)/python bench/gas.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/index_sync.py
	$(BIN)/python bench/load_issue.py
	$(BIN)/python bench/load_verify_page.py
	$(BIN)/python bench/timings.py
	$(BIN)/python bench/startup.py

# Mutation testing of src/microcred/verification.py (mutmut; minutes, not part of `make test`):
# prints the mutants not killed and the score. Survivors are explained in docs/mutation.md.
mutation: compile
	bash tools/mutation.sh

lint: install
	$(BIN)/ruff check src tests scripts bench frontend tools
	$(BIN)/ruff format --check src tests scripts bench frontend tools
	$(BIN)/mypy src

# Static analysis of the contracts; every finding is triaged in slither.config.json.
slither: install
	bash tools/slither.sh

demo: compile
	$(BIN)/python tools/demo.py

# A demo stopped some other way than Ctrl-C (closed terminal, killed make) keeps its ports.
demo-stop:
	$(BIN)/python tools/demo.py stop

clean:
	rm -rf .build contracts/.cache $(STAMPS)
