"""clean_masks: each mask keeps its largest connected component, holes filled, by hand."""
import pytest

torch = pytest.importorskip('torch')
pytest.importorskip('mmdet')

from centersam_mm.models.utils.masks import clean_masks  # noqa: E402


def test_largest_component_kept_hole_filled_others_unchanged():
    ring = torch.zeros(12, 12, dtype=torch.bool)
    ring[1:6, 1:6] = True
    ring[3, 3] = False             # a one-pixel hole: filled
    ring[9:11, 9:11] = True         # a 4-px fragment apart: dropped
    ring[5, 8] = True               # touches the square only diagonally: another component, dropped
    plain = torch.zeros(12, 12, dtype=torch.bool)
    plain[7:10, 0:3] = True         # already clean: unchanged
    empty = torch.zeros(12, 12, dtype=torch.bool)
    border = torch.zeros(12, 12, dtype=torch.bool)
    border[0:3, 9:12] = True        # at the image corner, open to the border
    border[1, 11] = False           # a notch on the border is not a hole
    masks = torch.stack([ring, plain, empty, border])

    out = clean_masks(masks)

    expected = torch.zeros(12, 12, dtype=torch.bool)
    expected[1:6, 1:6] = True
    assert torch.equal(out[0], expected)
    assert int(out[0].sum()) == 25  # 24 square pixels + the hole
    assert torch.equal(out[1], plain)
    assert not out[2].any()
    assert torch.equal(out[3], border)
    assert torch.equal(masks[0], ring)  # the input is not modified


def test_equal_components_keep_one_and_the_result_is_idempotent():
    masks = torch.zeros(1, 6, 9, dtype=torch.bool)
    masks[0, 1:3, 1:3] = True
    masks[0, 1:3, 6:8] = True       # the same size: one of the two is kept
    once = clean_masks(masks)
    assert int(once.sum()) == 4
    assert torch.equal(clean_masks(once), once)


def test_inplace_cleans_the_given_stack_as_a_copy_would():
    masks = torch.zeros(2, 8, 8, dtype=torch.bool)
    masks[0, 1:5, 1:5] = True
    masks[0, 2, 2] = False          # a hole
    masks[1, 0:2, 0:2] = True
    masks[1, 6:8, 6:8] = True       # a second component of the same size
    copied = clean_masks(masks)
    cleaned = clean_masks(masks, inplace=True)
    assert cleaned is masks and torch.equal(cleaned, copied)
    assert bool(masks[0, 2, 2]) and int(masks[1].sum()) == 4


def test_any_along_and_mask_boxes_by_hand_also_on_views_and_empty_dimensions():
    from centersam_mm.models.utils.masks import any_along, mask_boxes
    masks = torch.zeros(3, 5, 7, dtype=torch.bool)
    masks[0, 1:3, 2:6] = True
    masks[2, 4, 0] = True           # a single pixel at the bottom-left corner; mask 1 is empty
    assert any_along(masks, 2).tolist() == [[False, True, True, False, False], [False] * 5,
                                            [False, False, False, False, True]]
    assert torch.equal(any_along(masks, 1), masks.any(1))
    assert any_along(masks.flatten(1), 1).tolist() == [True, False, True]
    assert torch.equal(any_along(masks[:, ::2, 1:], 2), masks[:, ::2, 1:].any(2))  # a strided view
    assert mask_boxes(masks).tolist() == [[1, 3, 2, 6], [0, 0, 0, 0], [4, 5, 0, 1]]
    assert any_along(torch.zeros(2, 0, 4, dtype=torch.bool), 1).tolist() == [[False] * 4] * 2
    assert any_along(torch.zeros(2, 4, 0, dtype=torch.bool), -1).tolist() == [[False] * 4] * 2
    assert any_along(torch.zeros(0, 4, 4, dtype=torch.bool), 2).shape == (0, 4)


def test_keep_rows_is_boolean_indexing_without_a_second_stack():
    from centersam_mm.models.utils.masks import keep_rows
    stack = torch.arange(6 * 2 * 3).reshape(6, 2, 3) % 5 == 0
    stack[3] = True                 # distinct rows: which row went where is visible
    keep = torch.tensor([False, True, False, True, True, False])
    expected = stack[keep].clone()
    storage = stack.untyped_storage().data_ptr()
    kept = keep_rows(stack, keep)
    assert torch.equal(kept, expected) and kept.untyped_storage().data_ptr() == storage  # a view of the stack
    assert keep_rows(torch.ones(2, 2, 2, dtype=torch.bool), torch.tensor([False, False])).shape == (0, 2, 2)
    everything = torch.rand(4, 3, 3) > 0.5
    assert torch.equal(keep_rows(everything.clone(), torch.ones(4, dtype=torch.bool)), everything)
