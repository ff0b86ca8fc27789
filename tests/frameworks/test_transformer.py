"""The small Transformer models: shapes, padding, parameter counts, and the key/value cache."""

import pytest
import torch

from lstm_tutorial import seed_everything
from lstm_tutorial.frameworks.transformer import (
    CausalTransformerLM,
    KVCache,
    LSTMEncoderModel,
    TransformerEncoderModel,
    comparable_models,
    count_parameters,
)


@pytest.fixture(autouse=True)
def _seed():
    seed_everything(0)


def test_encoder_shapes_for_both_heads_and_inputs():
    ids = torch.randint(0, 30, (3, 9))
    assert TransformerEncoderModel(vocab_size=30, head="cls", n_outputs=2)(ids).shape == (3, 2)
    assert TransformerEncoderModel(vocab_size=30, head="token", n_outputs=30, positions="learned")(ids).shape == (
        3,
        9,
        30,
    )
    x = torch.randn(3, 9, 5)
    assert TransformerEncoderModel(input_size=5, head="token")(x).shape == (3, 9, 1)
    assert LSTMEncoderModel(input_size=5, head="cls", n_outputs=4)(x, torch.tensor([9, 3, 1])).shape == (3, 4)


def test_padding_does_not_change_the_cls_output():
    model = TransformerEncoderModel(vocab_size=30, head="cls", n_outputs=2).eval()
    ids = torch.randint(1, 30, (1, 5))
    padded = torch.cat([ids, torch.randint(1, 30, (1, 4))], dim=1)
    a = model(ids)
    b = model(padded, lengths=torch.tensor([5]))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_learned_positions_have_a_hard_window():
    model = TransformerEncoderModel(vocab_size=10, head="token", positions="learned", max_len=8)
    with pytest.raises(ValueError, match="max_len=8 positions"):
        model(torch.zeros(1, 9, dtype=torch.long))


def test_comparable_models_report_nearly_equal_counts():
    lstm, tr, counts = comparable_models(input_size=64, d_model=64)
    assert counts["lstm_core"] == 4 * (64 * 64 + 64 * 64 + 2 * 64) == 33_280
    assert counts["transformer_core"] == 8 * 64 * 64 + 11 * 64 == 33_472
    assert counts["lstm"] == count_parameters(lstm) and counts["transformer"] == count_parameters(tr)
    assert abs(counts["lstm"] - counts["transformer"]) / counts["lstm"] < 0.02


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
def test_kv_cache_streaming_equals_full_causal_recompute(positions):
    lm = CausalTransformerLM(20, d_model=32, n_heads=4, n_layers=2, positions=positions).eval()
    ids = torch.randint(0, 20, (3, 11))
    with torch.no_grad():
        full = lm(ids)  # (B, T, V)
        cache, steps = None, []
        for t in range(ids.shape[1]):
            logits, cache = lm.step(ids[:, t], cache)
            steps.append(logits)
        torch.testing.assert_close(torch.stack(steps, 1), full, atol=1e-5, rtol=1e-5)
        assert cache.length == 11
        assert cache.nbytes() == CausalTransformerLM.cache_bytes(2, 3, 11, 32)
        # a prompt read in one parallel pass, then continued step by step
        _, cache = lm.prefill(ids[:, :6])
        for t in range(6, 11):
            logits, cache = lm.step(ids[:, t], cache)
        torch.testing.assert_close(logits, full[:, -1], atol=1e-5, rtol=1e-5)


def test_causal_lm_ignores_the_future():
    lm = CausalTransformerLM(20, d_model=16, n_heads=2, n_layers=1).eval()
    ids = torch.randint(0, 20, (1, 8))
    changed = ids.clone()
    changed[0, 5:] = (changed[0, 5:] + 1) % 20
    with torch.no_grad():
        torch.testing.assert_close(lm(ids)[:, :5], lm(changed)[:, :5])


def test_generate_and_bad_inputs():
    lm = CausalTransformerLM(10, d_model=16, n_heads=2, n_layers=1)
    out = lm.generate([1, 2, 3], 4)
    assert len(out) == 7 and out[:3] == [1, 2, 3]
    with pytest.raises(ValueError, match="shape \\(B,\\)"):
        lm.step(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="exactly one of vocab_size"):
        TransformerEncoderModel(vocab_size=3, input_size=4)
    with pytest.raises(ValueError, match="n_heads=3 must divide d_model=16"):
        CausalTransformerLM(10, d_model=16, n_heads=3)
    assert KVCache().length == 0
