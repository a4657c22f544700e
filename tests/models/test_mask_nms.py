"""Mask NMS of CenterSAM: a duplicate mask mostly under a better one is dropped, neighbours are kept."""
import pytest

torch = pytest.importorskip('torch')
pytest.importorskip('mmdet')

from centersam_mm.models.detectors.center_sam import suppress_covered_masks  # noqa: E402


def _box_mask(x0, y0, x1, y1, size=10):
    mask = torch.zeros(size, size, dtype=torch.bool)
    mask[y0:y1, x0:x1] = True
    return mask


def test_duplicate_is_dropped_and_touching_neighbour_kept():
    best = _box_mask(0, 0, 4, 4)          # 16 px, score 0.9
    duplicate = _box_mask(0, 0, 4, 5)     # 20 px, 16 under `best`: 80 % covered -> dropped at 0.5
    neighbour = _box_mask(3, 0, 7, 4)     # 16 px, 4 under `best` (column x=3): 25 % -> kept
    masks = torch.stack([duplicate, best, neighbour])
    keep = suppress_covered_masks(masks, torch.tensor([0.5, 0.9, 0.4]), max_covered=0.5)
    assert keep.tolist() == [False, True, True]


def test_only_kept_masks_occupy_pixels():
    # c is covered by b only; b is dropped (under a), so c stays: 8 of its 16 px lie under a -> 50 %, kept at 0.5
    a = _box_mask(0, 0, 4, 4)
    b = _box_mask(0, 0, 4, 4)
    c = _box_mask(0, 2, 4, 6)
    keep = suppress_covered_masks(torch.stack([a, b, c]), torch.tensor([0.9, 0.8, 0.7]), max_covered=0.5)
    assert keep.tolist() == [True, False, True]
    assert suppress_covered_masks(torch.zeros(0, 5, 5, dtype=torch.bool), torch.zeros(0), 0.5).tolist() == []


def test_non_candidates_neither_kept_nor_occupying():
    """A mask dropped before NMS (e.g. by SAM's predicted IoU) does not suppress the duplicate under it."""
    best = _box_mask(0, 0, 4, 4)
    duplicate = _box_mask(0, 0, 4, 5)
    masks = torch.stack([duplicate, best])
    keep = suppress_covered_masks(masks, torch.tensor([0.5, 0.9]), max_covered=0.5,
                                  candidates=torch.tensor([True, False]))
    assert keep.tolist() == [True, False]


def test_mask_boxes_by_hand_and_nms_equals_the_whole_image_rule():
    """Tight half-open boxes (empty mask: zeros); NMS inside those boxes keeps what the whole-image rule keeps."""
    from centersam_mm.models.utils.masks import mask_boxes
    masks = torch.zeros(3, 6, 8, dtype=torch.bool)
    masks[0, 1:3, 2:5] = True
    masks[0, 4, 7] = True  # a stray pixel widens the box to rows 1-4, columns 2-7
    masks[2, 5, 0] = True
    assert mask_boxes(masks).tolist() == [[1, 5, 2, 8], [0, 0, 0, 0], [5, 6, 0, 1]]

    def whole_image_rule(masks, scores, max_covered):
        keep, occupied = [False] * len(masks), torch.zeros_like(masks[0])
        for index in scores.argsort(descending=True).tolist():
            if (masks[index] & occupied).sum() <= max_covered * max(int(masks[index].sum()), 1):
                keep[index] = True
                occupied |= masks[index]
        return keep

    generator = torch.Generator().manual_seed(0)
    for _ in range(10):
        masks = torch.rand(30, 40, 50, generator=generator) > 0.97
        for index in range(30):
            y, x = torch.randint(0, 35, (2,), generator=generator).tolist()
            masks[index, y:y + 6, x:x + 8] = True
        scores = torch.rand(30, generator=generator)
        for max_covered in (0.0, 0.3, 0.5):
            assert suppress_covered_masks(masks, scores, max_covered).tolist() == \
                whole_image_rule(masks, scores, max_covered)
