import numpy as np
import pytest

from desktop_planner.core.rows import unique_rows


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_unique_rows_is_numpy_unique_by_rows(dtype):
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 7, (500, 2)).astype(dtype)
    expected = np.unique(rows, axis=0, return_index=True, return_inverse=True, return_counts=True)
    got = unique_rows(rows, return_index=True, return_inverse=True, return_counts=True)
    for want, have in zip(expected, got):
        assert np.array_equal(np.asarray(want).ravel(), np.asarray(have).ravel())


def test_unique_rows_of_nothing_and_bad_shape():
    assert unique_rows(np.empty((0, 2), dtype=np.int64)).shape == (0, 2)
    with pytest.raises(ValueError, match="n, 2"):
        unique_rows(np.zeros((3, 3)))
