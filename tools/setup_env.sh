#!/usr/bin/env bash
# Create .venv with the pinned stack centersam_mm needs. Idempotent: a second
# run with everything in place only checks imports (well under 30 s).
#
# mmcv 2.1.0 has no wheel for torch 2.14: it is built once from its PyPI sdist,
# with setup.py switched to -std=c++20 (torch's headers need C++20) and
# setuptools<80, and the wheel is kept in $CENTERSAM_WHEELS
# (default ~/.cache/centersam_mm/wheels) for later set-ups and CI.
set -euo pipefail

VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
WHEELS=${CENTERSAM_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/centersam_mm/wheels}
TORCH_PINS="torch==2.14.1 torchvision==0.29.1"
MMCV_VERSION=2.1.0
PY_PINS="numpy<2.3 scipy mmengine==0.10.7 mmdet==3.3.0 segment-anything==1.0 pycocotools tifffile opencv-python-headless pytest pytest-timeout matplotlib shapely zarr>=3.1,<4 ome-zarr>=0.18,<0.19 imagecodecs"
# the napari plugin (setup.py extra "napari"): napari with a Qt binding (PyQt6: napari deprecates PyQt5), and
# pytest-qt for its tests
NAPARI_PINS="napari==0.9.2 PyQt6==6.11.0 pytest-qt==4.5.0"
LOG=${SETUP_LOG:-.venv-setup.log}

die() { echo "make setup: $*" >&2; exit 1; }
step() { echo "[setup] $*"; }
quiet() { "$@" >>"$LOG" 2>&1 || die "'$*' failed (full output in $LOG; last line: $(tail -n 1 "$LOG"))"; }

check_env() {
  "$VENV/bin/python" - <<'PY' >/dev/null 2>&1
import centersam_mm, mmdet, mmcv.ops, torch, pkg_resources
from segment_anything import sam_model_registry
from mmengine.config import Config
Config.fromfile('configs/centernet/centernet_r18_dsb2018_cpu.py')  # resolves mmdet:: base configs
b = torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10]]); s = torch.tensor([0.9, 0.8])
assert len(mmcv.ops.nms(b, s, 0.5)[1]) == 1
import napari, pytestqt, PyQt6.QtWidgets
from npe2 import PluginManager
PluginManager.instance().discover(); PluginManager.instance().get_manifest('centersam_mm')  # the plugin is listed
PY
}

if [ -x "$VENV/bin/python" ] && check_env; then
  echo "[setup] $VENV is complete"; exit 0
fi

: >"$LOG"
command -v "$PY" >/dev/null || die "no '$PY' found: install Python 3.11 (or set PYTHON=...)"
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
  || die "$PY is $("$PY" -V 2>&1); torch 2.14.1 from the local files needs Python 3.11 (set PYTHON=python3.11)"
command -v g++ >/dev/null || die "no C++ compiler (g++) found: mmcv's ops are compiled here; install g++ (apt-get install g++)"
echo 'int main(){return 0;}' | g++ -std=c++20 -x c++ - -o /dev/null 2>/dev/null \
  || die "g++ cannot compile C++20 (torch 2.14's headers need it): install g++ 10 or newer"

step "virtual environment $VENV"
[ -x "$VENV/bin/python" ] || quiet "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
quiet "${PIP[@]}" install "setuptools<80" wheel ninja
step "torch ($TORCH_PINS): several GB, a few minutes the first time"
"$VENV/bin/python" -c 'import torch, torchvision; assert torch.__version__.startswith("2.14.1")' 2>/dev/null \
  || quiet "${PIP[@]}" install $TORCH_PINS
step "python packages (with napari and PyQt6 for the napari plugin)"
quiet "${PIP[@]}" install $PY_PINS $NAPARI_PINS
# torch pulls setuptools>=80, which has no pkg_resources; mmengine (mmdet:: configs) and mmcv's setup.py need it.
quiet "${PIP[@]}" install "setuptools<80"

mmcv_wheel() { ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -n 1; }
if ! "$VENV/bin/python" -c "import mmcv.ops, mmcv; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  if [ -z "$(mmcv_wheel)" ]; then
    step "building mmcv $MMCV_VERSION with ops from source (about 11 min on 2 cores; once, cached in $WHEELS)"
    mkdir -p "$WHEELS"; build=$(mktemp -d)
    quiet "${PIP[@]}" download --no-deps --no-binary :all: --no-build-isolation -d "$build" "mmcv==$MMCV_VERSION"
    tar xzf "$build"/mmcv-$MMCV_VERSION.tar.gz -C "$build"
    src="$build/mmcv-$MMCV_VERSION"
    sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$src/setup.py"
    grep -q 'std=c++20' "$src/setup.py" || die "could not switch mmcv's setup.py to -std=c++20"
    (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
       "$OLDPWD/$VENV/bin/python" -m pip wheel --no-deps --no-build-isolation -w "$build/dist" . ) >>"$LOG" 2>&1 \
      || die "compiling mmcv failed (see $LOG; last line: $(tail -n 1 "$LOG"))"
    cp "$build"/dist/mmcv-*.whl "$WHEELS"/
    rm -rf "$build"
  else
    step "reusing cached $(mmcv_wheel)"
  fi
  quiet "${PIP[@]}" install --no-deps "$(mmcv_wheel)"
fi
step "centersam_mm (editable)"
quiet "${PIP[@]}" install --no-deps --no-build-isolation -e .
check_env || die "the environment was built but 'import centersam_mm, mmdet, mmcv.ops, napari' (or napari's plugin list) fails: run $VENV/bin/python -c 'import centersam_mm, mmcv.ops, napari'"
echo "[setup] done: $VENV"
