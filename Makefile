# centersam_mm: the only set-up a user needs.
#   make setup   .venv with the pinned stack (mmcv 2.1.0 built once, wheel cached in ~/.cache/centersam_mm)
#   make demo    segment the demo images with the built-in default model
#   make test    the whole test suite (set PYTEST_ARGS='-m "not slow"' for the quick part)
#   make data    convert ../shared/data into data/ (COCO + label maps) for training and evaluation
PYTHON := .venv/bin/python
SHARED_DATA ?= ../shared/data
PYTEST_ARGS ?=

.PHONY: setup test demo data clean-venv

setup:
	@bash tools/setup_env.sh

test: setup
	$(PYTHON) -m pytest $(PYTEST_ARGS)

demo: setup
	$(PYTHON) tools/infer.py demo/ --out work_dirs/demo

data: setup data/dsb2018/splits.json data/monuseg/splits.json

data/dsb2018/splits.json:
	$(PYTHON) tools/dataset_converters/convert_dataset.py dsb2018 $(SHARED_DATA)/dsb2018/stage1_train data/dsb2018

data/monuseg/splits.json:
	$(PYTHON) tools/dataset_converters/convert_dataset.py monuseg $(SHARED_DATA)/monuseg/MoNuSegTestData data/monuseg

clean-venv:
	rm -rf .venv
