# Two commands do all set-up on a fresh machine:  `make run` (the web page) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pip runs again only when pyproject.toml changes: the package is installed editable, so code changes need
# no reinstall. One stamp per set of extras.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test install-cluster browser bench eval

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# what the page and the `qa` command need, nothing for testing
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing the package and what the page needs into $(VENV) (once; about a minute)"
	$(BIN)/pip install --quiet -e .
	@touch $@

# the test extra, and Ray for `qa build/serve --cluster` and its tests (tests/test_cluster.py runs a
# two-node Ray cluster); a superset of the page's, so it stamps both
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing the package with its test and cluster extras into $(VENV) (once; a minute or two)"
	$(BIN)/pip install --quiet -e '.[test,cluster]'
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-test install-cluster: $(TEST_STAMP)

# Debian's chromium for the browser tests (Playwright's own browser download cannot work offline), and a
# Chinese font so its screenshots show characters
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y --no-install-recommends chromium)
	@fc-list :lang=zh 2>/dev/null | grep -q . || apt-get install -y --no-install-recommends fonts-wqy-microhei

# flags for the page: make run ARGS="--port 8080 --host 0.0.0.0"
run: $(RUN_STAMP)
	$(BIN)/python ui.py $(ARGS)

# both cores (pytest-xdist), a test file per worker at a time; TEST_WORKERS=0 runs it in one process
TEST_WORKERS ?= 2
test: $(TEST_STAMP) browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

eval: $(TEST_STAMP)
	$(BIN)/qa eval --mode all --out artifacts/eval

bench: $(TEST_STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/qa bench --out artifacts/bench
