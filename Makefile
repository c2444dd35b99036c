# The two commands of the README: `make conformance` and `make test`.
# Each creates .venv when missing and installs the project with its extras, pinned by
# constraints/conformance.txt (the versions docs/matrix.md was made with). uv builds the
# environments when it is on PATH; otherwise pip (and the dev extra brings uv for the
# driver environments, see harness/matrix/envs.py).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PINS   := constraints/conformance.txt
UV     := $(shell command -v uv 2>/dev/null)
# the driver environments (hive-litellm, openai3-sdk-chat, instructor-openai) are pinned by constraints/<driver>.txt
export HARNESS_CONSTRAINTS := $(CURDIR)/constraints

.PHONY: conformance conformance-latest test test-slow bench schema clean

$(BIN)/python:
ifneq ($(UV),)
	$(UV) venv --seed --quiet --python $(PYTHON) $(VENV)
else
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
endif

$(STAMP): pyproject.toml setup.py $(PINS) | $(BIN)/python
ifneq ($(UV),)
	$(UV) pip install --quiet --python $(BIN)/python -c $(PINS) -e '.[all,dev,bench]'
else
	$(BIN)/python -m pip install -q -c $(PINS) -e '.[all,dev,bench]'
endif
	touch $(STAMP)

# the matrix on the pinned versions; regenerates docs/matrix.md; fails on regressions only
conformance: $(STAMP)
	$(BIN)/harness matrix --baseline conformance-baseline.json --doc docs/matrix.md

# the same against the newest releases of every adapter: what changed against the pins
conformance-latest: $(STAMP)
	$(BIN)/harness matrix --latest --baseline conformance-baseline.json

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
	$(BIN)/harness schema scenario > harness/vocab/schema/scenario.schema.json
	$(BIN)/harness schema transcript > harness/vocab/schema/transcript.schema.json
	$(BIN)/harness schema report > harness/vocab/schema/report.schema.json
	$(BIN)/harness explain --markdown > docs/findings.md
	$(BIN)/harness drivers --markdown > docs/drivers.md

clean:
	rm -rf $(VENV) .harness-envs
