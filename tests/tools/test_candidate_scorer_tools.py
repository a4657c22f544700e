"""Candidate scorer workflow on real DSB images: dump_candidates.py -> tools/train.py configs/scorer -> combine."""
import numpy as np
import pytest
import torch
from _tool_loader import REPO_ROOT, load_tool

pytest.importorskip('mmdet')
from test_train_detector import run_tool  # noqa: E402

DEFAULT_CONFIG = 'configs/centersam/centersam_r18_sam-small_dsb2018_cpu.py'
DEFAULT_CKPT = 'checkpoints/centersam_r18_sam-small_dsb2018_cpu.pth'
SCORER_CONFIG = 'configs/scorer/candidate_scorer_dsb2018_cpu.py'


@pytest.fixture(scope='module')
def dump(tiny_dsb, tmp_path_factory):
    """The tiny set's 2 train images dumped with the default model."""
    out = tmp_path_factory.mktemp('candidates') / 'candidates_train.npz'
    tool = load_tool('analysis_tools/dump_candidates.py')
    assert tool.main([str(REPO_ROOT / DEFAULT_CONFIG), str(REPO_ROOT / DEFAULT_CKPT), '--split', 'train',
                      '--out', str(out), '--cfg-options', f'test_dataloader.dataset.data_root={tiny_dsb}/']) == 0
    return out


@pytest.mark.slow
def test_dump_rows_are_labelled_candidates_of_both_images(dump):
    from centersam_mm.models.scorers import FEATURE_NAMES
    data = np.load(dump)
    assert tuple(data['feature_names']) == FEATURE_NAMES
    assert data['features'].shape == (len(data['labels']), len(FEATURE_NAMES))
    assert set(np.unique(data['image_index'])) == {0, 1}
    assert 0 < data['labels'].mean() < 1, 'the default model finds nuclei and makes some mistakes'
    ious = data['best_ious']
    assert ious.shape == data['labels'].shape and ious.min() >= 0 and ious.max() <= 1
    np.testing.assert_array_equal(data['labels'], ious >= 0.5)
    assert data['features'][:, 0].min() >= 0.1, 'no candidate below the loosest detector score'
    # candidates with a good mask (IoU >= 0.5 with a nucleus) have higher SAM IoU on average
    labels = data['labels'].astype(bool)
    assert data['features'][labels, 1].mean() > data['features'][~labels, 1].mean()


@pytest.mark.slow
def test_scorer_config_trains_on_the_dump_and_combines_into_centersam(dump, tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool(['tools/train.py', SCORER_CONFIG, '--work-dir', str(work_dir), '--cfg-options',
                       f'train_dataloader.dataset.ann_file={dump}',
                       'train_cfg.max_epochs=1', 'train_dataloader.batch_size=8'])
    assert result.returncode == 0, result.stderr[-3000:]
    scorer_ckpt = work_dir / 'epoch_1.pth'
    assert scorer_ckpt.exists()
    combined = tmp_path / 'centersam.pth'
    tool = load_tool('model_converters/combine_centersam.py')
    assert tool.main([str(REPO_ROOT / 'checkpoints/centernet_r18-skip_dsb2018_cpu.pth'),
                      str(REPO_ROOT / 'checkpoints/sam_small_dsb2018_cpu.pth'), str(combined),
                      '--scorer', str(scorer_ckpt)]) == 0
    state = torch.load(combined, map_location='cpu', weights_only=False)['state_dict']
    trained = torch.load(scorer_ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert {k for k in state if k.startswith('scorer.')} == {f'scorer.{k}' for k in trained}
    torch.testing.assert_close(state['scorer.mlp.1.weight'].float(), trained['mlp.1.weight'].half().float())


@pytest.mark.parametrize('score_thr, detector_thr', [(0.05, 0.05), (0.2, 0.1)])
def test_dump_config_keeps_every_candidate_down_to_the_score(score_thr, detector_thr):
    """The detector decodes with its own threshold (0.1) before CenterSAM's: a looser dump lowers it too."""
    from mmengine.config import Config
    from centersam_mm.apis import keep_every_candidate
    cfg = Config.fromfile(str(REPO_ROOT / DEFAULT_CONFIG))
    assert cfg.model.scorer is not None and cfg.model.detector.test_cfg.score_thr == 0.1
    keep_every_candidate(cfg, score_thr)
    assert 'scorer' not in cfg.model
    assert cfg.model.test_cfg.score_thr == score_thr and cfg.model.test_cfg.iou_thr == 0.0
    assert cfg.model.test_cfg.mask_nms_thr is None
    assert cfg.model.detector.test_cfg.score_thr == detector_thr


def test_candidates_are_dumped_uncleaned():
    """The built-in model cleans the masks it keeps, after its scorer has rated them as SAM drew them: the scorer's
    training candidates (and the sweep's cache) are the uncleaned masks."""
    from mmengine.config import Config
    from centersam_mm.apis import keep_every_candidate
    from centersam_mm.apis.segmenter import DEFAULT_CONFIG as BUILT_IN
    cfg = Config.fromfile(str(REPO_ROOT / BUILT_IN))
    assert cfg.model.test_cfg.clean_masks is True
    keep_every_candidate(cfg, 0.1)
    assert cfg.model.test_cfg.clean_masks is False


def test_the_sweep_keeps_the_scorer_with_every_candidate():
    """The threshold sweep caches the scorer's probabilities of every candidate: scorer kept, scorer_thr 0."""
    from mmengine.config import Config
    from centersam_mm.apis import keep_every_candidate
    cfg = Config.fromfile(str(REPO_ROOT / DEFAULT_CONFIG))
    keep_every_candidate(cfg, 0.1, keep_scorer=True)
    assert cfg.model.scorer.type == 'CandidateScorer' and cfg.model.test_cfg.scorer_thr == 0.0


def test_combine_takes_detector_and_segmenter_from_a_centersam_checkpoint(tmp_path):
    """MODEL MODEL OUT (how a scorer is added to a published model): the detector.* and segmenter.* weights come
    back unchanged, and without --scorer none is added."""
    source = REPO_ROOT / DEFAULT_CKPT
    out = tmp_path / 'again.pth'
    tool = load_tool('model_converters/combine_centersam.py')
    assert tool.main([str(source), str(source), str(out)]) == 0
    before = torch.load(source, map_location='cpu', weights_only=False)['state_dict']
    after = torch.load(out, map_location='cpu', weights_only=False)['state_dict']
    kept = {k for k in before if k.startswith(('detector.', 'segmenter.'))}
    assert set(after) == kept and len(kept) > 300
    for key in kept:
        torch.testing.assert_close(after[key], before[key])


def test_the_monuseg_scorer_config_is_the_dsb_recipe_on_monuseg_candidates():
    from mmengine.config import Config
    dsb = Config.fromfile(str(REPO_ROOT / SCORER_CONFIG))
    monuseg = Config.fromfile(str(REPO_ROOT / 'configs/scorer/candidate_scorer_monuseg_cpu.py'))
    assert monuseg.train_dataloader.dataset.data_root == 'data/monuseg/'
    assert monuseg.train_dataloader.dataset.target == dsb.train_dataloader.dataset.target == 'iou'
    assert monuseg.model == dsb.model and monuseg.train_cfg == dsb.train_cfg
    centersam = Config.fromfile(str(REPO_ROOT / 'configs/centersam/centersam_r18_sam-small_monuseg_cpu.py'))
    assert centersam.model.scorer == dsb.model, 'the MoNuSeg CenterSAM model holds a scorer of this shape'
