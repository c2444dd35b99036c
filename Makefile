# The two commands of the README: `make conformance` and `make test`.
# Each creates .venv when missing and installs the project with its extras.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: conformance test test-slow bench schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[all,dev,bench]'
	touch $(STAMP)

conformance: $(STAMP)
	$(BIN)/harness matrix --baseline conformance-baseline.json

test: $(STAMP)
	$(BIN)/ruff check harness tests examples benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

# the long fuzzing runs, the headless-browser check and the driver environments
test-slow: $(STAMP)
	HARNESS_SLOW=1 $(BIN)/python -m pytest -n 2 -q -m slow

bench: $(STAMP)
	$(BIN)/python -m benchmarks

schema: $(STAMP)
	$(BIN)/harness schema scenario > harness/schema/scenario.schema.json
	$(BIN)/harness schema transcript > harness/schema/transcript.schema.json
	$(BIN)/harness schema report > harness/schema/report.schema.json
	$(BIN)/harness explain --markdown > docs/findings.md

clean:
	rm -rf $(VENV) .harness-envs
