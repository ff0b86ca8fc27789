"""Additive and multiplicative attention over encoder states in NumPy: weights, masks, shapes, errors.

The check against the PyTorch modules lives in ``tests/frameworks/test_seq2seq_attention.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tutorial.engine.rnn_attention import (
    additive_scores,
    attend,
    init_attention_params,
    masked_softmax,
    multiplicative_scores,
    source_mask,
)


def _case(B, T, S, Hq, Hk, A, seed, score):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, S + 1, size=B)
    query = rng.normal(size=(B, Hq) if T is None else (B, T, Hq))
    keys = rng.normal(size=(B, S, Hk))
    params = init_attention_params(score, Hq, Hk, A, seed=seed)
    return query, keys, lengths, params


@settings(max_examples=60, deadline=None)
@given(
    B=st.integers(1, 4),
    T=st.one_of(st.none(), st.integers(1, 4)),
    S=st.integers(1, 7),
    Hq=st.integers(1, 5),
    Hk=st.integers(1, 5),
    A=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    score=st.sampled_from(["additive", "multiplicative"]),
)
def test_weights_sum_to_one_padding_gets_exactly_zero_and_shapes(B, T, S, Hq, Hk, A, seed, score):
    query, keys, lengths, params = _case(B, T, S, Hq, Hk, A, seed, score)
    mask = source_mask(lengths, S)
    context, weights = attend(query, keys, mask, params, score=score)
    lead = (B,) if T is None else (B, T)
    assert weights.shape == (*lead, S) and context.shape == (*lead, Hk)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=0, atol=1e-12)
    pad = ~mask if T is None else np.broadcast_to(~mask[:, None], weights.shape)
    assert np.all(weights[pad] == 0.0) and np.all(weights[~pad] > 0)
    # padded keys cannot reach anything: replace them by noise, every output stays bit for bit
    noisy = keys.copy()
    noisy[~mask] = np.random.default_rng(seed + 1).normal(size=(int((~mask).sum()), Hk)) * 100
    context2, weights2 = attend(query, noisy, mask, params, score=score)
    np.testing.assert_array_equal(weights2, weights)
    np.testing.assert_array_equal(context2, context)
    # the time axis is just every step at once
    if T is not None:
        for t in range(T):
            c_t, w_t = attend(query[:, t], keys, mask, params, score=score)
            np.testing.assert_allclose(w_t, weights[:, t], rtol=0, atol=1e-14)
            np.testing.assert_allclose(c_t, context[:, t], rtol=0, atol=1e-14)


def test_scores_match_a_loop_over_positions():
    query, keys, _, p = _case(2, None, 4, 3, 5, 6, 0, "additive")
    e = additive_scores(query, keys, p)
    for b in range(2):
        for s in range(4):
            want = p["v"] @ np.tanh(query[b] @ p["W_q"] + keys[b, s] @ p["W_k"])
            assert e[b, s] == pytest.approx(want, abs=1e-14)
    pm = init_attention_params("multiplicative", 3, 5, seed=1)
    e = multiplicative_scores(query, keys, pm)
    for b in range(2):
        for s in range(4):
            assert e[b, s] == pytest.approx(query[b] @ pm["W"] @ keys[b, s], abs=1e-14)


def test_multiplicative_with_identity_is_the_dot_product_and_context_is_the_weighted_mean():
    rng = np.random.default_rng(3)
    query, keys = rng.normal(size=(2, 4)), rng.normal(size=(2, 3, 4))
    mask = np.array([[True, True, False], [True, True, True]])
    context, w = attend(query, keys, mask, {"W": np.eye(4)}, score="multiplicative")
    e = np.einsum("bh,bsh->bs", query, keys)
    want0 = np.exp(e[0, :2]) / np.exp(e[0, :2]).sum()
    np.testing.assert_allclose(w[0], [*want0, 0.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(context[0], want0 @ keys[0, :2], rtol=0, atol=1e-15)
    values = rng.normal(size=(2, 3, 2))
    c_v, _ = attend(query, keys, mask, {"W": np.eye(4)}, score="multiplicative", values=values)
    np.testing.assert_allclose(c_v, np.einsum("bs,bsd->bd", w, values), rtol=0, atol=1e-15)


def test_equal_scores_give_uniform_weights_over_the_real_positions():
    keys = np.ones((1, 5, 2))
    mask = source_mask([3], 5)
    _, w = attend(np.zeros((1, 2)), keys, mask, init_attention_params("additive", 2, 2, 3), score="additive")
    np.testing.assert_allclose(w, [[1 / 3, 1 / 3, 1 / 3, 0, 0]], rtol=0, atol=1e-15)


def test_large_scores_do_not_overflow():
    w = masked_softmax(np.array([[1000.0, 999.0, -1e4]]), np.array([[True, True, True]]))
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w[0, :2], [1 / (1 + np.exp(-1)), 1 / (1 + np.e)], rtol=1e-12)


def test_float32_stays_float32_and_float64_wins():
    query, keys, lengths, p = _case(2, None, 3, 2, 2, 2, 0, "additive")
    mask = source_mask(lengths, 3)
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    c, w = attend(query.astype(np.float32), keys.astype(np.float32), mask, p32)
    assert c.dtype == w.dtype == np.float32
    c, w = attend(query.astype(np.float32), keys, mask, p32)
    assert c.dtype == w.dtype == np.float64


GOOD = dict(query=np.zeros((2, 3)), keys=np.zeros((2, 4, 5)), mask=np.ones((2, 4), bool))
ADD = init_attention_params("additive", 3, 5, 6)


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"query": np.zeros(3)}, ValueError, r"query must have shape \(B, Hq\) or \(B, T, Hq\)"),
        ({"keys": np.zeros((2, 4))}, ValueError, r"keys must have 3 dimensions \(B, S, Hk\)"),
        ({"keys": np.zeros((3, 4, 5))}, ValueError, "one row per query row"),
        ({"query": np.full((2, 3), np.nan)}, ValueError, "query must be finite"),
        ({"mask": np.ones((2, 4))}, TypeError, "mask must be a boolean array"),
        ({"mask": np.ones((2, 3), bool)}, ValueError, r"mask must have shape \(B, S\) = \(2, 4\)"),
        ({"mask": np.array([[True] * 4, [False] * 4])}, ValueError, "source 1 has no position to attend to"),
        ({"params": {"W_q": np.zeros((3, 6)), "W_k": np.zeros((5, 6))}}, ValueError, r"missing \['v'\]"),
        ({"params": {**ADD, "W_q": np.zeros((4, 6))}}, ValueError, r"params\['W_q'\] must have shape \(3, A\)"),
        ({"params": {**ADD, "v": np.zeros(7)}}, ValueError, "parameter shapes do not fit together"),
        ({"score": "concat"}, ValueError, "score must be one of"),
        ({"values": np.zeros((2, 5, 1))}, ValueError, r"values must have the keys' \(B, S\)"),
    ],
)
def test_errors_name_the_argument(change, error, match):
    kwargs = {**GOOD, "params": ADD, "score": "additive", **change}
    with pytest.raises(error, match=match):
        attend(kwargs.pop("query"), kwargs.pop("keys"), kwargs.pop("mask"), kwargs.pop("params"), **kwargs)


def test_multiplicative_and_mask_helper_errors():
    with pytest.raises(ValueError, match=r"params\['W'\] must have shape \(3, 5\)"):
        multiplicative_scores(np.zeros((2, 3)), np.zeros((2, 4, 5)), {"W": np.zeros((5, 3))})
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, S=4\]"):
        source_mask([0, 2], 4)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, S=4\]"):
        source_mask([5, 2], 4)
    with pytest.raises(ValueError, match="S must be a positive int"):
        source_mask([1], 0)
    with pytest.raises(ValueError, match="needs A"):
        init_attention_params("additive", 2, 2)
    with pytest.raises(ValueError, match=r"scores must have shape \(B, S\)"):
        masked_softmax(np.zeros(3), np.ones(3, bool))
