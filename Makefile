PY ?= .venv/bin/python

.PHONY: models eval bench

models:  ## retrain the enrichment artefacts (needs the train extra and ../shared/data)
	$(PY) scripts/train_models.py

eval:  ## score the shipped enrichment artefacts against the published anchors
	$(PY) scripts/evaluate_models.py

bench:  ## enrichment throughput on one core
	$(PY) -m townsquare.enrichment.bench
