# The two README commands (make run, make test) and a few helpers around the
# CMake build. Nothing here compiles anything itself.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= 2
PGDIR      ?= $(CURDIR)/var/pg
BENCH_ARGS ?=
CMAKE      ?= cmake
CTEST      ?= ctest

.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory
.PHONY: help deps build build-asan run test bench db-start db-stop clean

help:
	@echo "make run       install missing packages, build, start PostgreSQL under var/pg,"
	@echo "               run plaintd in the foreground with config/plaint.yaml (Ctrl-C stops both)"
	@echo "make test      install missing packages, build $(BUILD)/ and $(ASAN_BUILD)/"
	@echo "               (address,undefined), run every test in both against a private PostgreSQL"
	@echo "make build     install missing packages and build $(BUILD)/ (plaintd, plaint)"
	@echo "make deps      install missing Debian packages (as root; else print the apt-get line)"
	@echo "make bench     plaint bench against plaintd next to pgbench's ceiling, on a"
	@echo "               private PostgreSQL (scripts/bench.sh; options: BENCH_ARGS=...)"
	@echo "make db-start  start the PostgreSQL under var/pg and print its conninfo"
	@echo "make db-stop   stop it"
	@echo "make clean     remove $(BUILD)/ and $(ASAN_BUILD)/ (var/ keeps the database)"

deps:
	@bash scripts/install-deps.sh

build: deps
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPL_WERROR=ON
	$(CMAKE) --build $(BUILD) -j$(JOBS)

build-asan: deps
	$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPL_WERROR=ON \
		-DPL_SANITIZE=address,undefined
	$(CMAKE) --build $(ASAN_BUILD) -j$(JOBS)

run: build
	@PL_BUILD_DIR=$(CURDIR)/$(BUILD) PL_PG_DIR=$(PGDIR) bash scripts/run.sh

# Both suites run even if the first fails, so one run shows every failure.
test: build build-asan
	@rc=0; \
	for dir in $(BUILD) $(ASAN_BUILD); do \
		echo "== ctest in $$dir"; \
		(cd $$dir && $(CTEST) --output-on-failure -j$(JOBS)) || rc=1; \
	done; \
	if [ $$rc -ne 0 ]; then echo "== make test: FAILED"; else echo "== make test: all passed"; fi; \
	exit $$rc

bench: build
	@bash scripts/bench.sh --build $(CURDIR)/$(BUILD) $(BENCH_ARGS)

db-start: deps
	@bash scripts/pg.sh start $(PGDIR)
	@bash scripts/pg.sh createdb $(PGDIR) plaint
	@echo "conninfo: $$(bash scripts/pg.sh env $(PGDIR) plaint)"

db-stop:
	@bash scripts/pg.sh stop $(PGDIR)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
