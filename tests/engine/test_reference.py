"""The reference engine: equal to the fast engine, to finite differences, and to a pencil-and-paper step."""

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_tutorial.engine import fast
from lstm_tutorial.engine import reference as ref
from lstm_tutorial.engine.gradcheck import gradient_check
from lstm_tutorial.engine.params import init_gru_params, init_lstm_params, init_rnn_params

N_STATE = {"rnn": 1, "lstm": 2, "gru": 1}
INIT = {"rnn": init_rnn_params, "lstm": init_lstm_params, "gru": init_gru_params}


def random_params(kind, D, H, rng):
    """float64 parameters with every entry (biases included) nonzero and of order one."""
    p = INIT[kind](D, H, seed=int(rng.integers(2**31)), dtype=np.float64)
    return {k: v + rng.normal(0, 0.5, v.shape) for k, v in p.items()}


def as_state(arrays):
    """The engines take a bare ``h`` for the RNN and GRU and a pair ``(h, c)`` for the LSTM."""
    return arrays[0] if len(arrays) == 1 else tuple(arrays)


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def run(engine, kind, x, p, state, d_outputs, d_state):
    outputs, final, cache = getattr(engine, f"{kind}_forward")(x, p, state)
    dx, grads, d_initial = getattr(engine, f"{kind}_backward")(d_outputs, cache, d_state)
    return outputs, as_tuple(final), dx, grads, as_tuple(d_initial)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(N_STATE)),
    B=st.integers(1, 5),
    T=st.integers(0, 10),
    D=st.integers(1, 6),
    H=st.integers(1, 8),
    x_scale=st.sampled_from([0.5, 2.0, 6.0]),  # 6 saturates many gates
    given_state=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_reference_and_fast_engine_agree_to_1e_12(kind, B, T, D, H, x_scale, given_state, seed):
    rng = np.random.default_rng(seed)
    n = N_STATE[kind]
    p = random_params(kind, D, H, rng)
    x = rng.standard_normal((B, T, D)) * x_scale
    d_outputs = rng.standard_normal((B, T, H))
    state = as_state([rng.standard_normal((B, H)) for _ in range(n)]) if given_state else None
    d_state = as_state([rng.standard_normal((B, H)) for _ in range(n)]) if given_state else None

    expected = run(fast, kind, x, p, state, d_outputs, d_state)
    got = run(ref, kind, x, p, state, d_outputs, d_state)

    names = ["outputs", "final state", "dx", "grads", "gradient of the initial state"]
    for name, e, g in zip(names, expected, got):
        if name == "grads":
            assert sorted(g) == sorted(p)
            for k in p:
                assert g[k].shape == p[k].shape
                np.testing.assert_allclose(g[k], e[k], rtol=0, atol=1e-12, err_msg=f"grads[{k!r}]")
        elif isinstance(e, tuple):
            assert len(g) == len(e) == n
            for k, (ee, gg) in enumerate(zip(e, g)):
                np.testing.assert_allclose(gg, ee, rtol=0, atol=1e-12, err_msg=f"{name}[{k}]")
        else:
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", sorted(N_STATE))
def test_both_engines_have_the_same_signatures(kind):
    for direction in ("forward", "backward"):
        name = f"{kind}_{direction}"
        assert (
            inspect.signature(getattr(ref, name)).parameters.keys()
            == inspect.signature(getattr(fast, name)).parameters.keys()
        )


@pytest.mark.parametrize("kind", sorted(N_STATE))
def test_float32_in_float32_out_and_close_to_the_fast_engine(kind):
    rng = np.random.default_rng(4)
    p = {k: v.astype(np.float32) for k, v in random_params(kind, 3, 5, rng).items()}
    x = rng.standard_normal((2, 9, 3)).astype(np.float32)
    out_ref, final_ref, cache = getattr(ref, f"{kind}_forward")(x, p)
    out_fast, final_fast, _ = getattr(fast, f"{kind}_forward")(x, p)
    dx, grads, _ = getattr(ref, f"{kind}_backward")(np.ones((2, 9, 5), np.float32), cache)
    assert out_ref.dtype == dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    np.testing.assert_allclose(out_ref, out_fast, rtol=0, atol=1e-5)


# Finite differences: every step function and every sequence function of the reference engine.

B, T, D, H = 2, 4, 3, 3


def step_loss(kind, rng):
    """f(params) for gradient_check over one step: a fixed random linear function of the new state.

    ``params`` also holds ``x_t`` and the previous state, so their gradients are checked too.
    """
    R = [rng.standard_normal((B, H)) for _ in range(N_STATE[kind])]
    forward, backward = getattr(ref, f"{kind}_step_forward"), getattr(ref, f"{kind}_step_backward")
    names = ["h_prev", "c_prev"][: N_STATE[kind]]

    def f(p):
        *new_state, cache = forward(p["x_t"], *(p[k] for k in names), p)
        loss = sum((s * r).sum() for s, r in zip(new_state, R))
        dx_t, *d_prev, grads = backward(*R, cache)
        return loss, {**grads, "x_t": dx_t, **dict(zip(names, d_prev))}

    return f, names


@pytest.mark.parametrize("kind", sorted(N_STATE))
def test_step_backward_agrees_with_finite_differences(kind):
    rng = np.random.default_rng(10)
    f, names = step_loss(kind, rng)
    p = random_params(kind, D, H, rng)
    p["x_t"] = rng.standard_normal((B, D))
    for k in names:
        p[k] = rng.standard_normal((B, H))
    result = gradient_check(f, p)
    assert result.n_checked == sum(v.size for v in p.values())
    assert result.max_rel_error < 1e-7, str(result)


def sequence_loss(kind, rng):
    """f(params) for gradient_check over a sequence: random weights on every output and the final state."""
    n = N_STATE[kind]
    R = rng.standard_normal((B, T, H))
    S = [rng.standard_normal((B, H)) for _ in range(n)]
    forward, backward = getattr(ref, f"{kind}_forward"), getattr(ref, f"{kind}_backward")

    def f(p):
        outputs, final, cache = forward(p["x"], p, as_state([p[k] for k in ["h0", "c0"][:n]]))
        loss = (outputs * R).sum() + sum((s * w).sum() for s, w in zip(as_tuple(final), S))
        dx, grads, d_initial = backward(R, cache, as_state(S))
        return loss, {**grads, "x": dx, **dict(zip(["h0", "c0"], as_tuple(d_initial)))}

    return f


@pytest.mark.parametrize("kind", sorted(N_STATE))
def test_sequence_backward_agrees_with_finite_differences(kind):
    rng = np.random.default_rng(20)
    f = sequence_loss(kind, rng)
    p = random_params(kind, D, H, rng)
    p["x"] = rng.standard_normal((B, T, D))
    p["h0"] = rng.standard_normal((B, H)) * 0.5
    if N_STATE[kind] == 2:
        p["c0"] = rng.standard_normal((B, H))
    result = gradient_check(f, p)
    assert result.n_checked == sum(v.size for v in p.values())
    assert result.max_rel_error < 1e-7, str(result)


def test_a_missing_term_fails_the_gradient_check():
    """The check is sharp: leave out the path of bptt-dc through h_t and c_prev's error is large."""
    rng = np.random.default_rng(30)
    R_h, R_c = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    p = random_params("lstm", D, H, rng)
    p["x_t"], p["h_prev"], p["c_prev"] = (rng.standard_normal(s) for s in [(B, D), (B, H), (B, H)])

    def f(q, complete):
        h, c, cache = ref.lstm_step_forward(q["x_t"], q["h_prev"], q["c_prev"], q)
        _, _, dc_prev, _ = ref.lstm_step_backward(R_h, R_c, cache)
        if not complete:
            dc_prev = R_c * cache.f  # only the path along the cell state
        return (h * R_h).sum() + (c * R_c).sum(), {"c_prev": dc_prev}

    assert gradient_check(lambda q: f(q, True), p, keys=["c_prev"]).max_rel_error < 1e-7
    assert gradient_check(lambda q: f(q, False), p, keys=["c_prev"]).max_rel_error > 1e-2


# Known answers, computed by hand in plain Python floats.


def sig(a):
    return 1.0 / (1.0 + math.exp(-a))


def test_lstm_step_equals_the_pencil_and_paper_step_of_the_gates_chapter():
    W, U, b = [0.5, 0.5, 1.0, -0.5], [-1.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]  # blocks i, f, g, o
    x, h_prev, c_prev = 1.0, 0.5, 1.0
    params = {"W": np.array([W]), "U": np.array([U]), "b": np.array(b)}
    h, c, cache = ref.lstm_step_forward(np.array([[x]]), np.array([[h_prev]]), np.array([[c_prev]]), params)
    assert (round(float(c[0, 0]), 4), round(float(h[0, 0]), 4)) == (1.2616, 0.4258)
    a = [x * W[k] + h_prev * U[k] + b[k] for k in range(4)]  # 0, 2, 1, 0
    i, f, g, o = sig(a[0]), sig(a[1]), math.tanh(a[2]), sig(a[3])
    np.testing.assert_allclose([cache.i[0, 0], cache.f[0, 0], cache.g[0, 0], cache.o[0, 0]], [i, f, g, o], rtol=1e-14)
    np.testing.assert_allclose([c[0, 0], h[0, 0]], [f * c_prev + i * g, o * math.tanh(f * c_prev + i * g)], rtol=1e-14)

    # Backward with the loss L = c_t: dc_prev = f, and dx_t, dh_prev sum the four gate paths.
    dx_t, dh_prev, dc_prev, grads = ref.lstm_step_backward(np.zeros((1, 1)), np.ones((1, 1)), cache)
    da = [g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g), 0.0]
    np.testing.assert_allclose(dc_prev[0, 0], f, rtol=1e-14)
    np.testing.assert_allclose(dx_t[0, 0], sum(d * w for d, w in zip(da, W)), rtol=1e-14)
    np.testing.assert_allclose(dh_prev[0, 0], sum(d * u for d, u in zip(da, U)), rtol=1e-14)
    np.testing.assert_allclose(grads["b"], da, rtol=1e-14, atol=1e-300)


def test_rnn_step_equals_a_hand_computed_step():
    params = {"W": np.array([[0.5]]), "U": np.array([[-1.0]]), "b": np.array([0.25])}
    h, _ = ref.rnn_step_forward(np.array([[1.0]]), np.array([[0.5]]), params)
    assert round(float(h[0, 0]), 4) == 0.2449  # tanh(0.5 - 0.5 + 0.25)
    np.testing.assert_allclose(h[0, 0], math.tanh(0.25), rtol=1e-14)


def test_gru_step_equals_a_hand_computed_step():
    params = {
        "W": np.array([[0.0, 0.0, 1.0]]),
        "U": np.array([[0.0, 0.0, 2.0]]),
        "b": np.array([1.0, -1.0, 0.0]),
        "b_U": np.array([0.0, 0.0, 1.0]),
    }  # blocks r, z, n
    x, h_prev = 1.0, 0.5
    h, cache = ref.gru_step_forward(np.array([[x]]), np.array([[h_prev]]), params)
    r, z = sig(1.0), sig(-1.0)
    n = math.tanh(1.0 + r * (2.0 * h_prev + 1.0))  # reset-after: r scales h_prev U_n + b_U,n
    np.testing.assert_allclose([cache.r[0, 0], cache.z[0, 0], cache.n[0, 0]], [r, z, n], rtol=1e-14)
    np.testing.assert_allclose(h[0, 0], (1 - z) * n + z * h_prev, rtol=1e-14)
    assert round(float(h[0, 0]), 4) == 0.8550


# What the docstrings promise.


@pytest.mark.parametrize("kind", sorted(N_STATE))
def test_outputs_hold_every_h_t_and_the_last_is_the_final_state(kind):
    rng = np.random.default_rng(5)
    p = random_params(kind, 2, 3, rng)
    x = rng.standard_normal((2, 6, 2))
    outputs, final, _ = getattr(ref, f"{kind}_forward")(x, p)
    np.testing.assert_array_equal(outputs[:, -1], as_tuple(final)[0])
    half, state, _ = getattr(ref, f"{kind}_forward")(x[:, :3], p)
    rest, _, _ = getattr(ref, f"{kind}_forward")(x[:, 3:], p, state)
    np.testing.assert_allclose(np.concatenate([half, rest], axis=1), outputs, rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", sorted(N_STATE))
def test_empty_sequence_passes_the_state_and_its_gradient_through(kind):
    n = N_STATE[kind]
    rng = np.random.default_rng(6)
    p = random_params(kind, 3, 4, rng)
    state = as_state([rng.standard_normal((2, 4)) for _ in range(n)])
    outputs, final, cache = getattr(ref, f"{kind}_forward")(np.zeros((2, 0, 3)), p, state)
    assert outputs.shape == (2, 0, 4)
    for s, s0 in zip(as_tuple(final), as_tuple(state)):
        np.testing.assert_array_equal(s, s0)
    d_state = as_state([rng.standard_normal((2, 4)) for _ in range(n)])
    dx, grads, d_initial = getattr(ref, f"{kind}_backward")(np.zeros((2, 0, 4)), cache, d_state)
    assert dx.shape == (2, 0, 3) and not any(g.any() for g in grads.values())
    for d, d0 in zip(as_tuple(d_initial), as_tuple(d_state)):
        np.testing.assert_array_equal(d, d0)


def test_no_d_state_means_zeros_and_the_caller_supplied_d_outputs_are_not_modified():
    rng = np.random.default_rng(7)
    p = random_params("lstm", 2, 3, rng)
    _, _, cache = ref.lstm_forward(rng.standard_normal((2, 4, 2)), p)
    d_outputs = rng.standard_normal((2, 4, 3))
    kept = d_outputs.copy()
    dx, grads, (dh0, dc0) = ref.lstm_backward(d_outputs, cache)
    dx2, grads2, (dh02, dc02) = ref.lstm_backward(d_outputs, cache, (np.zeros((2, 3)), np.zeros((2, 3))))
    np.testing.assert_array_equal(d_outputs, kept)
    np.testing.assert_array_equal(dx, dx2)
    np.testing.assert_array_equal(dc0, dc02)


# Bad input gets a clear error naming the argument.

P_LSTM = init_lstm_params(3, 4, seed=0)
P_RNN = init_rnn_params(3, 4, seed=0)
P_GRU = init_gru_params(3, 4, seed=0)
X_T, S = np.zeros((2, 3)), np.zeros((2, 4))
LSTM_STEP = ref.lstm_step_forward(X_T, S, S, P_LSTM)[2]
GRU_STEP = ref.gru_step_forward(X_T, S, P_GRU)[1]
RNN_STEP = ref.rnn_step_forward(X_T, S, P_RNN)[1]


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: ref.lstm_step_forward(X_T, S, np.zeros((1, 4)), P_LSTM), ValueError, ["c_prev", "(2, 4)", "(1, 4)"]),
        (lambda: ref.lstm_step_forward(X_T, np.zeros(4), S, P_LSTM), ValueError, ["h_prev", "2 dimensions", "(4,)"]),
        (lambda: ref.lstm_step_forward(np.zeros((2, 5)), S, S, P_LSTM), ValueError, ["x_t", "(2, 5)", "D"]),
        (lambda: ref.lstm_step_forward(X_T, S, S, {**P_LSTM, "b": np.zeros(1)}), ValueError, ["params['b']", "(1,)"]),
        (lambda: ref.rnn_step_forward(X_T, np.zeros((2, 1)), P_RNN), ValueError, ["h_prev", "(2, 4)", "(2, 1)"]),
        (lambda: ref.gru_step_forward(X_T, S, P_LSTM), ValueError, ["missing", "b_U"]),
        (lambda: ref.lstm_step_backward(S, np.zeros((2, 1)), LSTM_STEP), ValueError, ["dc", "(2, 4)", "(2, 1)"]),
        (lambda: ref.lstm_step_backward(np.zeros((1, 4)), S, LSTM_STEP), ValueError, ["dh", "(2, 4)", "(1, 4)"]),
        (lambda: ref.gru_step_backward(np.zeros(4), GRU_STEP), ValueError, ["dh", "2 dimensions"]),
        (lambda: ref.rnn_step_backward(np.zeros((2, 4, 1)), RNN_STEP), ValueError, ["dh", "2 dimensions"]),
        (lambda: ref.lstm_forward(np.zeros((5, 3)), P_LSTM), ValueError, ["x", "3 dimensions", "(5, 3)"]),
        (lambda: ref.lstm_forward(np.zeros((2, 5, 7)), P_LSTM), ValueError, ["x", "7", "D=3"]),
        (lambda: ref.lstm_forward(np.zeros((2, 5, 3)), P_LSTM, S), TypeError, ["state", "pair"]),
        (lambda: ref.gru_forward(np.zeros((2, 5, 3)), P_GRU, np.zeros((3, 4))), ValueError, ["state", "(2, 4)"]),
        (lambda: ref.rnn_forward(np.full((2, 5, 3), np.nan), P_RNN), ValueError, ["x", "finite"]),
        (
            lambda: ref.lstm_backward(np.zeros((2, 4, 4)), ref.lstm_forward(np.zeros((2, 5, 3)), P_LSTM)[2]),
            ValueError,
            ["d_outputs", "(2, 5, 4)"],
        ),
        (
            lambda: ref.rnn_backward(
                np.zeros((2, 5, 4)), ref.rnn_forward(np.zeros((2, 5, 3)), P_RNN)[2], np.zeros((2, 3))
            ),
            ValueError,
            ["d_state", "(2, 4)"],
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    for w in words:
        assert w in message, f"{w!r} not in {message!r}"
