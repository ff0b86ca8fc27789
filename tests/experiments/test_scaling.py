"""The measurement helpers on tiny sizes: exact byte counts follow their formulas; timings run."""

import pytest
import torch

from lstm_tutorial import seed_everything
from lstm_tutorial.experiments.scaling import (
    lstm_vs_transformer_scaling,
    peak_memory,
    saved_activation_bytes,
    streaming_cost,
    time_training_step,
    timings_of,
    token_step_flops,
    training_step_flops,
)
from lstm_tutorial.frameworks.transformer import CausalTransformerLM, comparable_models

B, E, HEADS = 2, 16, 4


def _saved(model, T, backend=None):
    g = torch.Generator().manual_seed(T)
    batch = (torch.randn(B, T, E, generator=g), torch.randn(B, T, 1, generator=g))
    return peak_memory(model, batch, backend=backend)["saved_bytes"]


def test_saved_bytes_of_a_single_product_are_exact():
    w = torch.randn(3, 4, requires_grad=True)
    x = torch.randn(5, 3, requires_grad=True)
    n, y = saved_activation_bytes(lambda: x @ w)
    assert n == (5 * 3 + 3 * 4) * 4  # mm saves both operands
    # excluding a parameter leaves only the other operand's bytes
    param = torch.nn.Parameter(w.detach().clone())
    n, y = saved_activation_bytes(lambda: x @ param, exclude=torch.nn.ParameterList([param]))
    assert n == 5 * 3 * 4 and y.shape == (5, 4)


def test_lstm_memory_is_exactly_linear_and_attention_exactly_quadratic():
    seed_everything(0)
    lstm, tr, _ = comparable_models(input_size=E, d_model=E, n_heads=HEADS)
    Ts = (8, 16, 24, 32)
    lstm_b = [_saved(lstm, T) for T in Ts]
    fused_b = [_saved(tr, T) for T in Ts]
    math_b = [_saved(tr, T, "math") for T in Ts]
    first = lambda v: [b - a for a, b in zip(v, v[1:])]  # noqa: E731
    # a + b T, up to the LSTM kernel's (oneDNN) workspace, whose size is not exactly linear in T
    assert all(b > a for a, b in zip(lstm_b, lstm_b[1:])), lstm_b
    big = [_saved(lstm, T) for T in (128, 256, 512)]
    ratio = (big[2] - big[1]) / (big[1] - big[0])  # doubling T doubles the growth: linear
    assert 1.9 < ratio < 2.1, big
    assert len(set(first(fused_b))) == 1, fused_b  # the fused kernel saves O(T)
    second = first(first(math_b))
    assert len(set(second)) == 1 and second[0] > 0, math_b  # a + b T + c T^2, exactly
    c = second[0] / (2 * 8**2)  # second difference of c T^2 with step 8
    per_matrix = B * HEADS * 4  # bytes per T^2 of one float32 (B, h, T, T) tensor
    assert c % per_matrix == 0 and c >= per_matrix


def test_flop_formulas():
    assert training_step_flops("lstm", 2, 10, 8) == 3 * 2 * 2 * 10 * 16 * 32
    dense = training_step_flops("transformer", 1, 1, 8) - 3 * 4 * 8
    assert dense == training_step_flops("lstm", 1, 1, 8)  # equal size: equal FLOPs per token outside attention
    assert token_step_flops("lstm", 10, 8) == token_step_flops("lstm", 1000, 8)
    assert token_step_flops("transformer", 11, 8) - token_step_flops("transformer", 10, 8) == 2 * 4 * 8


def test_timing_helpers_run_and_keep_their_repeats():
    seed_everything(0)
    lstm, _, _ = comparable_models(input_size=E, d_model=E)
    r = time_training_step(lstm, (torch.randn(2, 5, E), torch.randn(2, 5, 1)), repeats=3)
    assert len(r["times"]) == 3 and r["best_seconds"] <= r["q1"] <= r["seconds"] <= r["q3"]
    rows = lstm_vs_transformer_scaling([4, 8], batch_size=2, d_model=E, repeats=3, warmup=0)
    assert {r["model"] for r in rows} == {"lstm", "transformer", "transformer (math)"} and len(rows) == 6
    timed = [r for r in rows if r["model"] != "transformer (math)"]
    assert all(len(r["times"]) == 3 and r["seconds"] == sorted(r["times"])[1] for r in timed)
    assert all(r["times"] is None and r["seconds"] is None for r in rows if r["model"] == "transformer (math)")
    sizes, times = timings_of(rows, "lstm")
    assert sizes == [4, 8] and [len(t) for t in times] == [3, 3]
    with pytest.raises(ValueError, match="no timed rows for model 'transformer \\(math\\)'"):
        timings_of(rows, "transformer (math)")
    with pytest.raises(ValueError, match="repeats must be at least 3"):
        lstm_vs_transformer_scaling([4], repeats=2)


def test_streaming_state_sizes_follow_the_formulas():
    rows = streaming_cost([4, 32], vocab_size=11, d_model=E, n_heads=HEADS, n_layers=2, tokens=3, warmup=1, rounds=2)
    lstm = [r for r in rows if r["model"] == "lstm"]
    tr = [r for r in rows if r["model"] == "transformer"]
    assert all(r["state_bytes"] == 2 * 2 * 1 * E * 4 for r in lstm)  # (h, c), L layers, constant
    assert [r["state_bytes"] for r in tr] == [CausalTransformerLM.cache_bytes(2, 1, t + 1, E) for t in (4, 32)]
    assert all(r["seconds_per_token"] > 0 and len(r["times"]) == 2 * 3 for r in rows)  # rounds * tokens
    with pytest.raises(ValueError, match="tokens must be at least 3"):
        streaming_cost([4], tokens=2)
    with pytest.raises(ValueError, match="rounds must be a positive int, got 0"):
        streaming_cost([4], rounds=0)
