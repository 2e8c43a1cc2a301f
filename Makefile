# privbill: the commands a person types.
#
#   make demo    build the project into .venv and run the demo
#   make test    every C check (csrc/Makefile `check`) and then pytest
#   make bench   C benchmark and the pytest-benchmark suite
#   make lint    ruff and mypy
#   make clean
#
# STRICT=1 (what .ci/run sets) turns every "tool missing: SKIP" into a failure.
#
# The project is installed into .venv in editable mode, so Python sources are
# used from src/ directly; the C extension is rebuilt (by reinstalling) only
# when the C sources, the cffi builder or the packaging files change.

PYTHON ?= python3
STRICT ?= 0
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS := test,bench,demo,dask,lint
STAMP  := $(VENV)/.stamp-install

BUILD_INPUTS := pyproject.toml setup.py src/privbill/_build.py \
    $(wildcard csrc/include/*.h csrc/src/*.c csrc/src/*.h)

.PHONY: all demo test pytest bench lint clean
all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BUILD_INPUTS) | $(BIN)/python
	$(BIN)/python -m pip install -e '.[$(EXTRAS)]'
	@touch $@

demo: $(STAMP)
	$(BIN)/privbill demo

# In this order, also under make -j: packages, then C, then Python.
test:
	@bash .ci/deps
	$(MAKE) -C csrc check STRICT=$(STRICT)
	$(MAKE) pytest

# pytest exits 5 when it collected nothing: never a pass under STRICT=1.
pytest: $(STAMP)
	@rc=0; $(BIN)/pytest || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
	    echo "******** pytest collected no tests ********" >&2; \
	    if [ "$(STRICT)" = 1 ]; then exit 1; fi; exit 0; \
	fi; exit $$rc

bench: $(STAMP)
	$(MAKE) -C csrc bench
	$(BIN)/pytest benchmarks -o addopts= --benchmark-only \
	    --benchmark-columns=min,median,max,rounds --benchmark-json=benchmarks/last.json
	$(BIN)/python benchmarks/report.py benchmarks/last.json

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	$(MAKE) -C csrc clean
	rm -rf build dist src/*.egg-info src/privbill/_native*.so .pytest_cache .mypy_cache .ruff_cache
