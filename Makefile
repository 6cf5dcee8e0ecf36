# CyberIncident — `make run` (whole system locally) and `make test` (the suite). See README.md.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STAGE ?= dev

.PHONY: install run test lint bench package clean

$(STAMP):
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=23,<26.3"  # chalice package needs pip < 26.3
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m chalicelib.local_stack $(ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports

# pytest exits 5 when it collected no test: make treats that as a failure, as it should.
test: lint
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(ARGS)

package: $(STAMP)
	rm -rf dist && mkdir -p dist
	$(BIN)/python -m detectors compile --rules detectors/rules/sigma --output detectors/rules/compiled.rules.pickle
	$(BIN)/chalice package --stage $(STAGE) --merge-template infra/template.json dist
	@echo "deployment package and CloudFormation template written to dist/"

clean:
	rm -rf $(VENV) dist .pytest_cache
