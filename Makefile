# The two commands a new user needs: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint bench models eval browser clean

$(INSTALLED): pyproject.toml setup.py src/townsquare/listening/_native.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/townsquare demo

# Debian's chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

lint: $(INSTALLED)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

test: $(INSTALLED) browser lint
	$(BIN)/python scripts/run_tests.py

# One core, as the goals are stated; each engine runs beside its peer in the same process and run.
bench: $(INSTALLED)
	taskset -c 0 $(BIN)/townsquare bench listening
	taskset -c 0 $(BIN)/python -m townsquare.enrichment.bench

TRAINED := $(VENV)/.train-installed
$(TRAINED): $(INSTALLED)
	$(BIN)/pip install --quiet -e '.[dev,train]'
	touch $(TRAINED)

# Retrain the shipped enrichment artefacts from ../shared/data: a MiniLM teacher on the CPU (torch, the
# train extra) teaches the linear models; seeded, about 45 minutes on 2 cores (docs/enrichment.md).
models: $(TRAINED)
	$(BIN)/python scripts/train_models.py

# Score the shipped artefacts on the validation data beside the published anchors.
eval: $(TRAINED)
	$(BIN)/python scripts/evaluate_models.py

clean:
	rm -rf $(VENV) var .pytest_cache
