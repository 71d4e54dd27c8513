# Two commands do all set-up on a fresh machine:  `make run` (the web page) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-cluster browser bench eval

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -e '.[test]'

# Ray for `qa build/serve --cluster` and its tests (tests/test_cluster.py runs a two-node Ray cluster)
install-cluster: $(BIN)/python
	$(BIN)/pip install -e '.[test,cluster]'

# Debian's chromium for the browser tests (Playwright's own browser download cannot work offline), and a
# Chinese font so its screenshots show characters
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y --no-install-recommends chromium)
	@fc-list :lang=zh 2>/dev/null | grep -q . || apt-get install -y --no-install-recommends fonts-wqy-microhei

run: install
	$(BIN)/python ui.py

test: install-cluster browser
	$(BIN)/python -m pytest

eval: install
	$(BIN)/qa eval --mode all --out artifacts/eval

bench: install
	$(BIN)/pip install -e '.[bench]'
	$(BIN)/qa bench --out artifacts/bench
