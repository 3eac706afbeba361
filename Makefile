# Roster: `make run` serves on SQLite; `make test` runs everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# go.mod's toolchain line names a Go with the standard library's security
# fixes; every target uses it, even on a machine whose Go says
# GOTOOLCHAIN=local (the go command fetches it once through the module
# proxy). `GOTOOLCHAIN=local make …` builds with the machine's own Go.
export GOTOOLCHAIN ?= auto

BIN         := bin/roster
GO_TEST     := go test -race -count=1
PG_VERSION  := 15
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
# The Go vulnerability database, as the golang.org/x/vulndb module has it;
# a newer pseudo-version is a newer database.
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB      := bin/vulndb/$(VULNDB_VERSION)

.PHONY: help run build generate check-generated lint vuln test test-go postgres-tools test-sqlite test-postgres test-clients e2e e2e-chromium e2e-deps bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# What roster --version prints; each may be given (make build VERSION=v1.2.0).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

build: ## build bin/roster, stamped with version, commit and build date (roster --version)
	go build -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build ## migrate the embedded SQLite database (./data/roster.db) and serve on 127.0.0.1:8080
	./$(BIN) serve

generate: ## regenerate templ code
	go tool templ generate

check-generated: ## fail when committed templ code is stale
	go tool templ generate
	@git diff --exit-code -- '*_templ.go' || { echo "check-generated: generated templ code is stale: run make generate and commit it"; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard -- '*_templ.go')" || { echo "check-generated: uncommitted generated files: run make generate and commit them"; exit 1; }

lint: ## go vet, gofmt, templ fmt, staticcheck and go mod tidy -diff
	go vet ./...
	go run $(STATICCHECK) ./...
	@go mod tidy -diff >/dev/null || { echo "lint: go.mod or go.sum is not tidy: run go mod tidy and commit it"; go mod tidy -diff; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "lint: gofmt would change: $$(gofmt -l $$(git ls-files '*.go'))"; exit 1; }
	@if git ls-files '*.templ' | grep -q .; then go tool templ fmt -fail $$(git ls-files '*.templ') || { echo "lint: templ fmt would change files"; exit 1; }; fi

# govulncheck reads the database from disk (-db file://…), built from the
# vulndb module's OSV files by its own indexdb command: the check needs the
# module proxy once, never vuln.go.dev. It scans with the Go toolchain that
# builds here (go env GOVERSION): standard-library entries are those of that
# version (docs/operations.md, "Vulnerabilities and the Go toolchain").
vuln: $(VULNDB)/index/db.json ## govulncheck against a local copy of the Go vulnerability database (not part of make test)
	@echo "vuln: scanning with $$(go env GOVERSION) against golang.org/x/vulndb@$(VULNDB_VERSION)"
	go run $(GOVULNCHECK) -db file://$(CURDIR)/$(VULNDB) ./...

$(VULNDB)/index/db.json:
	go mod download golang.org/x/vulndb@$(VULNDB_VERSION)
	rm -rf $(VULNDB).tmp
	go run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns "$$(go env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv" -out $(VULNDB).tmp
	rm -rf $(VULNDB) && mv $(VULNDB).tmp $(VULNDB)

test: check-generated lint test-go test-clients e2e ## everything: generated code, lint, Go tests on SQLite and PostgreSQL, generated API clients, browser suite

# Go tests need PostgreSQL: TEST_DATABASE_URL when set, else a throwaway
# cluster from Debian's pg_virtualenv. ROSTER_TEST_REQUIRE_POSTGRES=1 makes
# a missing PostgreSQL fail the tests instead of skipping them.
test-go: postgres-tools ## Go tests (with -race) on SQLite and PostgreSQL
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif command -v pg_virtualenv >/dev/null && [ -x /usr/lib/postgresql/$(PG_VERSION)/bin/initdb ]; then \
		pg_virtualenv -v $(PG_VERSION) $(MAKE) --no-print-directory test-postgres; \
	else \
		echo "make test: PostgreSQL is missing: install Debian's postgresql-$(PG_VERSION) and postgresql-common (for pg_virtualenv), or set TEST_DATABASE_URL"; exit 1; \
	fi

# On a fresh Debian machine, install PostgreSQL when we may (root with apt-get).
postgres-tools:
	@if [ -z "$${TEST_DATABASE_URL:-}" ] && ! [ -x /usr/lib/postgresql/$(PG_VERSION)/bin/initdb ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing PostgreSQL $(PG_VERSION) for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-$(PG_VERSION) postgresql-common >/dev/null; \
	fi

test-postgres: ## Go tests against TEST_DATABASE_URL or the PG* variables pg_virtualenv sets
	@url="$${TEST_DATABASE_URL:-postgres://$${PGUSER}:$${PGPASSWORD}@$${PGHOST}:$${PGPORT}/postgres?sslmode=disable}"; \
	TEST_DATABASE_URL="$$url" ROSTER_TEST_REQUIRE_POSTGRES=1 $(GO_TEST) ./...

test-sqlite: ## Go tests on SQLite only (quick; not a substitute for make test)
	ROSTER_TEST_DIALECTS=sqlite $(GO_TEST) ./...

# e2e/clients is a module of its own (outside ./...): it generates both
# clients from the served document with default options and runs the
# docs/api.md flow through them; the TypeScript half skips, saying so, only
# when Node.js is missing.
test-clients: ## generate a Go client (oapi-codegen) and a TypeScript client (openapi-typescript + openapi-fetch) from /v1/openapi.json and run the docs/api.md flow through each
	cd e2e/clients && go test -count=1 -v .

e2e: e2e-chromium e2e-deps ## browser suite: Playwright drives Debian's Chromium against a real roster serve (js and no-js)
	cd e2e && npx playwright test

# Debian's Chromium, installed when missing and we may (root with apt-get);
# the suite never downloads a browser.
e2e-chromium:
	@if ! [ -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Debian's chromium for the browser suite"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
				|| { echo "e2e: could not install Debian's chromium with apt-get"; exit 1; }; \
		else \
			echo "e2e: /usr/bin/chromium is missing: install Debian's chromium package (apt-get install chromium, as root)"; exit 1; \
		fi; \
	fi

# The suite's npm packages, exactly as package-lock.json names them.
e2e-deps:
	@if ! [ -d e2e/node_modules ]; then \
		command -v npm >/dev/null || { echo "e2e: npm is missing: install Node.js 20 or later with npm"; exit 1; }; \
		(cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null) \
			|| { echo "e2e: npm ci failed in e2e/: the npm registry must be reachable"; exit 1; }; \
	fi

# The bench seeds accounts of 1,000, 100,000 and 1,000,000 members (and 32 of
# 1,000) whose ids interleave, serves them with roster serve and drives it over
# HTTP, next to the floors: the reference server in bench/reference and, on
# PostgreSQL, pgbench. BENCH_FLAGS="-duration 3s" makes a quick run.
bench: postgres-tools ## the performance figures of docs/performance.md (not part of make test)
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		go run ./bench $(BENCH_FLAGS); \
	elif command -v pg_virtualenv >/dev/null; then \
		pg_virtualenv -t -v $(PG_VERSION) -o max_connections=200 -o shared_buffers=256MB go run ./bench $(BENCH_FLAGS); \
	else \
		echo "make bench: PostgreSQL is missing: install postgresql-$(PG_VERSION) and postgresql-common, or set TEST_DATABASE_URL"; exit 1; \
	fi

clean: ## remove build output
	rm -rf bin
