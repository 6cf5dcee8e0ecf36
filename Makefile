# CyberIncident — `make run` (whole system locally) and `make test` (the suite). See README.md.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STAGE ?= dev
DIST ?= dist

.PHONY: install run test lint infra-check bench package clean
INFRA_VENV ?= .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-$(shell cat requirements-infra.txt | cksum | cut -d' ' -f1)

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

$(INFRA_STAMP):
	@test -x $(INFRA_VENV)/bin/python || $(PY) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install -q -r requirements-infra.txt
	@rm -f $(INFRA_VENV)/.installed-*; touch $(INFRA_STAMP)

# The CloudFormation the deploy uses: cfn-lint, then checkov with every accepted finding justified in
# infra/stack.py (SKIPS). tests/integration/test_infra.py checks the template's security properties.
infra-check: $(INFRA_STAMP)
	$(MAKE) -s package DIST=.build/infra
	$(BIN)/cfn-lint .build/infra/sam.json
	$(INFRA_VENV)/bin/checkov -f .build/infra/sam.json --framework cloudformation --compact --quiet \
		--skip-download

# pytest exits 5 when it collected no test: make treats that as a failure, as it should.
test: lint infra-check
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(ARGS)

# The Kinesis stream's name is fixed at package time (Chalice writes it into the event source); one per stage.
package: $(STAMP)
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(BIN)/python -m detectors compile --rules detectors/rules/sigma --output detectors/rules/compiled.rules.pickle
	$(BIN)/python infra/stack.py merge $(STAGE) > $(DIST)/merge.json
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} KINESIS_STREAM=cyberincident-$(STAGE)-events $(BIN)/chalice package --stage $(STAGE) \
		--merge-template $(DIST)/merge.json $(DIST)
	@echo "deployment package and CloudFormation template written to $(DIST)/"

clean:
	rm -rf $(VENV) $(INFRA_VENV) dist .build .pytest_cache
