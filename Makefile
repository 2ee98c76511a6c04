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

.PHONY: all build images demo test bench bench-restore bench-xmlrpc fuzz lint torture fixtures check-report clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/rehearse ./cmd/rehearse

# Every image the tests and the demo need, built locally when missing.
# Idempotent: a second run only inspects the images.
images:
	bash fixtures/images/build-all.sh

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# XML-RPC decoding of a 5 MB search_read answer, side by side with Python's
# xmlrpc.client.loads on the same bytes (target: at least 2x).
bench-xmlrpc:
	$(GO) test -run '^$$' -bench DecodeSearchRead -benchmem -count 1 ./rehearsal/odoo/xmlrpc

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

# The HTML report in a real browser: renders a passing and a failing report
# in headless Chromium (Debian package: chromium) and checks the screenshot
# and the DOM; screenshots and pages are kept in out/check-report.
check-report:
	@command -v chromium >/dev/null || { echo 'check-report needs Chromium: apt-get install -y chromium' >&2; exit 1; }
	REHEARSE_REPORT_SCREENSHOTS=$(CURDIR)/out/check-report $(GO) test -count=1 -run '^TestReportRendersInChromium$$' -v ./rehearsal/report/
	@ls -l out/check-report

clean:
	rm -rf bin out
