# Thin wrapper over CMake for the common commands. See README.md.
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)

.PHONY: all deps test test-asan demo install clean bench fuzz stress

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

deps:
	bash scripts/deps.sh

test: all
	bash scripts/test-setup.sh
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPARQ_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -E interop_

# Stress tests that need more memory or time than CI has (docs/TESTING.md).
stress: all
	PARQ_BIN=$(BUILD)/parq bash tests/stress/large_string_map.sh

demo: all
	bash scripts/demo.sh

install: all
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) --target install

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# Benchmarks against DuckDB, Polars and zstd (results: docs/BENCHMARKS.md).
bench: all
	bash bench/run.sh --size $${SIZE:-1G}

# libFuzzer run of the reader (clang), seeded from the parquet-testing corpus.
fuzz:
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPARQ_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_reader
	@mkdir -p build-fuzz/corpus build-fuzz/seeds
	@find $${PARQUET_TEST_DATA:-../shared/parquet-testing}/data -name '*.parquet' -size -200k -exec cp {} build-fuzz/seeds/ \; 2>/dev/null || true
	build-fuzz/fuzz_reader -max_total_time=$${SECONDS_TO_FUZZ:-300} -rss_limit_mb=2048 -malloc_limit_mb=1024 build-fuzz/corpus build-fuzz/seeds tests/fuzz/regressions
