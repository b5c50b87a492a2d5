# memtrace: two commands on a fresh clone: `make run` and `make test`.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

# The CLI is published self-contained with one ReadyToRun composite image of itself and the runtime (per platform, for
# this machine's): a small snapshot's import + run as two processes took 1.25–1.54 s framework-dependent ReadyToRun,
# 0.98–1.05 s composite (the rest is start-up and jitting); the build takes ~1.5 min longer.
RID ?= linux-$(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x64)

.PHONY: all setup hook gotest build run test slurmtest bench fuzz schema-docs notebooks clean

all: build

# The machine image ships the .NET 10 SDK; NuGet packages are restored from the configured feed.
setup:
	@command -v $(DOTNET) >/dev/null || { echo "dotnet SDK 10 is required (https://dot.net)"; exit 1; }
	@command -v gcc >/dev/null && command -v nm >/dev/null || { echo "installing gcc for the CUDA hook"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev make binutils >/dev/null; }
	@command -v go >/dev/null && command -v python3 >/dev/null || { echo "installing go and python3 for the live sidecar capture test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go python3 >/dev/null; }
	@command -v chromium >/dev/null || { echo "installing chromium for the report's browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "installing node and npm for the independent Arrow reader test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	@test -d tests/arrow-js/node_modules/apache-arrow || (cd tests/arrow-js && npm ci --no-audit --no-fund --silent)
	$(DOTNET) restore Pipeline.sln --nologo -v q

# The CUDA LD_PRELOAD hook and its GPU-less test doubles (collectors/cuda-hook) -> out/cuda-hook/.
hook: setup
	$(MAKE) -s -C collectors/cuda-hook OUT=$(CURDIR)/out/cuda-hook
	@echo "built out/cuda-hook/libmemtrace_cuda.so"

build: setup hook
	$(DOTNET) publish pipeline/Memtrace.Cli/Memtrace.Cli.csproj -c $(CONFIG) -o out/bin --nologo -v q -r $(RID) --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true
	$(DOTNET) build pipeline/Memtrace.Notebooks/Memtrace.Notebooks.csproj -c Release --nologo -v q
	@echo "built out/bin/memtrace and the notebook library (notebooks/*.ipynb load it with #r)"

# The demo prints its findings, worst first; `memtrace inspect out/demo` lists the tables' schemas.
run: build
	out/bin/memtrace demo --out out/demo

# The Go service the live sidecar test runs, built before the tests: built inside the test run, its cgo compile loaded
# both cores while timing-bound tests ran beside it (the expvar sampler test once saw 3 requests pass its 1 s timeout).
gotest: setup
	@mkdir -p out/go
	@if [ -z "$$HOME" ]; then export GOCACHE=/tmp/memtrace-gocache; fi; cd tests/data/go/oomsvc && GOFLAGS=-mod=mod go build -o $(CURDIR)/out/go/oomsvc .

# The unit and integration tests, then the fleet on a real one-node Slurm (slurmtest, after them: it needs the built CLI).
test: setup hook gotest
	$(DOTNET) test Pipeline.sln -c $(CONFIG) --nologo -v q --logger "console;verbosity=normal" 2>&1 | tee out-test.log; rc=$${PIPESTATUS[0]}; \
		$(MAKE) -s slurmtest 2>&1 | tee -a out-test.log; src=$${PIPESTATUS[0]}; exit $$(( rc != 0 ? rc : src ))

# deploy/slurm's scripts on Debian's Slurm 22.05, started here without systemd (tests/slurm/fleet-test.sh says what it checks).
slurmtest: setup
	@command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null || { echo "installing slurm and munge for the fleet test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; }
	$(DOTNET) build pipeline/Memtrace.Cli/Memtrace.Cli.csproj -c $(CONFIG) --nologo -v q
	MEMTRACE=$(CURDIR)/pipeline/Memtrace.Cli/bin/$(CONFIG)/net10.0/memtrace tests/slurm/fleet-test.sh

bench: build
	mkdir -p out/bench
	$(DOTNET) run -c Release --project tests/bench/Memtrace.Bench/Memtrace.Bench.csproj -- out/bench/results.json

# A long fuzz run of every importer (CI runs each for 2 s inside make test): FUZZ_SECONDS per target,
# execution counts per target in out/fuzz/<target>.json. A crash, hang or runaway allocation fails it.
FUZZ_SECONDS ?= 60
fuzz: setup
	rm -rf out/fuzz && mkdir -p out/fuzz
	MEMTRACE_FUZZ_SECONDS=$(FUZZ_SECONDS) MEMTRACE_FUZZ_OUT=$(CURDIR)/out/fuzz $(DOTNET) test tests/Memtrace.Collectors.Tests -c $(CONFIG) --nologo -v q \
		--filter "FullyQualifiedName~ImporterFuzzTests" --logger "console;verbosity=normal"
	@cat out/fuzz/*.json | grep -E '"(Target|Executions|Refused|Imported|BadRecords|MaxAllocatedBytes)"' | paste - - - - - - | tr -s ' '

# Regenerate notebooks/*.ipynb from their runnable twins notebooks/*.cs (the twins are the source).
notebooks: setup
	MEMTRACE_UPDATE_NOTEBOOKS=1 $(DOTNET) test tests/Memtrace.Notebooks.Tests -c $(CONFIG) --nologo -v q --filter "FullyQualifiedName~NotebookFileTests"

schema-docs: build
	out/bin/memtrace schema-docs --output schemas/README.md

clean:
	rm -rf out out-test.log
	find . -name bin -o -name obj | xargs rm -rf
