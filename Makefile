# gbmixed: build / test front door. `make help` lists the targets.
# Every target that needs R installs it first (make deps: Debian apt only; CRAN is never contacted).

SHELL   := /bin/bash
MVN     ?= mvn
MVNFLAGS ?= -B -ntp
RSCRIPT ?= Rscript
JAR     := target/gbmixed-engine.jar
VERSION  = $(shell sed -n 's/^Version:[[:space:]]*//p' r-package/DESCRIPTION 2>/dev/null)
TARBALL  = build/gbmixed_$(VERSION).tar.gz

# One maven at a time on target/, one R CMD INSTALL at a time on the library.
.NOTPARALLEL:
.PHONY: help deps jar assemble build install demo test test-java test-r javadoc man check bench mutation mutation-by-class clean

help:
	@echo "make demo     fit sleepstudy and show print/summary/predict (installs what is missing first)"
	@echo "make test     all tests: JUnit (mvn test), javadoc, man pages, then testthat against the installed package"
	@echo "make javadoc  the engine's API docs, doclint clean (target/reports/apidocs/)"
	@echo "make man      r-package/man/ from the roxygen comments (make test checks they match)"
	@echo "make check    R CMD check --as-cran (offline) on the built tarball"
	@echo "make bench    bench/run.sh: the benchmarks and the speed targets' verdicts (BENCH_FLAGS=--quick for a smoke run)"
	@echo "make deps     install missing system/R packages from Debian apt"
	@echo "make jar      build $(JAR) (mvn package -DskipTests)"
	@echo "make build    assemble build/gbmixed/ and R CMD build it into build/gbmixed_<version>.tar.gz"
	@echo "make install  jar + R package into the R library"
	@echo "make mutation PIT mutation testing of the engine's numeric core (not part of make test; ~1.5 h on 2 cores)"
	@echo "make mutation-by-class  the same one class at a time (target/pit-by-class/), summary over all"
	@echo "make clean    remove build/ and target/"

deps:
	@tools/install-deps.sh

# (Maven 3.8 prints stray ANSI resets under -q even in batch mode: strip them.)
jar:
	@echo "$(MVN) $(MVNFLAGS) -q package -DskipTests"
	@set -o pipefail; $(MVN) $(MVNFLAGS) -q package -DskipTests 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g'
	@ls -l $(JAR) | awk '{print "jar: " $$NF " (" $$5 " bytes)"}'

# build/gbmixed/: r-package/ + inst/ + vignettes/ + the jar + the Java sources.
assemble: jar
	@tools/assemble.sh

build: deps assemble
	@tools/build.sh

install: deps assemble
	@tools/install.sh

demo: install
	$(RSCRIPT) tools/demo.R

test-java:
	@set -o pipefail; $(MVN) $(MVNFLAGS) test 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g'

test-r: install
	$(RSCRIPT) tools/test.R r-package/tests/testthat

# JUnit first (Surefire prints its summary), javadoc, the man pages against the roxygen comments, then testthat
# against the installed package; all always run.
# The last line is testthat's "testthat: N passed, N failed, N skipped"; the exit status is non-zero if any failed.
test: install
	@set -o pipefail; rc=0; \
	echo "$(MVN) $(MVNFLAGS) test"; \
	$(MVN) $(MVNFLAGS) test 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' \
	  || { rc=1; echo "test: JUnit tests FAILED (Surefire report above)"; }; \
	echo "tools/javadoc.sh"; \
	MVN="$(MVN)" tools/javadoc.sh || { rc=1; echo "test: javadoc FAILED (doclint warnings above)"; }; \
	echo "tools/man-sync.sh"; \
	RSCRIPT="$(RSCRIPT)" tools/man-sync.sh || rc=1; \
	echo "$(RSCRIPT) tools/test.R r-package/tests/testthat"; \
	$(RSCRIPT) tools/test.R r-package/tests/testthat || rc=1; \
	exit $$rc

# The R help pages from the roxygen comments of r-package/R (against the installed package; make test checks them).
man: install
	cd r-package && $(RSCRIPT) -e 'roxygen2::roxygenise(load_code = roxygen2::load_installed)'

# The engine's API docs (target/reports/apidocs); every doclint group on, a warning fails (also part of make test).
javadoc:
	@MVN="$(MVN)" tools/javadoc.sh

check: build
	@tools/check.sh

# The benchmarks (bench/README.md): every part by default, or BENCH_FLAGS (e.g. --quick, --base --grboost).
bench:
	@bench/run.sh $(BENCH_FLAGS)

# PIT on the numeric core (PIT_CLASSES: a glob of classes, default all of org.gbmixed but the facade and the argument
# checks); report in target/pit-reports/index.html, summary and surviving mutants printed by tools/mutation-summary.sh.
PIT_CLASSES ?= $(shell tools/mutation-summary.sh --classes)
PIT_THREADS ?= 2
mutation:
	@set -o pipefail; $(MVN) $(MVNFLAGS) -Pmutation test-compile org.pitest:pitest-maven:mutationCoverage \
	  -DtargetClasses='$(PIT_CLASSES)' -Dthreads=$(PIT_THREADS) 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' | grep -E "^(\[ERROR\]|>>|Generated|Ran|=|- |Mutations|Line)" ; \
	tools/mutation-summary.sh target/pit-reports/mutations.csv

# The same one class at a time (each run's mutants.csv kept in target/pit-by-class/), so that a run cut short
# keeps every finished class; the summary is over all of them.
mutation-by-class:
	@mkdir -p target/pit-by-class; \
	for c in $$(tools/mutation-summary.sh --names); do \
	  echo "PIT $$c"; \
	  $(MAKE) --no-print-directory mutation PIT_CLASSES="org.gbmixed.$$c,org.gbmixed.$$c\$$\$$*" > target/pit-by-class/$$c.log 2>&1; \
	  cp target/pit-reports/mutations.csv target/pit-by-class/$$c.csv; \
	done; \
	tools/mutation-summary.sh target/pit-by-class/*.csv

clean:
	rm -rf build target
