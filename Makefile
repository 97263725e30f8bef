# GAN Studio: `make run` launches the studio, `make test` runs the tests (both set up .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Pinned so pip takes the local CPU wheel where one is offered (see .ci/run) instead of
# pulling the newest CUDA build; on a GPU machine set TORCH=torch for the default build.
TORCH ?= torch==2.13.0

.PHONY: run test bench venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install "$(TORCH)"
	$(BIN)/pip install -e ".[test,video]"
	touch $@

venv: $(VENV)/.installed

run: venv
	$(BIN)/studio

test: venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: venv
	for b in bench/*.py; do case $$b in */dcgan_baseline.py) continue;; esac; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
