"""The preallocated key/value cache of ``CausalTransformerLM``: the outputs of the concatenating cache it
replaced, no copy of the past while the storage has room, doubling when it has not, and branching."""

import pytest
import torch
import torch.nn.functional as F

from lstm_tutorial import seed_everything
from lstm_tutorial.frameworks.transformer import CausalTransformerLM, KVCache


@pytest.fixture(autouse=True)
def _seed():
    seed_everything(0)


def _lm(positions="sinusoidal"):
    return CausalTransformerLM(20, d_model=32, n_heads=4, n_layers=2, positions=positions).double().eval()


def _concatenating_stream(lm, ids):
    """Logits of feeding ``ids`` token by token through the cache as the package kept it before:
    each layer's past keys and values grown by ``torch.cat`` at every step."""
    B, T = ids.shape
    E, h = lm.d_model, lm.n_heads
    past = [None] * lm.n_layers
    out = []
    for t in range(T):
        x = lm.pos(lm.embed(ids[:, t : t + 1]), t)  # (B, 1, E)
        for n, block in enumerate(lm.blocks):
            q, k, v = block.attn.qkv(block.ln1(x)).split(E, dim=-1)
            q, k, v = (a.view(B, 1, h, E // h).transpose(1, 2) for a in (q, k, v))  # (B, h, 1, dk)
            if past[n] is not None:
                k, v = torch.cat([past[n][0], k], dim=2), torch.cat([past[n][1], v], dim=2)
            past[n] = (k, v)
            o = F.scaled_dot_product_attention(q, k, v)  # the new query sees every cached key
            x = x + block.attn.out(o.transpose(1, 2).reshape(B, 1, E))
            x = x + block.ff(block.ln2(x))
        out.append(lm.head(lm.norm(x))[:, 0])
    return torch.stack(out, 1)  # (B, T, V)


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
def test_preallocated_cache_gives_the_concatenating_caches_outputs(positions):
    lm = _lm(positions)
    ids = torch.randint(0, 20, (3, 70))  # past the default capacity of 64: the storage doubles once
    with torch.no_grad():
        old = _concatenating_stream(lm, ids)
        cache, new = None, []
        for t in range(ids.shape[1]):
            logits, cache = lm.step(ids[:, t], cache)
            new.append(logits)
        torch.testing.assert_close(torch.stack(new, 1), old, atol=1e-12, rtol=0)
        torch.testing.assert_close(old, lm(ids), atol=1e-12, rtol=0)
    assert cache.length == 70 and cache.capacity == 128
    assert cache.nbytes() == CausalTransformerLM.cache_bytes(2, 3, 70, 32, bytes_per_number=8)
    assert cache.storage_nbytes() == CausalTransformerLM.cache_bytes(2, 3, 128, 32, bytes_per_number=8)


def test_prefill_then_steps_write_in_place_and_grow_by_doubling():
    lm = _lm()
    ids = torch.randint(0, 20, (2, 12))
    with torch.no_grad():
        logits, cache = lm.prefill(ids[:, :5], capacity=8)
        torch.testing.assert_close(logits, lm(ids[:, :5]), atol=1e-12, rtol=0)
        storage = cache.keys[0].data_ptr()
        streamed = [logits[:, -1]]
        for t in range(5, 12):
            logits, cache = lm.step(ids[:, t], cache)
            streamed.append(logits)
            if t < 8:  # room left: no new storage
                assert cache.keys[0].data_ptr() == storage and cache.capacity == 8
        assert cache.capacity == 16 and cache.length == 12
        torch.testing.assert_close(torch.stack(streamed[1:], 1), lm(ids)[:, 5:], atol=1e-12, rtol=0)


def test_a_cache_built_from_full_tensors_grows_on_its_first_step():
    lm = _lm()
    ids = torch.randint(0, 20, (1, 6))
    with torch.no_grad():
        _, full = lm.prefill(ids[:, :5])
        keys, values = zip(*(full.layer(n) for n in range(lm.n_layers)))
        cache = KVCache([k.clone() for k in keys], [v.clone() for v in values])  # capacity = length = 5
        assert cache.length == cache.capacity == 5
        logits, new = lm.step(ids[:, 5], cache)
        torch.testing.assert_close(logits, lm(ids)[:, -1], atol=1e-12, rtol=0)
        assert new.length == 6 and new.capacity == 10 and cache.length == 5


def test_branching_needs_a_clone():
    lm = _lm()
    ids = torch.randint(0, 20, (1, 4))
    with torch.no_grad():
        _, cache = lm.prefill(ids)
        a, cache_a = lm.step(torch.tensor([1]), cache.clone())
        b, cache_b = lm.step(torch.tensor([2]), cache.clone())
        ref = lm(torch.cat([ids.expand(2, -1), torch.tensor([[1], [2]])], dim=1))[:, -1]
        torch.testing.assert_close(torch.cat([a, b]), ref, atol=1e-12, rtol=0)
        assert cache_a.keys[0].data_ptr() != cache_b.keys[0].data_ptr()


def test_bad_caches_and_capacities_are_refused():
    with pytest.raises(ValueError, match="one tensor per layer"):
        KVCache([torch.zeros(1, 2, 3, 4)], [])
    with pytest.raises(ValueError, match=r"length must lie in \[0, capacity=3\]"):
        KVCache([torch.zeros(1, 2, 3, 4)], [torch.zeros(1, 2, 3, 4)], 5)
    with pytest.raises(ValueError, match="capacity must be a positive int"):
        _lm().prefill(torch.zeros(1, 3, dtype=torch.long), capacity=0)
    lm = _lm()
    _, cache = lm.prefill(torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="feed one token at a time"):
        lm._run(torch.zeros(1, 2, dtype=torch.long), cache)
