# The commands people type. Everything installs into .venv from the pinned requirements.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: run test fuzz verify chromium smoke lint format clean wrk bench-api bench-seed bench-digests bench-triage

run: $(STAMP)
	exec $(PY) -m factcheck.run

# The whole suite. Uses DATABASE_URL/REDIS_URL when set; otherwise SQLite under var/ and
# an embedded Redis started for the run (database 15 of it, so `make run` data is kept).
test: $(STAMP) chromium
	exec $(PY) -m factcheck.embedded_redis --db 15 $(PY) -m pytest --ds=tests.settings -m "not smoke" $(PYTEST_ARGS)

# The fuzz suites of tests/fuzz/ (docs/security.md, "Fuzzing") with ten times the examples
# `make test` runs and new random draws each time; as `make test`, on DATABASE_URL if set.
fuzz: $(STAMP)
	FUZZ_MULTIPLIER=10 FUZZ_RANDOM=1 exec $(PY) -m factcheck.embedded_redis --db 15 $(PY) -m pytest --ds=tests.settings tests/fuzz $(PYTEST_ARGS)

# Verify the public record (docs/workflow.md, "Tamper-evident history"): the database of
# `make run` unless DATABASE_URL says otherwise; exits non-zero naming any break.
verify: $(STAMP)
	DEBUG=$${DEBUG:-true} $(PY) manage.py verify_publications

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
chromium:
	command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium)

# The API benchmark (docs/BENCHMARKS.md): Debian's wrk drives gunicorn. It reads the
# database BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_api, which
# must exist); BENCH_ARGS="--seed 100000" fills it first through bench_seed.
BENCH_ARGS ?=
wrk:
	command -v wrk >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk)

bench-api: $(STAMP) wrk
	exec $(PY) -m bench.api_throughput $(BENCH_ARGS)

# Fill the API benchmark's database with published fact-checks (bench/README.md), e.g.
# BENCH_ARGS="--factchecks 100000 --force". The bench app is installed by bench.settings.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_api
bench-seed: $(STAMP)
	DEBUG=true DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=$(BENCH_DATABASE_URL) exec $(PY) manage.py bench_seed $(BENCH_ARGS)

# The triage benchmark (docs/BENCHMARKS.md, docs/queue.md): one worker draining N triage
# messages against N no-op messages. Creates and drops the database bench_factcheck;
# BENCH_ARGS="--claims 500 --repeats 1" is a quick run.
bench-triage: $(STAMP)
	exec $(PY) -m bench.triage_throughput $(BENCH_ARGS)

# The digest benchmark (docs/BENCHMARKS.md): fan-out, building and sending every digest
# to an SMTP sink against sending pre-rendered messages of the same size to it. Creates
# (and keeps) the database bench_digest; BENCH_ARGS="--rounds 1 --sizes ''" is a quick run.
bench-digests: $(STAMP)
	exec $(PY) -m bench.digest_throughput $(BENCH_ARGS)

# `make run` in a clean copy of the project, driven as a new user would (.ci/run runs it).
smoke: $(STAMP)
	exec $(PY) -m pytest -m smoke tests/smoke $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# A fresh venv on the first run or when the requirements change; reused otherwise.
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

clean:
	rm -rf $(VENV) var staticfiles
