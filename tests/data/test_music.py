"""The generated melody corpus of the applications tour: its form, its tokens, its conversions."""

import numpy as np
import pytest

from lstm_tutorial.data import music


def test_corpus_is_reproducible_int64_and_in_the_vocabulary():
    a, b = music.melody_corpus(50, seed=3), music.melody_corpus(50, seed=3)
    assert a.shape == (50, 32) and a.dtype == np.int64 and np.array_equal(a, b)
    assert not np.array_equal(a, music.melody_corpus(50, seed=4))
    assert a.min() >= 0 and a.max() < len(music.VOCAB)


def test_every_melody_has_the_form_A_A_B_A_prime():
    bars = music.melody_corpus(200, seed=0).reshape(200, 4, music.STEPS_PER_BAR)
    assert np.array_equal(bars[:, 0], bars[:, 1])  # bar 2 repeats bar 1
    for a, a_end in zip(bars[:, 0], bars[:, 3]):
        last = max(k for k, tok in enumerate(a) if tok < music.HOLD)
        assert a_end[last] == 0 and np.array_equal(np.delete(a_end, last), np.delete(a, last))
    # each bar's rhythm is one of RHYTHMS: notes where 'x', holds where '-', rests where '.'
    symbol = {music.HOLD: "-", music.REST: "."}
    for bar in bars.reshape(-1, music.STEPS_PER_BAR):
        assert "".join(symbol.get(int(t), "x") for t in bar) in music.RHYTHMS


def test_to_text_and_to_events():
    ids = [0, music.HOLD, 2, music.REST, music.REST, 7, music.HOLD, music.HOLD]
    assert music.to_text(ids) == "C - E . . c - -"
    assert music.to_events(ids) == [(60, 2), (64, 1), (None, 2), (72, 3)]
    assert music.to_events([music.HOLD, 4]) == [(None, 1), (67, 1)]  # a hold at the start is a rest
    melody = music.melody_corpus(1, seed=1)[0]
    assert sum(d for _, d in music.to_events(melody)) == 32
    assert music.to_text(melody).count("|") == 3


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        music.melody_corpus(0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator, got int"):
        music.make_melody(3)
    with pytest.raises(ValueError, match="token ids must be in 0..9"):
        music.to_text([0, 10])
    with pytest.raises(ValueError, match="token id -1 outside 0..9"):
        music.to_events([-1])
