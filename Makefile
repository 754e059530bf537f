# Two commands on a fresh Debian machine (as root, or with sudo for apt-get):
#   make demo   installs everything, then scans the bundled demo production
#   make test   runs the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pdqhash (perceptual prints) is built from source: it needs g++ and the Python headers.
# postgresql: the tests run every ledger test on a real PostgreSQL server too (scripts/with-postgres).
# chromium: the tests open the HTML report in a real headless browser.
APT_PACKAGES := libimage-exiftool-perl ffmpeg chromium g++ python3-dev python3-venv postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps demo test reliability bench bench-scan bench-hashing bench-ledger bench-pgscan bench-facility clean

system-deps:
	@command -v exiftool >/dev/null && command -v ffprobe >/dev/null && command -v g++ >/dev/null && \
	  command -v pg_lsclusters >/dev/null && command -v chromium >/dev/null || \
	  ($(SUDO) apt-get update && $(SUDO) apt-get install -y $(APT_PACKAGES))

$(BIN)/aiprov: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgresql]'
	touch $@

# ascmhl pins click 8.1, older than the click 8.3 aiprov is built with, so it lives in its own
# environment; aiprov runs its command line (found through AIPROV_ASCMHL).
ASCMHL := $(CURDIR)/.venv-ascmhl/bin/ascmhl
$(ASCMHL):
	$(PYTHON) -m venv .venv-ascmhl
	.venv-ascmhl/bin/pip install --quiet ascmhl

# Byte-compiled up front: a shell with PYTHONDONTWRITEBYTECODE set would otherwise compile aiprov
# anew at every command (a tenth of a second, a third of an unchanged rescan's start-up).
install: system-deps $(BIN)/aiprov $(ASCMHL)
	@$(BIN)/python -m compileall -q plugin/aiprov >/dev/null

demo: install
	bash sample_media/demo.sh $(BIN)/aiprov

# Ledger tests run on SQLite and on PostgreSQL (tag, timeline, mhl, disclosure, pyblish and likeness
# on both in `make reliability`, on SQLite here): scripts/with-postgres starts Debian's
# server for the run (and stops it after, if it was not running).
test: install
	AIPROV_ASCMHL=$(ASCMHL) scripts/with-postgres $(BIN)/python -m pytest -q

reliability: install
	AIPROV_RELIABILITY=full AIPROV_ASCMHL=$(ASCMHL) scripts/with-postgres $(BIN)/python -m pytest -q -s tests/test_reliability.py \
	  tests/test_tagging.py tests/test_timeline.py tests/test_mhl.py tests/test_disclosure.py tests/test_pyblish.py \
	  tests/test_likeness.py

bench: install
	$(BIN)/python bench/bench_inspect.py

bench-scan: install
	$(BIN)/python bench/bench_scan.py

bench-hashing: install
	$(BIN)/python bench/bench_hashing.py

bench-ledger: install
	scripts/with-postgres $(BIN)/python bench/bench_ledger.py

bench-pgscan: install
	scripts/with-postgres $(BIN)/python bench/bench_pgscan.py

bench-facility: install  # 10M assets, one backend at a time (~17-23 GB each, deleted after)
	$(BIN)/python bench/bench_facility.py --backend sqlite
	scripts/with-postgres $(BIN)/python bench/bench_facility.py --backend postgresql

clean:
	rm -rf $(VENV) .venv-ascmhl .pytest_cache sample_media/production/.aiprov
