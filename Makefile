# kiln - convenience front end to CMake. `make` builds into build/,
# `make test` runs the suite, `make asan` runs it under ASan+UBSan, `make tsan`
# the scheduler, network and cluster tests under ThreadSanitizer,
# `make install [PREFIX=/usr/local] [DESTDIR=]` installs (cmake/install.cmake).
# `make chaos` runs the chaos soak (tests/e2e/chaos.sh).
BUILD ?= build
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local

.PHONY: all test asan tsan install fuzz fuzz-smoke chaos clean python

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The Python package's extension module only (build/python/; python/README.md).
python:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target kiln_python

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Configured for PREFIX, so that the programs look for their files there
# (etc/kiln); DESTDIR stages the files under another root (packaging).
install:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(abspath $(PREFIX)) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# ASAN_SKIP: a regular expression of tests to leave out (ctest -E; none by
# default). .ci/run leaves out the suites that run again in other modes.
asan:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) $(if $(ASAN_SKIP),-E '$(ASAN_SKIP)')

# ThreadSanitizer on the tests with threads and processes at work: the
# scheduler, shared variables, storage, the network and the cluster. Forked
# executors run instrumented too, and a race there only makes the driver
# lose an executor (the test may still pass), so every process writes its
# reports to build-tsan/tsan-reports/ and any report fails the run.
# test_cluster_standalone runs its master and workers as its own program
# exec'd in their roles (a fork of a threaded process that starts threads
# without exec is what TSan cannot follow), so the master's web thread is
# checked too.
# tests/tsan.supp is for third-party libraries only: a race in kiln is
# fixed, never suppressed.
TSAN_TESTS = test_failure test_speculation test_cancel test_spill test_storage test_shared_vars \
	test_ops_keyvalue test_ops_persist test_fetch_failure test_local_cluster test_net_.* \
	test_cluster_(app_messages|fnref|http|messages|msg_roundtrip|retries|standalone) test_ops_keyvalue_local_cluster test_shared_vars_local_cluster \
	test_speculation_local_cluster test_sql_dataframe test_sql_dataframe_local_cluster test_web_server \
	test_ui_jobdesc test_ui_sql_metrics test_ui_store
TSAN_OPTIONS = halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp \
	log_path=$(CURDIR)/build-tsan/tsan-reports/tsan
space := $(subst ,, )
tsan:
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DKILN_TSAN=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@rm -rf build-tsan/tsan-reports && mkdir -p build-tsan/tsan-reports
	cd build-tsan && TSAN_OPTIONS="$(TSAN_OPTIONS)" ctest --output-on-failure -j $(JOBS) \
		-R '^($(subst $(space),|,$(strip $(TSAN_TESTS))))$$'; \
	rc=$$?; if [ -n "$$(ls tsan-reports)" ]; then cat tsan-reports/*; \
		echo "ThreadSanitizer reports above (build-tsan/tsan-reports/)"; exit 1; fi; exit $$rc

# libFuzzer targets for every parser and decoder (tests/fuzz/README.md):
# cmake/fuzz.cmake builds each tests/fuzz/fuzz_*.c into build-fuzz/ with
# clang, against the library instrumented once (build-fuzz/lib/libkiln-fuzz.a).
FUZZ_TARGETS = $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
fuzz:
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DKILN_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzzers >build-fuzz/build.log 2>&1 \
		|| { grep -Ev '^\[ *[0-9]+%\]|make\[[0-9]+\]: (Entering|Leaving)' build-fuzz/build.log; exit 1; }

# A short run of each target (CI): any crash, leak or abort fails. Inputs
# kept in tests/fuzz/seeds/TARGET/ (when there) seed the corpus.
fuzz-smoke: fuzz
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build-fuzz/corpus-$$t; \
		build-fuzz/fuzz_$$t -max_total_time=$${FUZZ_SECONDS:-20} -artifact_prefix=build-fuzz/ \
			build-fuzz/corpus-$$t $$(ls -d tests/fuzz/seeds/$$t 2>/dev/null) >build-fuzz/$$t.log 2>&1 \
			|| { tail -40 build-fuzz/$$t.log; exit 1; }; \
		echo "fuzz_$$t: $$(grep -c . build-fuzz/$$t.log) log lines, no crash"; done

# The chaos soak (tests/e2e/chaos.sh): jobs checked against local mode while
# executors are killed; KILN_CHAOS_SECONDS (120) sets its length.
chaos: all
	bash tests/e2e/chaos.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
