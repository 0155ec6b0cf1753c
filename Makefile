# mamori — the two commands a newcomer runs:
#   make run    install missing build dependencies, build, run the demo
#   make test   build with ASan+UBSan and run the whole suite through ctest
# Other targets: build, bench, fuzz, compat-report, clean.

SHELL := /bin/bash
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
SHARED ?= $(abspath ../shared)

# pkg-config module -> Debian package that provides it.
PKG_MODULES := libpcap:libpcap-dev libhs:libhyperscan-dev libpcre2-8:libpcre2-dev \
	zlib:zlib1g-dev yara:libyara-dev hivex:libhivex-dev libcrypto:libssl-dev \
	yaml-0.1:libyaml-dev sqlite3:libsqlite3-dev cmocka:libcmocka-dev jansson:libjansson-dev
# command -> Debian package, for tools the build and the tests run.
TOOLS := cmake:cmake gcc:gcc pkg-config:pkg-config clang:clang \
	tshark:tshark tcpreplay:tcpreplay tcpdump:tcpdump ip:iproute2 xz:xz-utils \
	hivexregedit:libwin-hivex-perl hivexsh:libhivex-bin x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 \
	x86_64-w64-mingw32-windres:binutils-mingw-w64-x86-64 jq:jq bc:bc openssl:openssl \
	mkfs.vfat:dosfstools mcopy:mtools yara:yara python3:python3
EXTRA_PKGS := libclang-rt-14-dev python3-yaml

.PHONY: all deps build run test bench fuzz compat-report clean

all: build

deps:
	@missing=""; \
	for m in $(PKG_MODULES); do \
	  mod=$${m%%:*}; pkg=$${m##*:}; \
	  pkg-config --exists $$mod 2>/dev/null || missing="$$missing $$pkg"; \
	done; \
	for t in $(TOOLS); do \
	  cmd=$${t%%:*}; pkg=$${t##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	for p in $(EXTRA_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "mamori: installing build dependencies:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAMORI_SHARED=$(SHARED) >/dev/null
	cmake --build build -j $(JOBS)

# mamori scan exits 1 when it finds something, which is the point of the demo.
run: build
	@echo "== mamori net on demo/demo.pcap =="
	./build/mamori net -r demo/demo.pcap -l demo-logs
	@echo; echo "== records written to demo-logs/eve.json, by event type =="
	@python3 -c 'import json,collections,sys; c=collections.Counter(json.loads(l)["event_type"] for l in open("demo-logs/eve.json")); [print(f"{k:8} {v}") for k,v in sorted(c.items())]'
	@echo; echo "== first HTTP, DNS and SMTP records =="
	@for t in http dns smtp; do grep -m1 "\"event_type\":\"$$t\"" demo-logs/eve.json; done
	@echo; echo "== mamori scan on the demo Windows volume and USB stick =="
	./build/mamori scan demo/windows/C demo/windows/USB || [ $$? -eq 1 ]

test: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMAMORI_SANITIZE=ON -DMAMORI_WERROR=ON -DMAMORI_SHARED=$(SHARED) >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

bench: build
	bash bench/run.sh

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMAMORI_SANITIZE=ON -DMAMORI_FUZZ=ON -DMAMORI_SHARED=$(SHARED) >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	@echo "libFuzzer targets: build-fuzz/tests/fuzz_*_lf (run with a corpus folder from tests/fuzz/corpus/)"

compat-report: build
	bash tests/compat/report.sh

clean:
	rm -rf build build-asan build-fuzz demo-logs
