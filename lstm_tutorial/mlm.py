"""BERT in miniature: masked-language-model training on the book's corpus, character level.

Sizes: ``B`` batch, ``T`` window length, ``V`` number of characters, ``E`` model width,
``H`` LSTM hidden size. Ids are batch-first ``(B, T)``.

- :class:`MaskedVocab`: the corpus characters (:class:`lstm_tutorial.data.CharVocab`) plus one
  extra id, the mask token ``[M]`` (id ``V``), shown as ``_`` when decoded.
- :func:`mask_tokens`: BERT's corruption (Devlin et al. 2019). Each position is *selected* with
  probability 0.15; a selected position is replaced by ``[M]`` with probability 0.8, by a random
  character with probability 0.1, and left unchanged with probability 0.1. The loss is computed
  at the selected positions only. Seeded NumPy generator: the same seed gives the same masks.
- :func:`make_mlm_model`: ``"bert"`` (a Transformer encoder, every position attends to every
  other), ``"lstm"`` (left to right: the output at ``t`` has read positions ``0..t`` only) and
  ``"bilstm"`` (one LSTM left to right and one right to left, outputs concatenated): all read the
  corrupted window and predict the original character at every position.
- :func:`train_mlm`, :func:`heldout_loss`, :func:`masked_accuracy` (top-1 on the selected
  positions of held-out text, split by what the input showed there), :func:`masking_fractions`
  (what the masking did, measured) and :func:`fill_in` (predictions for the blanks of a sentence).
- :data:`PRETRAIN_BUDGET`, :func:`save_models` / :func:`load_models` (plain ``.npz``, no pickle)
  and :func:`load_pretrained`: the three models trained once by ``scripts/make_mlm_results.py``
  and stored in ``resources/``.

The Transformer uses fixed sinusoidal positions by default (``MLMBudget.positions``): with
BERT's learned position vectors, initialised small, this tiny model trained on one small corpus
stays near the context-free loss for most of the chapter's budget (the script records that run).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from lstm_tutorial.repro import limit_threads
from lstm_tutorial.data import CharVocab, load_corpus, split_text

__all__ = [
    "MaskedVocab", "corpus_ids", "mask_tokens", "random_windows", "MLMBudget", "DEFAULT_BUDGET",
    "make_mlm_model", "train_mlm", "heldout_loss", "masking_fractions", "masked_accuracy", "fill_in", "IGNORE",
    "save_models", "load_models", "PRETRAIN_BUDGET", "load_pretrained",
]

IGNORE = -100  # target of a position that is not selected: PyTorch's cross-entropy skips it


class MaskedVocab(CharVocab):
    """A :class:`~lstm_tutorial.data.CharVocab` plus the mask token ``[M]`` with id ``V``.

    ``len(vocab)`` is ``V`` (real characters, the classes a model predicts); ``vocab.size``
    is ``V + 1`` (the ids a model reads). ``encode`` turns the ``blank`` character (``"_"``, not
    in the corpus) into the mask id; ``decode`` shows the mask id as ``blank``.
    """

    def __init__(self, text: str, blank: str = "_"):
        super().__init__(text)
        if blank in self.index:
            raise ValueError(f"blank {blank!r} occurs in the text; choose another character")
        self.blank = blank
        self.mask_id = len(self.chars)
        self.size = len(self.chars) + 1

    def encode(self, text: str) -> np.ndarray:
        parts = text.split(self.blank)
        ids = [super(MaskedVocab, self).encode(p) for p in parts]
        out = []
        for n, p in enumerate(ids):
            if n:
                out.append(np.array([self.mask_id], dtype=np.int64))
            out.append(p)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def decode(self, ids) -> str:
        ids = np.asarray(ids).ravel()
        return "".join(self.blank if i == self.mask_id else super(MaskedVocab, self).decode([i]) for i in ids)


def corpus_ids(val_fraction: float = 0.1):
    """``(vocab, train_ids, val_ids)`` for the book corpus: the last ``val_fraction`` is held out."""
    text = load_corpus()
    vocab = MaskedVocab(text)
    train, val = split_text(text, val_fraction)
    return vocab, vocab.encode(train), vocab.encode(val)


def mask_tokens(ids, rng: np.random.Generator, *, mask_id: int, n_real: int, p_select: float = 0.15,
                p_mask: float = 0.8, p_random: float = 0.1):
    """BERT's masking of a batch of ids ``(B, T)`` (or any shape).

    Args:
        ids: int ids of real characters, ``0..n_real-1``.
        rng: a NumPy ``Generator``; the masks depend on nothing else.
        mask_id: id of ``[M]``. n_real: ``V``; random replacements are drawn from ``0..V-1``.
        p_select: probability that a position is selected for prediction.
        p_mask, p_random: of the selected positions, the share replaced by ``[M]`` and by a
            uniformly random character; the remaining ``1 - p_mask - p_random`` stay unchanged.
            (A random draw can pick the original character, so slightly more than 10% of the
            selected positions end up showing their true character.)

    Returns:
        ``(inputs, targets, selected)``: the corrupted ids, the original id at selected positions
        and :data:`IGNORE` elsewhere, and the boolean selection; all of the shape of ``ids``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if not (0 < p_select < 1 and 0 <= p_mask and 0 <= p_random and p_mask + p_random <= 1):
        raise ValueError(f"bad probabilities: p_select={p_select}, p_mask={p_mask}, p_random={p_random}")
    if ids.size and (ids.min() < 0 or ids.max() >= n_real):
        raise ValueError(f"ids must be real characters in 0..{n_real - 1}")
    selected = rng.random(ids.shape) < p_select
    action = rng.random(ids.shape)  # one uniform draw decides [M] / random / unchanged
    to_mask = selected & (action < p_mask)
    to_random = selected & (action >= p_mask) & (action < p_mask + p_random)
    inputs = ids.copy()
    inputs[to_mask] = mask_id
    inputs[to_random] = rng.integers(0, n_real, size=int(to_random.sum()))
    targets = np.where(selected, ids, IGNORE)
    return inputs, targets, selected


def random_windows(ids, n: int, T: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` windows of ``T`` consecutive ids from ``ids``, at uniformly random starts: ``(n, T)``."""
    ids = np.asarray(ids)
    if len(ids) < T:
        raise ValueError(f"text of {len(ids)} ids is shorter than the window T={T}")
    starts = rng.integers(0, len(ids) - T + 1, size=n)
    return ids[starts[:, None] + np.arange(T)[None, :]]


@dataclass(frozen=True)
class MLMBudget:
    """One budget for the three models: same data, masks, steps, batch, optimiser and schedule."""

    T: int = 64              # window length (characters)
    batch_size: int = 32     # windows per step
    steps: int = 600         # optimiser steps
    lr: float = 3e-3         # Adam peak learning rate
    warmup: int = 60         # linear warm-up steps, then cosine decay to 0
    clip: float = 1.0        # global gradient-norm clip
    d_model: int = 64        # E: Transformer width and LSTM embedding size
    n_heads: int = 4         # Transformer heads
    n_layers: int = 2        # Transformer encoder layers (the LSTMs have one layer)
    lstm_hidden: int = 128   # H of the left-to-right LSTM
    bilstm_hidden: int = 64  # H per direction of the BiLSTM
    positions: str = "sinusoidal"  # Transformer positions: fixed sinusoidal or "learned" (BERT's)
    num_threads: int = 1     # torch threads: one keeps results identical run to run


DEFAULT_BUDGET = MLMBudget()

# The chapter's budget: 3000 steps of 64 windows of 32 characters (about 6.1 million characters
# read, 0.9 million of them predicted), the same for all three models. Trained once by
# ``scripts/make_mlm_results.py``; see :func:`load_pretrained`.
PRETRAIN_BUDGET = MLMBudget(T=32, batch_size=64, steps=3000, lr=1e-3, warmup=300)
RESULTS_FILE = "mlm_results.json"
WEIGHTS_FILE = "mlm_weights.npz"


def make_mlm_model(kind: str, vocab: MaskedVocab, budget: MLMBudget = DEFAULT_BUDGET):
    """``"bert"``, ``"lstm"`` or ``"bilstm"``: ids ``(B, T)`` (with ``[M]``) -> logits ``(B, T, V)``.

    Returns ``(net, n_parameters)``.
    """
    import torch
    from torch import nn

    from lstm_tutorial.transformer import TransformerEncoderModel, count_parameters

    V, E = len(vocab), budget.d_model
    if kind == "bert":
        net = TransformerEncoderModel(vocab_size=vocab.size, d_model=E, n_heads=budget.n_heads,
                                      n_layers=budget.n_layers, max_len=budget.T, positions=budget.positions,
                                      head="token", n_outputs=V)
    elif kind in ("lstm", "bilstm"):
        bi = kind == "bilstm"
        H = budget.bilstm_hidden if bi else budget.lstm_hidden

        class RecurrentMLM(nn.Module):
            """Embedding, one LSTM layer (both directions if ``bi``), a linear head per position."""

            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(vocab.size, E)
                self.lstm = nn.LSTM(E, H, batch_first=True, bidirectional=bi)
                self.head = nn.Linear(H * (2 if bi else 1), V)

            def forward(self, ids: torch.Tensor) -> torch.Tensor:
                out, _ = self.lstm(self.embed(ids))  # (B, T, H) or (B, T, 2H)
                return self.head(out)                 # (B, T, V)

        net = RecurrentMLM()
    else:
        raise ValueError(f"kind must be 'bert', 'lstm' or 'bilstm', got {kind!r}")
    return net, count_parameters(net)


def _lr(step: int, budget: MLMBudget) -> float:
    if step <= budget.warmup:
        return budget.lr * step / max(budget.warmup, 1)
    progress = (step - budget.warmup) / max(budget.steps - budget.warmup, 1)
    return budget.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def heldout_loss(net, vocab: MaskedVocab, ids, *, T: int, n_windows: int = 128, seed: int = 999) -> float:
    """Masked-LM cross-entropy (nats per selected character) on fixed masked windows of ``ids``."""
    import torch

    ids = np.asarray(ids)
    n = min(n_windows, len(ids) // T)
    x = ids[: n * T].reshape(n, T)
    inputs, targets, _ = mask_tokens(x, np.random.default_rng(seed), mask_id=vocab.mask_id, n_real=len(vocab))
    was_training = net.training
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(inputs))
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.from_numpy(targets).flatten(),
                                                 ignore_index=IGNORE)
    net.train(was_training)
    return float(loss)


def train_mlm(kind: str, *, seed: int = 0, budget: MLMBudget = DEFAULT_BUDGET, data=None,
              eval_every: int = 0) -> dict:
    """Train one model with the masked-LM objective on the corpus's training part.

    Step ``s`` draws ``batch_size`` random windows and their masks from
    ``np.random.default_rng([seed, s])``, so the three models see identical batches. Loss:
    cross-entropy at the selected positions only. With ``eval_every > 0``, the loss on fixed
    masked windows of the held-out text (:func:`heldout_loss`) is recorded every ``eval_every``
    steps (and at step 0).

    Returns:
        ``{"kind", "net", "n_parameters", "loss" (per step, 4 decimals), "val_loss" (list of
        ``[step, loss]``), "wall_time_s", "budget"}``.
    """
    import torch

    vocab, train_ids, val_ids = data or corpus_ids()
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net, n_params = make_mlm_model(kind, vocab, budget)
        opt = torch.optim.Adam(net.parameters(), lr=budget.lr)
        losses, val_losses, t0 = [], [], time.perf_counter()
        if eval_every:
            val_losses.append([0, round(heldout_loss(net, vocab, val_ids, T=budget.T), 4)])
        net.train()
        for step in range(1, budget.steps + 1):
            rng = np.random.default_rng([seed, step])
            x = random_windows(train_ids, budget.batch_size, budget.T, rng)
            inputs, targets, _ = mask_tokens(x, rng, mask_id=vocab.mask_id, n_real=len(vocab))
            for g in opt.param_groups:
                g["lr"] = _lr(step, budget)
            logits = net(torch.from_numpy(inputs))  # (B, T, V)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.from_numpy(targets).flatten(),
                                                     ignore_index=IGNORE)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), budget.clip)
            opt.step()
            losses.append(round(float(loss.detach()), 4))
            if eval_every and step % eval_every == 0:
                val_losses.append([step, round(heldout_loss(net, vocab, val_ids, T=budget.T), 4)])
        net.eval()
        return {"kind": kind, "net": net, "n_parameters": n_params, "loss": losses, "val_loss": val_losses,
                "wall_time_s": round(time.perf_counter() - t0, 2), "budget": asdict(budget)}


def masking_fractions(ids, inputs, selected, *, mask_id: int) -> dict:
    """What :func:`mask_tokens` did to a batch, measured: ``ids``, ``inputs``, ``selected`` ``(B, T)``.

    Returns ``{"selected"}`` (share of all positions) and, as shares of the *selected* positions,
    ``"mask"`` (show ``[M]``), ``"random"`` (show a different character) and ``"unchanged"``
    (show their own character, including random draws that happened to hit it), and ``"n"``
    (all positions) and ``"n_selected"``.
    """
    ids, inputs, selected = np.asarray(ids), np.asarray(inputs), np.asarray(selected, dtype=bool)
    s = int(selected.sum())
    if s == 0:
        raise ValueError("no position is selected")
    shown = inputs[selected]
    return {"selected": s / selected.size, "mask": float(np.mean(shown == mask_id)),
            "random": float(np.mean((shown != mask_id) & (shown != ids[selected]))),
            "unchanged": float(np.mean(shown == ids[selected])), "n": int(selected.size), "n_selected": s}


def masked_accuracy(net, vocab: MaskedVocab, ids, *, T: int = 64, n_windows: int = 256, n_draws: int = 1,
                    seed: int = 12345) -> dict:
    """Top-1 accuracy at the selected positions of fixed masked windows of held-out ``ids``.

    The windows tile ``ids`` without overlap (at most ``n_windows`` of them); each of ``n_draws``
    independent maskings (:func:`mask_tokens` with ``default_rng([seed, d])``) is scored, so every
    model is scored on the very same corrupted text and more draws give more predictions from the
    same text. Returns ``{"accuracy", "n_predicted", "by_input"}`` where ``by_input`` splits the
    accuracy by what the input showed at the position: ``"mask"`` (``[M]``, about 80%),
    ``"random"`` (another character) and ``"unchanged"`` (its own character).
    """
    import torch

    ids = np.asarray(ids)
    n = min(n_windows, len(ids) // T)
    if n < 1:
        raise ValueError(f"held-out text of {len(ids)} ids is shorter than one window T={T}")
    x = ids[: n * T].reshape(n, T)
    hits = {"all": [], "mask": [], "random": [], "unchanged": []}
    net.eval()
    for d in range(n_draws):
        inputs, _, selected = mask_tokens(x, np.random.default_rng([seed, d]), mask_id=vocab.mask_id,
                                          n_real=len(vocab))
        with torch.no_grad():
            pred = net(torch.from_numpy(inputs)).argmax(-1).numpy()  # (n, T)
        hit = pred == x
        kinds = {"all": selected, "mask": selected & (inputs == vocab.mask_id),
                 "random": selected & (inputs != vocab.mask_id) & (inputs != x),
                 "unchanged": selected & (inputs == x)}
        for k, where in kinds.items():
            hits[k].append(hit[where])
    hits = {k: np.concatenate(v) for k, v in hits.items()}
    return {"accuracy": float(hits["all"].mean()), "n_predicted": int(hits["all"].size),
            "by_input": {k: float(hits[k].mean()) if hits[k].size else float("nan")
                         for k in ("mask", "random", "unchanged")}}


def fill_in(net, vocab: MaskedVocab, text: str, top: int = 3) -> list[list[tuple[str, float]]]:
    """The ``top`` most likely characters, with probabilities, for each blank (``_``) in ``text``."""
    import torch

    ids = vocab.encode(text)
    blanks = np.flatnonzero(ids == vocab.mask_id)
    if not len(blanks):
        raise ValueError(f"text has no blank {vocab.blank!r}")
    net.eval()
    with torch.no_grad():
        probs = torch.softmax(net(torch.from_numpy(ids)[None]), dim=-1)[0].numpy()  # (T, V)
    out = []
    for t in blanks:
        order = np.argsort(-probs[t], kind="stable")[:top]
        out.append([(vocab.chars[i], float(probs[t, i])) for i in order])
    return out


def save_models(nets: dict, path) -> None:
    """Write the parameters of ``{kind: net}`` to one ``.npz`` (float32 arrays named ``kind/param``).

    Plain arrays only: :func:`load_models` reads them with ``allow_pickle=False``.
    """
    arrays = {f"{kind}/{name}": t.detach().cpu().numpy() for kind, net in nets.items()
              for name, t in net.state_dict().items()}
    np.savez_compressed(path, **arrays)


def load_models(path, vocab: MaskedVocab, budget: MLMBudget = DEFAULT_BUDGET) -> dict:
    """``{kind: net}`` rebuilt with :func:`make_mlm_model` and filled from a :func:`save_models` file."""
    import torch

    nets = {}
    with np.load(path, allow_pickle=False) as z:
        kinds = sorted({k.split("/", 1)[0] for k in z.files})
        for kind in kinds:
            net, _ = make_mlm_model(kind, vocab, budget)
            state = {k.split("/", 1)[1]: torch.from_numpy(z[k]) for k in z.files if k.startswith(kind + "/")}
            net.load_state_dict(state)  # strict: a missing or unexpected array raises
            net.eval()
            nets[kind] = net
    return nets


def load_pretrained():
    """``(results, nets)`` from ``resources/``: the JSON record and ``{kind: net}`` in eval mode.

    Written by ``scripts/make_mlm_results.py`` with :data:`PRETRAIN_BUDGET`; ``results`` holds the
    budget, and per model the parameter count, the training and held-out loss curves and the
    held-out accuracy.
    """
    import json
    from importlib import resources

    base = resources.files("lstm_tutorial") / "resources"
    results = json.loads((base / RESULTS_FILE).read_text())
    budget = MLMBudget(**results["budget"])
    vocab = corpus_ids()[0]
    with resources.as_file(base / WEIGHTS_FILE) as path:
        nets = load_models(path, vocab, budget)
    return results, nets
