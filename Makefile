# Two commands for a fresh clone: `make run` and `make test`. Both create .venv and install into it first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO := resources/demo_northeast.tplan

.PHONY: run test bench lint demo clean package package-test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	@$(PY) -m desktop_planner || { status=$$?; echo; \
	  echo "If Qt said it could not load the xcb platform plugin, install its libraries, e.g. on Debian/Ubuntu:"; \
	  echo "  sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxkbcommon-x11-0"; \
	  exit $$status; }

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest
	$(VENV)/bin/lint-imports

# `make bench` (all), `make bench ONLY=foundation`; the optional baselines (spopt) are installed when possible.
# DTDP_TIME_LIMIT=60 runs the optimizer benchmark at the published 60 s per instance (default 10 s).
bench: $(STAMP)
	-$(PY) -m pip install --quiet -e ".[test,bench]"
	QT_QPA_PLATFORM=offscreen $(PY) -m tests.benchmarks.harness $(ONLY)

# Rebuild the bundled demo project (reproducible: same seed, same file contents).
demo: $(STAMP)
	$(PY) -m desktop_planner demo $(DEMO) --accounts 5000 --territories 12 --region northeast --seed 7 --force

# `make package`: the PyInstaller bundle in dist/ and dist/desktop-planner-<version>-linux-<arch>.tar.gz (about
# 1 minute). `make package-test` also runs the unpacked bundle in a clean environment (README, "Packaging").
PKG_STAMP := $(VENV)/.package-stamp
$(PKG_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[package]"
	touch $(PKG_STAMP)

package: $(PKG_STAMP)
	packaging/linux/build.sh $(PY)

package-test: package
	packaging/linux/package_test.sh $(PY)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info
