# TrialMatch: `make run` sets everything up and opens the app; `make test` sets up and runs all checks.
VENV := .venv
PY := $(VENV)/bin/python
export QT_QPA_PLATFORM_TEST ?= offscreen

.PHONY: run test lint check-imports typecheck pytest bench screenshots clean

run:
	@scripts/bootstrap.sh run
	$(PY) main.py $(ARGS)

test:
	@scripts/bootstrap.sh test
	@scripts/run_tests.sh

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	$(VENV)/bin/mypy

check-imports:
	$(VENV)/bin/lint-imports

bench:
	@scripts/bootstrap.sh test
	$(PY) -m bench.run $(ARGS)

screenshots:
	@scripts/bootstrap.sh test
	xvfb-run -a -s "-screen 0 1366x768x24" $(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
