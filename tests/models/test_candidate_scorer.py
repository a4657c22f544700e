"""CandidateScorer: learns a rule from features, scores an image's candidates; CenterSAM uses its scores."""
import numpy as np
import pytest
import torch

pytest.importorskip('mmdet')
from centersam_mm.models.scorers import BASE_FEATURES, FEATURE_NAMES, CandidateScorer, candidate_features  # noqa: E402

from test_candidate_features import drawn_scene  # noqa: E402
from test_center_sam import _model, _sample  # noqa: E402


def fit_on_sam_iou(target_fn, steps, seed):
    """A CandidateScorer trained (Adam, batches of 128) on rows whose SAM IoU (column 1) is uniform in [0, 1] and
    whose other features are noise, target ``target_fn(sam_iou)``; returns it in eval mode and a row sampler."""
    torch.manual_seed(0)
    rng = np.random.default_rng(seed)

    def batch(n):
        feats = rng.normal(size=(n, len(BASE_FEATURES))).astype(np.float32)
        feats[:, 1] = rng.uniform(0, 1, n)
        return torch.from_numpy(feats), torch.from_numpy(target_fn(feats[:, 1]).astype(np.float32))

    scorer = CandidateScorer()
    optim = torch.optim.Adam(scorer.parameters(), 3e-3)
    for _ in range(steps):
        feats, target = batch(128)
        loss = scorer(feats, target, mode='loss')['loss_bce']
        optim.zero_grad()
        loss.backward()
        optim.step()
    return scorer.eval(), batch


def test_learns_a_threshold_on_one_feature():
    """Label = (SAM IoU > 0.5): 300 steps reach >= 95 % accuracy on new rows."""
    scorer, batch = fit_on_sam_iou(lambda sam_iou: sam_iou > 0.5, steps=300, seed=0)
    feats, label = batch(1000)
    probs = scorer(feats, mode='predict')
    assert ((probs > 0.5).float() == label).float().mean() >= 0.95


def test_learns_a_soft_target():
    """Target = a mask IoU in [0, 1] (here SAM IoU squared): the sigmoid output regresses it to within 0.05 on new
    rows after 400 steps (binary cross-entropy's minimum is at the target)."""
    scorer, batch = fit_on_sam_iou(lambda sam_iou: sam_iou ** 2, steps=400, seed=1)
    feats, target = batch(1000)
    assert (scorer(feats, mode='predict') - target).abs().mean() < 0.05


def test_a_scorer_rates_the_features_it_names():
    """'base+colour' reads all 25 features, in FEATURE_NAMES order; the default the 15 base ones (scorers trained
    before the colour features load as they were saved)."""
    image, masks, boxes, scores, ious = drawn_scene()
    torch.manual_seed(0)
    colour = CandidateScorer(features='base+colour').eval()
    assert colour.features == FEATURE_NAMES and colour.mlp[0].num_features == 25
    assert CandidateScorer().mlp[0].num_features == len(BASE_FEATURES) == 15
    feats = torch.from_numpy(candidate_features(image, masks, boxes, scores, ious))
    probs = colour.score(image, torch.from_numpy(masks), torch.from_numpy(boxes), torch.tensor(scores),
                         torch.tensor(ious))
    torch.testing.assert_close(probs, colour(feats, mode='predict').to(probs.dtype))
    with pytest.raises(ValueError, match='unknown feature set'):
        CandidateScorer(features='everything')


def test_score_gives_one_probability_per_candidate():
    image, masks, boxes, scores, ious = drawn_scene()
    scorer = CandidateScorer().train()
    probs = scorer.score(image, torch.from_numpy(masks), torch.from_numpy(boxes), torch.tensor(scores),
                         torch.tensor(ious))
    assert probs.shape == (3,) and ((probs >= 0) & (probs <= 1)).all()
    assert scorer.training, 'score() leaves the mode as it found it'
    assert scorer.score(image, torch.zeros(0, 24, 24, dtype=torch.bool), torch.zeros(0, 4), torch.zeros(0),
                        torch.zeros(0)).shape == (0,)


def test_centersam_keeps_candidates_by_the_scorers_probability(tmp_path, monkeypatch):
    """A scorer that ranks candidates in reverse detector order: kept = probability >= scorer_thr, scores become
    the probabilities, the detector's scores stay as det_scores."""
    plain = _model(mask_nms_thr=None).predict(torch.rand(1, 3, 64, 64), [_sample(tmp_path)])[0].pred_instances
    assert len(plain) >= 4
    model = _model(scorer=dict(type='CandidateScorer'), mask_nms_thr=None, scorer_thr=0.5)

    def reverse_rank(image, masks, boxes, det_scores, sam_iou, scale=None):
        order = det_scores.argsort(descending=True)
        probs = torch.empty_like(det_scores)
        probs[order] = torch.linspace(0.0, 1.0, len(det_scores))
        return probs

    monkeypatch.setattr(model.scorer, 'score', reverse_rank)
    torch.manual_seed(1)
    out = model.predict(torch.rand(1, 3, 64, 64), [_sample(tmp_path)])[0].pred_instances
    assert len(out) > 0 and (out.scores >= 0.5).all()
    assert torch.equal(out.det_scores.argsort(), out.scores.argsort(descending=True))


def test_centersam_with_a_real_scorer_runs_and_keeps_it_frozen(tmp_path):
    model = _model(scorer=dict(type='CandidateScorer'), scorer_thr=0.0)
    out = model.predict(torch.rand(1, 3, 64, 64), [_sample(tmp_path)])[0].pred_instances
    assert len(out) > 0 and ((out.scores >= 0) & (out.scores <= 1)).all()
    assert out.det_scores.shape == out.scores.shape
    model.train()
    assert not model.scorer.training and not any(p.requires_grad for p in model.scorer.parameters())
    assert any(p.requires_grad for p in model.detector.parameters())
    assert any(key.startswith('scorer.') for key in model.state_dict())
