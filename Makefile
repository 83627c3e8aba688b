# kiln - convenience front end to CMake. `make` builds into build/,
# `make test` runs the suite, `make asan` runs it under ASan+UBSan, `make tsan`
# the scheduler, network and cluster tests under ThreadSanitizer.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all test asan tsan fuzz fuzz-smoke clean

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKILN_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer on the tests with threads and processes at work: the
# scheduler, shared variables, storage, the network and the cluster. Forked
# executors run instrumented too, and a race there only makes the driver
# lose an executor (the test may still pass), so every process writes its
# reports to build-tsan/tsan-reports/ and any report fails the run.
# tests/tsan.supp is for third-party libraries only: a race in kiln is
# fixed, never suppressed.
TSAN_TESTS = test_failure test_speculation test_spill test_storage test_shared_vars \
	test_ops_keyvalue test_ops_persist test_fetch_failure test_local_cluster test_net_.* \
	test_cluster_.* test_ops_keyvalue_local_cluster test_shared_vars_local_cluster \
	test_speculation_local_cluster
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

# libFuzzer targets for every parser and decoder (tests/fuzz/README.md).
# The first group links the few sources it tests; the second the whole
# library, instrumented once into build-fuzz/libkiln-fuzz.a.
FUZZ_TARGETS = value_decode conf lines shuffle_block frame_decode
FUZZ_LIB_TARGETS = ml_number ml_text ml_model cluster_msgs
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc
FUZZ_LIBS = -lz -lbz2 -lzstd -llz4 -lxxhash -lssl -lcrypto -lm -lpthread
FUZZ_LIB_SOURCES = $(wildcard src/base/*.c src/io/*.c src/shuffle/*.c src/engine/*.c src/ui/*.c \
	src/ml/*.c src/net/*.c src/cluster/*.c)
fuzz: build-fuzz/libkiln-fuzz.a
	@for t in $(FUZZ_TARGETS); do \
		clang $(FUZZ_FLAGS) tests/fuzz/fuzz_$$t.c src/base/*.c src/io/*.c src/shuffle/block.c src/net/*.c \
			$(FUZZ_LIBS) \
			-o build-fuzz/fuzz_$$t || exit 1; done
	@for t in $(FUZZ_LIB_TARGETS); do \
		clang $(FUZZ_FLAGS) tests/fuzz/fuzz_$$t.c build-fuzz/libkiln-fuzz.a -llapacke -lopenblas \
			$(FUZZ_LIBS) -o build-fuzz/fuzz_$$t || exit 1; done

build-fuzz/libkiln-fuzz.a: $(FUZZ_LIB_SOURCES)
	@mkdir -p build-fuzz/obj
	@for f in $(FUZZ_LIB_SOURCES); do \
		clang -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Iinclude -Isrc -c $$f \
			-o build-fuzz/obj/$$(echo $$f | tr / _).o || exit 1; done
	@rm -f $@ && ar rcs $@ build-fuzz/obj/*.o

# A short run of each target (CI): any crash, leak or abort fails.
fuzz-smoke: fuzz
	@for t in $(FUZZ_TARGETS) $(FUZZ_LIB_TARGETS); do \
		mkdir -p build-fuzz/corpus-$$t; \
		build-fuzz/fuzz_$$t -max_total_time=$${FUZZ_SECONDS:-20} -artifact_prefix=build-fuzz/ \
			build-fuzz/corpus-$$t >build-fuzz/$$t.log 2>&1 \
			|| { tail -40 build-fuzz/$$t.log; exit 1; }; \
		echo "fuzz_$$t: $$(grep -c . build-fuzz/$$t.log) log lines, no crash"; done

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
