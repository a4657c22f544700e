# centersam_mm: the only set-up a user needs.
#   make setup   .venv with the pinned stack (mmcv 2.1.0 built once, wheel cached in ~/.cache/centersam_mm)
#   make demo    segment the demo images with the built-in default model
#   make test    the whole test suite (set PYTEST_ARGS='-m "not slow"' for the quick part)
#   make data    convert ../shared/data into data/ (COCO + label maps) for training and evaluation:
#                data/dsb2018, data/monuseg (the 6 MoNuSeg test images as 3x3 crops, seeded 0.8/0.1/0.1 split),
#                data/monuseg_train (the 30 training images as 3x3 crops, all in train) and
#                data/monuseg_test (the 6 test images whole, all in test); MoNuSeg is redone when its converter changes
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

MONUSEG_CONVERTER := centersam_mm/datasets/converters/monuseg.py centersam_mm/datasets/converters/poly2mask.py \
	centersam_mm/datasets/converters/crops.py
LABELS_CONVERTER := centersam_mm/datasets/converters/labels.py centersam_mm/datasets/converters/crops.py

data: setup data/dsb2018/splits.json data/monuseg/splits.json data/monuseg_train/splits.json \
	data/monuseg_test/splits.json

data/dsb2018/splits.json:
	$(PYTHON) tools/dataset_converters/convert_dataset.py dsb2018 $(SHARED_DATA)/dsb2018/stage1_train data/dsb2018

data/monuseg/splits.json: $(MONUSEG_CONVERTER)
	$(PYTHON) tools/dataset_converters/convert_dataset.py monuseg $(SHARED_DATA)/monuseg/MoNuSegTestData data/monuseg \
		--overwrite

# MoNuSeg's protocol: train on the 30 training images (3x3 crops, as Cellpose), test on the test images (whole)
data/monuseg_train/splits.json: $(LABELS_CONVERTER)
	$(PYTHON) tools/dataset_converters/convert_dataset.py labels $(SHARED_DATA)/monuseg/MoNuSegTrainingData \
		data/monuseg_train --crop 3x3 --split-ratio 1,0,0 --pixel-size 0.25 --overwrite

data/monuseg_test/splits.json: $(MONUSEG_CONVERTER)
	$(PYTHON) tools/dataset_converters/convert_dataset.py monuseg $(SHARED_DATA)/monuseg/MoNuSegTestData \
		data/monuseg_test --crop none --split-ratio 0,0,1 --overwrite

clean-venv:
	rm -rf .venv
