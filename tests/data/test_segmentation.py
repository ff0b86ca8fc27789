"""Word segmentation: tags mark word starts, splits keep words apart, baselines count contexts."""

import numpy as np
import pytest

from lstm_tutorial.data import segmentation as seg

pytestmark = pytest.mark.disable_socket


def test_tags_mark_the_first_letter_of_each_word():
    d = seg.segmentation_data(test_fraction=0.5, text="The dog, the CAT. A b")
    letters = "".join(seg.LETTERS[i] for i in d.train_ids)
    assert letters == "thedogthe"
    assert d.train_tags.tolist() == [1, 0, 0, 1, 0, 0, 1, 0, 0]
    assert d.test_tags.tolist() == [1, 0, 0, 1, 1]


def test_corpus_split_and_windows():
    d = seg.segmentation_data()
    assert d.train_ids.min() >= 0 and d.train_ids.max() < 26
    assert d.train_tags[0] == 1 and d.test_tags[0] == 1
    w = seg.windows(d.test_ids, 64)
    assert w.shape == (len(d.test_ids) // 64, 64)
    with pytest.raises(ValueError, match="holds no window"):
        seg.windows(np.arange(3), 4)
    with pytest.raises(ValueError, match="test_fraction must be in"):
        seg.segmentation_data(test_fraction=1.0)


def test_context_baseline_memorises_and_backs_off():
    ids, tags = np.array([0, 1, 2, 0, 1, 2]), np.array([1, 0, 0, 1, 0, 0])
    pred = seg.context_count_baseline(ids, tags, ids, left=1, right=1)
    assert pred.tolist() == tags.tolist()
    unseen = seg.context_count_baseline(ids, tags, np.array([5, 5]), left=2, right=0)
    assert unseen.tolist() == [0, 0]  # no context is known: the majority tag


def test_tag_scores_known_answer():
    s = seg.tag_scores([1, 0, 1, 0], [1, 1, 0, 0])
    assert s == {"accuracy": 0.5, "f1": 0.5}
    with pytest.raises(ValueError, match="differ in shape"):
        seg.tag_scores([1, 0], [1])
