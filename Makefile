# Conclave: `make run` starts it, `make test` tests it.
GO      ?= go
BIN     ?= ./conclave
PKGS    ?= ./...
# Go's own tools are resolved through the module proxy at the pinned version.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build deps test lint bench fuzz e2e clean

build:
	$(GO) build -o $(BIN) .

run: build
	$(BIN)

# What `make test` needs beyond Go, installed with apt where missing (Debian, Ubuntu).
deps:
	.ci/deps

# Modules first: the tests then run inside a private network namespace holding only
# loopback (unshare -n), so nothing they do can reach another machine, and media tests
# (which need that namespace, CONCLAVE_NETNS=1) run. Where unshare is not permitted (not
# root), everything else still runs and the media tests say why they skip.
test:
	$(GO) mod download
	@if unshare -n true 2>/dev/null && command -v ip >/dev/null; then \
		echo "running the tests in a private network namespace (loopback only)"; \
		unshare -n sh -c 'ip link set lo up && CONCLAVE_NETNS=1 $(GO) test -race -count=1 $(PKGS)'; \
	else \
		echo "unshare -n is not permitted here: media tests will skip"; \
		$(GO) test -race -count=1 $(PKGS); \
	fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

# Benchmarks print figures; they never gate anything on wall-clock time.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	$(GO) run ./tools/apiload
	$(GO) run ./tools/sshload
	$(GO) run ./tools/webhookload
	unshare -n sh -c 'ip link set lo up && $(GO) run ./tools/sfuload'

# Longer fuzzing than the seed corpora that `make test` runs.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzResolvePermissions -fuzztime $(FUZZTIME) ./core
	$(GO) test -run '^$$' -fuzz FuzzDecodeFrame -fuzztime $(FUZZTIME) ./signal
	$(GO) test -run '^$$' -fuzz FuzzAssemble -fuzztime $(FUZZTIME) ./record
	$(GO) test -run '^$$' -fuzz FuzzReorder -fuzztime $(FUZZTIME) ./record

# Only the browser end-to-end tests (Debian's chromium, in the loopback-only namespace).
e2e:
	unshare -n sh -c 'ip link set lo up && CONCLAVE_NETNS=1 CONCLAVE_E2E=1 $(GO) test -count=1 -run Browser -v .'

clean:
	rm -f $(BIN)
