"""The Japanese Vowels loader: the shipped files parse to the documented shapes, and bad files are refused."""

import numpy as np
import pytest

from lstm_tutorial.data import vowels

pytestmark = pytest.mark.disable_socket


def needs_vowels():
    """Skip when no installed package ships the data (sktime is a declared dependency)."""
    try:
        vowels.vowels_file("train")
    except ModuleNotFoundError as e:
        pytest.skip(str(e))


HEADER = "# comment\n@problemName Toy\n@dimensions 2\n@data\n"


def test_parse_ts_reads_channels_as_columns():
    seqs, labels = vowels.parse_ts(HEADER + "1,2,3:4,5,6:7\n0.5:1.5:2\n")
    assert labels == ["7", "2"]
    np.testing.assert_array_equal(seqs[0], [[1, 4], [2, 5], [3, 6]])
    assert seqs[1].shape == (1, 2) and seqs[0].dtype == np.float64


@pytest.mark.parametrize(
    "text, match",
    [(HEADER + "1,2:3:1\n", "channels have lengths"), ("# only comments\n", "no @data section")],
)
def test_parse_ts_refuses_bad_files(text, match):
    with pytest.raises(ValueError, match=match):
        vowels.parse_ts(text)


def test_split_must_be_train_or_test():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        vowels.vowels_file("validation")


def test_shipped_data_have_the_documented_shape():
    needs_vowels()
    for split, n, counts in (("train", 270, [30] * 9), ("test", 370, [31, 35, 88, 44, 29, 24, 40, 50, 29])):
        seqs, y = vowels.load_japanese_vowels(split)
        lengths = [len(s) for s in seqs]
        assert len(seqs) == n and y.dtype == np.int64
        assert np.bincount(y).tolist() == counts
        assert all(s.shape[1] == vowels.N_COEFFICIENTS for s in seqs)
        assert 7 <= min(lengths) and max(lengths) <= 29
    assert vowels.mean_frame_features(seqs).shape == (370, 12)
