"""Small Transformer models in PyTorch, sized to be timed and trained on a CPU next to an LSTM.

Sizes: ``B`` batch, ``T`` time steps, ``D`` input features, ``E`` model width (``d_model``),
``n_h`` heads (``E = n_h * dk``), ``F`` feed-forward width, ``V`` vocabulary, ``L`` layers.
Sequences are batch-first.

- :class:`TransformerEncoderModel`: ``nn.TransformerEncoder`` over token ids or feature
  vectors, with sinusoidal or learned positions and one of two heads: ``"cls"`` reads a
  learned [CLS] vector prepended to every sequence (classification or regression of the whole
  sequence, as in BERT), ``"token"`` gives one output per position (a masked-LM head when the
  outputs are ``V`` logits).
- :class:`LSTMEncoderModel`: the same inputs and heads around an ``nn.LSTM``, for
  comparisons; :func:`comparable_models` builds the pair with nearly equal parameter counts.
- :class:`CausalTransformerLM`: a decoder-only language model (every position attends to
  itself and the past) with a key/value cache, so generation costs one step per token:
  :meth:`~CausalTransformerLM.step` ``(token, cache) -> (logits, cache)``.
- :func:`count_parameters`.

Padding masks follow PyTorch's layer convention here (True = padding, *ignored*), the opposite
of :mod:`lstm_tutorial.engine.attention`'s True = may attend; the models build them from ``lengths``
so callers never handle them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from lstm_tutorial.engine.attention import sinusoidal_positional_encoding

__all__ = [
    "count_parameters",
    "SinusoidalPositions",
    "LearnedPositions",
    "TransformerEncoderModel",
    "LSTMEncoderModel",
    "comparable_models",
    "KVCache",
    "CausalTransformerLM",
]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model`` (shared tensors counted once)."""
    seen, total = set(), 0
    for p in model.parameters():
        if p.requires_grad and id(p) not in seen:
            seen.add(id(p))
            total += p.numel()
    return total


class SinusoidalPositions(nn.Module):
    """Adds the fixed code of :func:`lstm_tutorial.engine.attention.sinusoidal_positional_encoding`.

    ``forward(x, offset=0)``: ``x (B, T, E)`` -> ``x + PE[offset : offset + T]``. No parameters;
    the table grows on demand, so any length works.
    """

    def __init__(self, d_model: int, max_len: int = 512):
        super().__init__()
        self.d_model = d_model
        self.register_buffer("pe", self._table(max_len), persistent=False)

    def _table(self, n: int) -> torch.Tensor:
        return torch.from_numpy(sinusoidal_positional_encoding(n, self.d_model, dtype="float32"))

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        end = offset + x.shape[1]
        if end > self.pe.shape[0]:
            self.pe = self._table(max(end, 2 * self.pe.shape[0])).to(self.pe.device)
        return x + self.pe[offset:end].to(x.dtype)


class LearnedPositions(nn.Module):
    """Adds a learned vector per position (BERT's choice); positions ``>= max_len`` do not exist."""

    def __init__(self, d_model: int, max_len: int = 512):
        super().__init__()
        self.embed = nn.Embedding(max_len, d_model)
        nn.init.normal_(self.embed.weight, std=0.02)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        end = offset + x.shape[1]
        if end > self.embed.num_embeddings:
            raise ValueError(
                f"position {end - 1} is outside the learned table of max_len={self.embed.num_embeddings} "
                "positions: a model with learned positions has a hard context window"
            )
        return x + self.embed(torch.arange(offset, end, device=x.device))


def _positions(kind: str, d_model: int, max_len: int) -> nn.Module:
    if kind == "sinusoidal":
        return SinusoidalPositions(d_model, max_len)
    if kind == "learned":
        return LearnedPositions(d_model, max_len)
    raise ValueError(f"positions must be 'sinusoidal' or 'learned', got {kind!r}")


class _InputAndHead(nn.Module):
    """Shared front and back of the encoder models: embedding or input projection, and the head."""

    def __init__(self, vocab_size, input_size, width, head, n_outputs):
        super().__init__()
        if (vocab_size is None) == (input_size is None):
            raise ValueError("give exactly one of vocab_size (token ids) or input_size (feature vectors)")
        if head not in ("cls", "token"):
            raise ValueError(
                f"head must be 'cls' (one output per sequence) or 'token' (one per position), got {head!r}"
            )
        self.vocab_size, self.input_size, self.head_kind = vocab_size, input_size, head
        self.inp = nn.Embedding(vocab_size, width) if vocab_size is not None else nn.Linear(input_size, width)
        self.head = nn.Linear(width, n_outputs)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        if self.vocab_size is not None:
            if x.dtype not in (torch.int32, torch.int64) or x.dim() != 2:
                raise ValueError(
                    f"x must be token ids of shape (B, T) and integer dtype, got {tuple(x.shape)} {x.dtype}"
                )
        elif x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (B, T, D={self.input_size}), got {tuple(x.shape)}")
        return self.inp(x)  # (B, T, E)


class TransformerEncoderModel(_InputAndHead):
    """Transformer encoder (bidirectional self-attention) with a sequence or per-token head.

    ``forward(x, lengths=None)``: ``x`` token ids ``(B, T)`` or features ``(B, T, D)``;
    ``lengths (B,)`` marks the real positions (the rest is padding, never attended to).
    Returns ``(B, n_outputs)`` for ``head="cls"``, ``(B, T, n_outputs)`` for ``head="token"``.

    Args:
        vocab_size / input_size: exactly one: token input (an embedding) or feature input (a
            linear map ``D -> E``).
        d_model: ``E``. n_heads: ``n_h``. n_layers: ``L``.
        d_ff: feed-forward width ``F`` (default ``2E``, which makes one layer nearly the size
            of an LSTM layer with ``H = E``).
        max_len: longest sequence for learned positions (sinusoidal ones extend on demand).
        positions: ``"sinusoidal"`` (fixed, Vaswani et al.) or ``"learned"`` (BERT).
        head: ``"cls"`` or ``"token"``. n_outputs: width of the head (``V`` for a masked-LM head).
        dropout: inside the layers (0 keeps timings and tests deterministic).
        norm_first: pre-norm layers (LayerNorm before attention and feed-forward), which train
            without a learning-rate warm-up at these sizes; ``False`` is the 2017 post-norm.
        causal: mask the future (a decoder-only model without cache; see
            :class:`CausalTransformerLM` for generation).
    """

    def __init__(
        self,
        *,
        vocab_size: int | None = None,
        input_size: int | None = None,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 1,
        d_ff: int | None = None,
        max_len: int = 512,
        positions: str = "sinusoidal",
        head: str = "cls",
        n_outputs: int = 1,
        dropout: float = 0.0,
        norm_first: bool = True,
        causal: bool = False,
    ):
        super().__init__(vocab_size, input_size, d_model, head, n_outputs)
        if d_model % n_heads:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
        self.d_model, self.n_heads, self.causal = d_model, n_heads, causal
        self.pos = _positions(positions, d_model, max_len + (head == "cls"))
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model)) if head == "cls" else None
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, d_ff or 2 * d_model, dropout=dropout, batch_first=True, norm_first=norm_first
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()

    def encode(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden states ``(B, T, E)``, or ``(B, 1 + T, E)`` with the [CLS] state first."""
        z = self._embed(x)  # (B, T, E)
        B, T = z.shape[:2]
        pad = None
        if lengths is not None:
            lengths = torch.as_tensor(lengths, device=z.device)
            pad = torch.arange(T, device=z.device)[None, :] >= lengths[:, None]  # (B, T), True = padding
        if self.cls is not None:
            z = torch.cat([self.cls.expand(B, 1, -1), z], dim=1)  # (B, 1 + T, E)
            if pad is not None:
                pad = torch.cat([torch.zeros(B, 1, dtype=torch.bool, device=z.device), pad], dim=1)
        z = self.pos(z)
        causal = nn.Transformer.generate_square_subsequent_mask(z.shape[1], device=z.device) if self.causal else None
        z = self.encoder(z, mask=causal, src_key_padding_mask=pad, is_causal=self.causal)
        return self.norm(z)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        z = self.encode(x, lengths)
        return self.head(z[:, 0]) if self.head_kind == "cls" else self.head(z)


class LSTMEncoderModel(_InputAndHead):
    """An ``nn.LSTM`` with the inputs and heads of :class:`TransformerEncoderModel`.

    ``head="cls"`` reads the hidden state after each sequence's last real step (``lengths``),
    ``head="token"`` the hidden state at every step. Unidirectional, as in the timing chapters.
    """

    def __init__(
        self,
        *,
        vocab_size: int | None = None,
        input_size: int | None = None,
        d_model: int = 64,
        hidden_size: int | None = None,
        n_layers: int = 1,
        head: str = "cls",
        n_outputs: int = 1,
    ):
        H = hidden_size or d_model
        super().__init__(vocab_size, input_size, d_model, head, n_outputs)
        self.head = nn.Linear(H, n_outputs)
        self.lstm = nn.LSTM(d_model, H, num_layers=n_layers, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        out, _ = self.lstm(self._embed(x))  # (B, T, H)
        if self.head_kind == "token":
            return self.head(out)
        B, T = out.shape[:2]
        last = torch.full((B,), T - 1) if lengths is None else torch.as_tensor(lengths) - 1
        return self.head(out[torch.arange(B), last.to(out.device)])


def comparable_models(
    *,
    input_size: int | None = None,
    vocab_size: int | None = None,
    d_model: int = 64,
    n_heads: int = 4,
    n_layers: int = 1,
    head: str = "token",
    n_outputs: int = 1,
    positions: str = "sinusoidal",
) -> tuple[LSTMEncoderModel, TransformerEncoderModel, dict]:
    """An LSTM and a Transformer encoder of comparable size, and both parameter counts.

    Both read the same input layer and end in the same head. The core is ``n_layers`` LSTM layers
    with ``H = E``, ``4(E E + E E + 2E) = 8E^2 + 8E`` parameters each, against ``n_layers``
    encoder layers with ``F = 2E``: attention ``4E^2 + 4E``, feed-forward ``4E^2 + 3E``, two
    LayerNorms ``4E``, so ``8E^2 + 11E``. For ``E = 64`` that is 33,280 against 33,472 per layer.

    Returns:
        ``(lstm, transformer, counts)`` with ``counts = {"lstm": ..., "transformer": ...,
        "lstm_core": ..., "transformer_core": ...}`` (core = the recurrent or encoder layers only).
    """
    kw = dict(
        input_size=input_size, vocab_size=vocab_size, d_model=d_model, n_layers=n_layers, head=head, n_outputs=n_outputs
    )
    lstm = LSTMEncoderModel(**kw)
    transformer = TransformerEncoderModel(n_heads=n_heads, positions=positions, **kw)
    counts = {
        "lstm": count_parameters(lstm),
        "transformer": count_parameters(transformer),
        "lstm_core": count_parameters(lstm.lstm),
        "transformer_core": count_parameters(transformer.encoder),
    }
    return lstm, transformer, counts


@dataclass
class KVCache:
    """The keys and values a causal model has computed so far, in storage allocated ahead.

    ``keys[n]`` and ``values[n]`` are layer ``n``'s storage, ``(B, n_h, capacity, dk)``; its first
    ``length`` positions hold the keys and values of the ``t = length`` positions seen. A step
    writes the new position's key and value into the storage at ``length``, so the past is never
    copied; only when the storage is full is it replaced by one of twice the capacity (one copy
    per doubling: amortised O(1) work per token for the cache, instead of the O(t) copy that
    concatenating the past with each new key costs). :meth:`CausalTransformerLM.prefill` takes
    the capacity, and :meth:`~CausalTransformerLM.generate` reserves the whole length at once.

    ``KVCache(keys, values)`` from full ``(B, n_h, t, dk)`` tensors gives ``length = t``. The
    caches of one stream share their storage: each step returns a new :class:`KVCache` one
    position longer over the same tensors. Stepping twice from the *same* cache therefore makes
    the second step overwrite the position the first one wrote (greedy generation never does
    this); to branch a stream, step from :meth:`clone`.

    ``nbytes()`` counts the positions held, ``2 L B t E`` numbers (keys and values, every layer);
    ``storage_nbytes()`` counts the memory allocated, at most about twice that.
    """

    keys: list[torch.Tensor] = field(default_factory=list)
    values: list[torch.Tensor] = field(default_factory=list)
    length: int | None = None

    def __post_init__(self):
        if len(self.keys) != len(self.values):
            raise ValueError(
                f"keys and values must have one tensor per layer, got {len(self.keys)} and {len(self.values)}"
            )
        if self.length is None:
            self.length = self.keys[0].shape[2] if self.keys else 0
        if self.keys and not 0 <= self.length <= self.capacity:
            raise ValueError(f"length must lie in [0, capacity={self.capacity}], got {self.length}")

    @classmethod
    def allocate(cls, n_layers: int, batch: int, n_heads: int, dk: int, capacity: int, *, dtype, device) -> KVCache:
        """Empty storage (``length = 0``) for ``capacity`` positions, ``(B, n_h, capacity, dk)`` per layer."""
        shape = (batch, n_heads, capacity, dk)
        keys = [torch.empty(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        values = [torch.empty(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        return cls(keys, values, 0)

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[2] if self.keys else 0

    def reserve(self, n_positions: int) -> None:
        """Make the shared storage hold at least ``n_positions``: double it (copying) if it must grow."""
        if n_positions <= self.capacity:
            return
        new = max(n_positions, 2 * self.capacity)
        for store in (self.keys, self.values):
            for n, old in enumerate(store):
                grown = old.new_empty((*old.shape[:2], new, old.shape[3]))
                grown[:, :, : old.shape[2]] = old
                store[n] = grown  # in place in the shared list: every cache of the stream sees it

    def layer(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer ``n``'s keys and values so far, views ``(B, n_h, t, dk)``."""
        return self.keys[n][:, :, : self.length], self.values[n][:, :, : self.length]

    def clone(self) -> KVCache:
        """An independent copy of the positions held (its own storage, with the same capacity)."""
        return KVCache([k.clone() for k in self.keys], [v.clone() for v in self.values], self.length)

    def nbytes(self) -> int:
        return sum(t[:, :, : self.length].numel() * t.element_size() for t in (*self.keys, *self.values))

    def storage_nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))


class _CausalSelfAttention(nn.Module):
    """Multi-head self-attention with ``nn.MultiheadAttention``'s layout: ``qkv`` is ``(3E, E)``."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_h, self.dk = n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0):
        """``x (B, T, E)``; with a cache, the new keys and values go into its storage at ``cache.length``."""
        B, T, E = x.shape
        q, k, v = self.qkv(x).split(E, dim=-1)  # each (B, T, E)
        q, k, v = (a.view(B, T, self.n_h, self.dk).transpose(1, 2) for a in (q, k, v))  # (B, n_h, T, dk)
        t = 0
        if cache is not None:
            t = cache.length
            if t > 0 and T > 1:
                raise ValueError("with a cache, feed one token at a time")
            cache.keys[layer][:, :, t : t + T] = k  # storage reserved by the caller
            cache.values[layer][:, :, t : t + T] = v
            k, v = cache.keys[layer][:, :, : t + T], cache.values[layer][:, :, : t + T]  # (B, n_h, t + T, dk)
        # After a cache of t > 0 positions, the one new query is the last position and sees every key.
        o = F.scaled_dot_product_attention(q, k, v, is_causal=t == 0 and T > 1)  # (B, n_h, T, dk)
        return self.out(o.transpose(1, 2).reshape(B, T, E))


class _Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_ff: int):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = _CausalSelfAttention(d_model, n_heads)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))

    def forward(self, x, cache=None, layer=0):
        x = x + self.attn(self.ln1(x), cache, layer)
        return x + self.ff(self.ln2(x))


class CausalTransformerLM(nn.Module):
    """Decoder-only language model (pre-norm blocks) with a key/value cache.

    ``forward(ids)``: ids ``(B, T)`` -> next-token logits ``(B, T, V)``; position ``t`` sees
    positions ``0..t`` only. ``prefill(ids)`` does the same and also returns the cache.
    ``step(token, cache)``: one new id per sequence ``(B,)`` -> logits ``(B, V)`` and the cache
    grown by one position. The new token's query attends to every cached key, so a step costs
    ``O(t E)`` for attention on top of a fixed ``O(E^2)``, and the cache holds ``2 L B t E``
    numbers: the price of seeing the whole past directly. Feeding a sequence step by step gives
    the logits of ``forward`` (the tests check it).

    Args:
        vocab_size: ``V``. d_model: ``E``. n_heads: ``n_h``. n_layers: ``L``. d_ff: ``F`` (default ``2E``).
        max_len / positions: as in :class:`TransformerEncoderModel`; learned positions cap the
            context at ``max_len``.
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        d_ff: int | None = None,
        max_len: int = 512,
        positions: str = "sinusoidal",
    ):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}")
        self.d_model, self.n_heads, self.n_layers = d_model, n_heads, n_layers
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = _positions(positions, d_model, max_len)
        self.blocks = nn.ModuleList(_Block(d_model, n_heads, d_ff or 2 * d_model) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def _run(self, ids: torch.Tensor, cache: KVCache | None, *, keep: bool = True, capacity: int | None = None):
        if ids.dim() != 2 or ids.dtype not in (torch.int32, torch.int64):
            raise ValueError(f"ids must be integer token ids of shape (B, T), got {tuple(ids.shape)} {ids.dtype}")
        B, T = ids.shape
        offset = cache.length if cache is not None else 0
        x = self.pos(self.embed(ids), offset)  # (B, T, E)
        if keep and cache is None:
            size = max(T, capacity) if capacity is not None else max(2 * T, 64)
            cache = KVCache.allocate(
                self.n_layers, B, self.n_heads, self.d_model // self.n_heads, size, dtype=x.dtype, device=x.device
            )
        if cache is not None:
            cache.reserve(offset + T)
        for n, block in enumerate(self.blocks):
            x = block(x, cache, n)
        new = KVCache(cache.keys, cache.values, offset + T) if cache is not None else None
        return self.head(self.norm(x)), new

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self._run(ids, None, keep=False)[0]

    def prefill(self, ids: torch.Tensor, capacity: int | None = None) -> tuple[torch.Tensor, KVCache]:
        """Read a prompt ``(B, T)`` in one parallel pass: ``(logits (B, T, V), cache)``.

        ``capacity``: positions to allocate the cache for (default ``max(2T, 64)``; it doubles
        when a step needs more).
        """
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1):
            raise ValueError(f"capacity must be a positive int (positions), got {capacity!r}")
        return self._run(ids, None, capacity=capacity)

    def step(self, token: torch.Tensor, cache: KVCache | None = None) -> tuple[torch.Tensor, KVCache]:
        """One generation step: ``token (B,)`` -> ``(logits (B, V), cache)`` with one more position."""
        token = torch.as_tensor(token)
        if token.dim() != 1:
            raise ValueError(f"token must have shape (B,), one id per sequence, got {tuple(token.shape)}")
        if cache is not None and cache.keys and cache.keys[0].shape[0] != token.shape[0]:
            raise ValueError(f"token has batch {token.shape[0]} but the cache holds {cache.keys[0].shape[0]} sequences")
        logits, cache = self._run(token[:, None], cache if cache is not None and cache.keys else None)
        return logits[:, 0], cache

    @torch.no_grad()
    def generate(self, prompt: list[int], steps: int) -> list[int]:
        """Greedy continuation of one prompt by ``steps`` ids, through the cache."""
        if not prompt:
            raise ValueError("prompt must hold at least one id")
        logits, cache = self.prefill(torch.tensor([prompt]), capacity=len(prompt) + steps)
        ids, nxt = list(prompt), logits[:, -1].argmax(-1)
        for _ in range(steps):
            ids.append(int(nxt))
            logits, cache = self.step(nxt, cache)
            nxt = logits.argmax(-1)
        return ids

    @staticmethod
    def cache_bytes(n_layers: int, batch: int, length: int, d_model: int, bytes_per_number: int = 4) -> int:
        """``2 L B t E`` numbers: the size of a :class:`KVCache` of ``length`` positions."""
        return 2 * n_layers * batch * length * d_model * bytes_per_number
