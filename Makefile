# rehearse — see README.md. Every target works on a machine with a Docker
# engine and no image registry: images are built locally (make images).

SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/odoo-rehearse/rehearse/rehearsal/version.Version=$(VERSION)

# testcontainers-go: no Ryuk (it would need a registry pull; rehearse owns
# its cleanup through labels and `rehearse gc`), and loopback as the Docker
# host, since /.dockerenv on these machines makes testcontainers guess the
# default gateway, which must never be dialled.
export TESTCONTAINERS_RYUK_DISABLED := true
export TESTCONTAINERS_HOST_OVERRIDE ?= 127.0.0.1

.PHONY: all build images demo test bench bench-restore bench-xmlrpc fuzz lint torture fixtures fixtures-large check-report clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/rehearse ./cmd/rehearse

# A real rehearsal on bundled data: a generated Odoo 16.0 backup upgraded
# to 17.0 on the stand-in, then the production gate (rehearse verify) run
# against the approval it signed.
DEMO := out/demo
demo: images build
	@test -f fixtures/testdata/generated/gen16_small.zip || $(GO) run ./fixtures/backupgen/cmd/backupgen --scale small --out fixtures/testdata/generated --quiet
	@test -f $(DEMO)/keys/approval.key || bin/rehearse keys init --dir $(DEMO)/keys
	bin/rehearse run -f fixtures/demo/rehearsal.yaml
	bin/rehearse verify --target-image rehearse/odoo-standin:17.0 --pubkey $(DEMO)/keys/approval.pub --store $(DEMO)/approvals

# Every image the tests and the demo need, built locally when missing.
# Idempotent: a second run only inspects the images.
images:
	bash fixtures/images/build-all.sh

# The generated backups tests and the demo use (small, seconds), in
# fixtures/testdata/generated/ (gitignored). The large one (over 1 GB in
# PostgreSQL, minutes) is for restore benchmarks: make fixtures-large.
fixtures: images
	$(GO) run ./fixtures/backupgen/cmd/backupgen --scale small --out fixtures/testdata/generated
	$(GO) run ./fixtures/backupgen/cmd/backupgen --scale small --variant neutralize-breaker --out fixtures/testdata/generated

fixtures-large: images
	$(GO) run ./fixtures/backupgen/cmd/backupgen --scale large --out fixtures/testdata/generated

# Container tests run against the local images, so make them first. The
# full log goes to out/test.log; the terminal gets each test's verdict and
# what the tests chose to log (which containers, which figures).
test: images
	$(GO) vet ./...
	@mkdir -p out
	set -o pipefail; $(GO) test -count=1 -timeout 60m -v ./... 2>&1 | tee out/test.log \
		| grep -E --line-buffered '^(--- |ok |FAIL|panic:|PASS$$|\?)|^ +[A-Za-z0-9_]+_test\.go:[0-9]+: |^ +--- '
	@echo "full log: out/test.log"
	@echo "test: $$(grep -c -- '--- PASS' out/test.log) passed, $$(grep -c -- '--- FAIL' out/test.log) failed, $$(grep -c -- '--- SKIP' out/test.log) skipped"

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# XML-RPC decoding of a 5 MB search_read answer, side by side with Python's
# xmlrpc.client.loads on the same bytes (target: at least 2x).
bench-xmlrpc:
	$(GO) test -run '^$$' -bench DecodeSearchRead -benchmem -count 1 ./rehearsal/odoo/xmlrpc

# Restore of prod16 (../shared) and of the large generated backup (make
# fixtures-large), side by side in one PostgreSQL container: rehearse vs
# psql -f (Odoo's way) vs pg_restore -j 2, clone vs restore, runner peak
# RSS; one table of medians (REHEARSE_BENCH_ROUNDS, default 3).
bench-restore: images
	set -o pipefail; $(GO) test -run '^$$' -bench BenchmarkRestore -benchtime 1x -count 1 -timeout 90m ./rehearsal/restore \
		2>&1 | grep -v -E '^[0-9]{4}/[0-9]{2}/[0-9]{2} |^  [A-Z][A-Za-z ]+: '

# Every fuzz target of the repository (found by name, so a new one joins
# without editing this), each for FUZZTIME; a crasher is written to the
# package's testdata/fuzz/ and must be committed as a regression seed
# (`make test` runs the seeds). Prints targets run and crashers found.
FUZZTIME ?= 30s
fuzz:
	@set -o pipefail; targets=0; failed=""; \
	for f in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd rehearsal scenarios fixtures | sort); do \
		pkg=./$$(dirname $$f); \
		for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			targets=$$((targets+1)); echo "fuzz: $$fn ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | tail -n 3 || failed="$$failed $$pkg:$$fn"; \
		done; \
	done; \
	echo "fuzz: $$targets targets, $$(echo $$failed | wc -w) with crashers$${failed:+:$$failed}"; \
	test -z "$$failed"

# The long proof suite (fixtures/torture, -tags torture): SIGINT and
# SIGKILL+gc in every phase, every stand-in fault image, isolation,
# secrets, two rehearsals at once. Runs real rehearsals two at a time
# (the machine has 2 cores); fails, never skips, when Docker or an image
# is missing. Full log in out/torture.log.
torture: images
	@mkdir -p out
	set -o pipefail; $(GO) test -tags torture -count=1 -parallel 2 -timeout 120m -v ./fixtures/torture/ 2>&1 | tee out/torture.log \
		| grep -E --line-buffered '^(--- |ok |FAIL|panic:|PASS$$)|^ +--- |^ +[a-z_]+_test\.go:[0-9]+: |^      '
	@echo "full log: out/torture.log"

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

# The HTML report in a real browser: renders a passing and a failing report
# in headless Chromium (Debian package: chromium) and checks the screenshot
# and the DOM; screenshots and pages are kept in out/check-report.
check-report:
	@command -v $${REHEARSE_CHROMIUM:-chromium} >/dev/null || command -v google-chrome >/dev/null || { echo 'check-report needs Chromium: apt-get install -y chromium (or Google Chrome, or REHEARSE_CHROMIUM=/path/to/browser)' >&2; exit 1; }
	REHEARSE_REPORT_SCREENSHOTS=$(CURDIR)/out/check-report $(GO) test -count=1 -run '^TestReportRendersInChromium$$' -v ./rehearsal/report/
	@ls -l out/check-report

clean:
	rm -rf bin out
