# Conclave: `make run` starts it, `make test` tests it.
GO      ?= go
BIN     ?= ./conclave
PKGS    ?= ./...
# Go's own tools are resolved through the module proxy at the pinned version.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run build test lint bench fuzz e2e clean

build:
	$(GO) build -o $(BIN) .

run: build
	$(BIN)

# Modules first, so that tests never wait on the network halfway through.
test:
	$(GO) mod download
	$(GO) test -race -count=1 $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

# Benchmarks print figures; they never gate anything on wall-clock time.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	$(GO) run ./tools/apiload
	$(GO) run ./tools/sshload

# Longer fuzzing than the seed corpora that `make test` runs.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzResolvePermissions -fuzztime $(FUZZTIME) ./core

clean:
	rm -f $(BIN)
