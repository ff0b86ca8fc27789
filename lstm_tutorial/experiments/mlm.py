"""BERT in miniature: masked-language-model training on the book's corpus, character level.

Sizes: ``B`` batch, ``T`` window length, ``V`` number of characters, ``E`` model width,
``H`` LSTM hidden size. Ids are batch-first ``(B, T)``.

- :class:`MaskedVocab`: the corpus characters (:class:`lstm_tutorial.data.text.CharVocab`) plus one
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
  and :func:`load_pretrained`: the three models trained once by ``python -m lstm_tutorial.experiments.mlm``
  and stored in ``resources/``.

The Transformer uses fixed sinusoidal positions by default (``MLMBudget.positions``): with
BERT's learned position vectors, initialised small, this tiny model trained on one small corpus
stays near the context-free loss for most of the chapter's budget (the script records that run).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import partial
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from lstm_tutorial.data.masking import IGNORE, mask_tokens
from lstm_tutorial.data.text import MaskedVocab, corpus_ids, random_windows
from lstm_tutorial.frameworks.torch_models import TokenLSTM
from lstm_tutorial.frameworks.training import train_torch, warmup_cosine
from lstm_tutorial.frameworks.transformer import (
    TransformerEncoderModel,
    count_parameters,
)
from lstm_tutorial.repro import limit_threads

__all__ = [
    "MLMBudget",
    "DEFAULT_BUDGET",
    "PRETRAIN_BUDGET",
    "make_mlm_model",
    "heldout_loss",
    "train_mlm",
    "masked_accuracy",
    "fill_in",
    "save_models",
    "load_models",
    "load_pretrained",
]


@dataclass(frozen=True)
class MLMBudget:
    """One budget for the three models: same data, masks, steps, batch, optimiser and schedule."""

    T: int = 64  # window length (characters)
    batch_size: int = 32  # windows per step
    steps: int = 600  # optimiser steps
    lr: float = 3e-3  # Adam peak learning rate
    warmup: int = 60  # linear warm-up steps, then cosine decay to 0
    clip: float = 1.0  # global gradient-norm clip
    d_model: int = 64  # E: Transformer width and LSTM embedding size
    n_heads: int = 4  # Transformer heads
    n_layers: int = 2  # Transformer encoder layers (the LSTMs have one layer)
    lstm_hidden: int = 128  # H of the left-to-right LSTM
    bilstm_hidden: int = 64  # H per direction of the BiLSTM
    positions: str = "sinusoidal"  # Transformer positions: fixed sinusoidal or "learned" (BERT's)
    num_threads: int = 1  # torch threads: one keeps results identical run to run


DEFAULT_BUDGET = MLMBudget()


# The chapter's budget: 3000 steps of 64 windows of 32 characters (about 6.1 million characters
# read, 0.9 million of them predicted), the same for all three models. Trained once by
# ``python -m lstm_tutorial.experiments.mlm``; see :func:`load_pretrained`.
PRETRAIN_BUDGET = MLMBudget(T=32, batch_size=64, steps=3000, lr=1e-3, warmup=300)


RESULTS_FILE = "mlm_results.json"


WEIGHTS_FILE = "mlm_weights.npz"


def make_mlm_model(kind: str, vocab: MaskedVocab, budget: MLMBudget = DEFAULT_BUDGET):
    """``"bert"``, ``"lstm"`` or ``"bilstm"``: ids ``(B, T)`` (with ``[M]``) -> logits ``(B, T, V)``.

    ``"bert"`` is :class:`~lstm_tutorial.frameworks.transformer.TransformerEncoderModel`; the two
    LSTMs are :class:`~lstm_tutorial.frameworks.torch_models.TokenLSTM`. Returns ``(net, n_parameters)``.
    """
    V, E = len(vocab), budget.d_model
    if kind == "bert":
        net = TransformerEncoderModel(
            vocab_size=vocab.size,
            d_model=E,
            n_heads=budget.n_heads,
            n_layers=budget.n_layers,
            max_len=budget.T,
            positions=budget.positions,
            head="token",
            n_outputs=V,
        )
    elif kind in ("lstm", "bilstm"):
        bi = kind == "bilstm"
        net = TokenLSTM(vocab.size, E, budget.bilstm_hidden if bi else budget.lstm_hidden, V, bidirectional=bi)
    else:
        raise ValueError(f"kind must be 'bert', 'lstm' or 'bilstm', got {kind!r}")
    return net, count_parameters(net)


def heldout_loss(net, vocab: MaskedVocab, ids, *, T: int, n_windows: int = 128, seed: int = 999) -> float:
    """Masked-LM cross-entropy (nats per selected character) on fixed masked windows of ``ids``."""
    ids = np.asarray(ids)
    n = min(n_windows, len(ids) // T)
    x = ids[: n * T].reshape(n, T)
    inputs, targets, _ = mask_tokens(x, np.random.default_rng(seed), mask_id=vocab.mask_id, n_real=len(vocab))
    was_training = net.training
    net.eval()
    with torch.no_grad():
        loss = masked_cross_entropy(net(torch.from_numpy(inputs)), torch.from_numpy(targets))
    net.train(was_training)
    return float(loss)


def train_mlm(kind: str, *, seed: int = 0, budget: MLMBudget = DEFAULT_BUDGET, data=None, eval_every: int = 0) -> dict:
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
    vocab, train_ids, val_ids = data or corpus_ids()
    with limit_threads(budget.num_threads, blas=False):
        torch.manual_seed(seed)
        net, n_params = make_mlm_model(kind, vocab, budget)
        val_losses, t0 = [], time.perf_counter()
        if eval_every:
            val_losses.append([0, round(heldout_loss(net, vocab, val_ids, T=budget.T), 4)])

        def batch(step: int):
            rng = np.random.default_rng([seed, step])
            x = random_windows(train_ids, budget.batch_size, budget.T, rng)
            inputs, targets, _ = mask_tokens(x, rng, mask_id=vocab.mask_id, n_real=len(vocab))
            return torch.from_numpy(inputs), torch.from_numpy(targets)

        def record(step: int, loss: float) -> None:
            if eval_every and step % eval_every == 0:
                val_losses.append([step, round(heldout_loss(net, vocab, val_ids, T=budget.T), 4)])

        history = train_torch(
            net,
            (batch(s) for s in range(1, budget.steps + 1)),
            masked_cross_entropy,
            steps=budget.steps,
            lr=budget.lr,
            clip=budget.clip,
            on_step=record,
            progress=False,
            lr_schedule=partial(warmup_cosine, peak=budget.lr, warmup=budget.warmup, total=budget.steps),
        )
        net.eval()
        return {
            "kind": kind,
            "net": net,
            "n_parameters": n_params,
            "loss": history["loss"],
            "val_loss": val_losses,
            "wall_time_s": round(time.perf_counter() - t0, 2),
            "budget": asdict(budget),
        }


def masked_cross_entropy(logits, targets):
    """Cross-entropy at the selected positions: ``logits (B, T, V)``, ``targets (B, T)`` with
    :data:`~lstm_tutorial.data.masking.IGNORE` where a position is not selected."""
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)


def masked_accuracy(
    net, vocab: MaskedVocab, ids, *, T: int = 64, n_windows: int = 256, n_draws: int = 1, seed: int = 12345
) -> dict:
    """Top-1 accuracy at the selected positions of fixed masked windows of held-out ``ids``.

    The windows tile ``ids`` without overlap (at most ``n_windows`` of them); each of ``n_draws``
    independent maskings (:func:`mask_tokens` with ``default_rng([seed, d])``) is scored, so every
    model is scored on the very same corrupted text and more draws give more predictions from the
    same text. Returns ``{"accuracy", "n_predicted", "by_input"}`` where ``by_input`` splits the
    accuracy by what the input showed at the position: ``"mask"`` (``[M]``, about 80%),
    ``"random"`` (another character) and ``"unchanged"`` (its own character).
    """
    ids = np.asarray(ids)
    n = min(n_windows, len(ids) // T)
    if n < 1:
        raise ValueError(f"held-out text of {len(ids)} ids is shorter than one window T={T}")
    x = ids[: n * T].reshape(n, T)
    hits = {"all": [], "mask": [], "random": [], "unchanged": []}
    net.eval()
    for d in range(n_draws):
        inputs, _, selected = mask_tokens(x, np.random.default_rng([seed, d]), mask_id=vocab.mask_id, n_real=len(vocab))
        with torch.no_grad():
            pred = net(torch.from_numpy(inputs)).argmax(-1).numpy()  # (n, T)
        hit = pred == x
        kinds = {
            "all": selected,
            "mask": selected & (inputs == vocab.mask_id),
            "random": selected & (inputs != vocab.mask_id) & (inputs != x),
            "unchanged": selected & (inputs == x),
        }
        for k, where in kinds.items():
            hits[k].append(hit[where])
    hits = {k: np.concatenate(v) for k, v in hits.items()}
    return {
        "accuracy": float(hits["all"].mean()),
        "n_predicted": int(hits["all"].size),
        "by_input": {
            k: float(hits[k].mean()) if hits[k].size else float("nan") for k in ("mask", "random", "unchanged")
        },
    }


def fill_in(net, vocab: MaskedVocab, text: str, top: int = 3) -> list[list[tuple[str, float]]]:
    """The ``top`` most likely characters, with probabilities, for each blank (``_``) in ``text``."""
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
    arrays = {
        f"{kind}/{name}": t.detach().cpu().numpy() for kind, net in nets.items() for name, t in net.state_dict().items()
    }
    np.savez_compressed(path, **arrays)


def load_models(path, vocab: MaskedVocab, budget: MLMBudget = DEFAULT_BUDGET) -> dict:
    """``{kind: net}`` rebuilt with :func:`make_mlm_model` and filled from a :func:`save_models` file."""
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

    Written by ``python -m lstm_tutorial.experiments.mlm`` with :data:`PRETRAIN_BUDGET`; ``results`` holds the
    budget, and per model the parameter count, the training and held-out loss curves and the
    held-out accuracy.
    """
    base = resources.files("lstm_tutorial") / "resources"
    results = json.loads((base / RESULTS_FILE).read_text())
    budget = MLMBudget(**results["budget"])
    vocab = corpus_ids()[0]
    with resources.as_file(base / WEIGHTS_FILE) as path:
        nets = load_models(path, vocab, budget)
    return results, nets


RUNS = {
    "bert": ("bert", {}),
    "lstm": ("lstm", {}),
    "bilstm": ("bilstm", {}),
    "bert_learned": ("bert", {"positions": "learned"}),
}
EVAL_EVERY = 100
BLOCK = 50  # training losses are stored as means over blocks of this many steps
N_RAW = 50  # ... and the first N_RAW per-step losses raw, for the test
ACC_DRAWS = 8  # maskings of the held-out text scored for the accuracy


def pretrain(name: str, steps: int | None = None) -> dict:
    """One of :data:`RUNS` under :data:`PRETRAIN_BUDGET` (``steps`` shortens it for a smoke run):
    its JSON record and its weights."""
    kind, change = RUNS[name]
    budget = replace(PRETRAIN_BUDGET, **change)
    if steps:
        budget = replace(budget, steps=steps, warmup=steps // 10)
    data = corpus_ids()
    vocab, _, val = data
    r = train_mlm(kind, budget=budget, data=data, eval_every=EVAL_EVERY)
    acc = masked_accuracy(r["net"], vocab, val, T=budget.T, n_draws=ACC_DRAWS)
    loss = np.asarray(r["loss"])
    record = {
        "kind": kind,
        "budget": asdict(budget),
        "n_parameters": r["n_parameters"],
        "loss_first": r["loss"][:N_RAW],
        "loss_blocks": [round(float(b.mean()), 4) for b in loss.reshape(-1, BLOCK)],
        "val_loss": r["val_loss"],
        "accuracy": round(acc["accuracy"], 4),
        "accuracy_by_input": {k: round(v, 4) for k, v in acc["by_input"].items()},
        "n_predicted": acc["n_predicted"],
        "wall_time_s": r["wall_time_s"],
    }
    print(
        f"{name:>13}: {record['n_parameters']:7d} parameters, held-out accuracy {record['accuracy']:.3f}, "
        f"{record['wall_time_s']:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    state = {k: v.detach().numpy().copy() for k, v in r["net"].state_dict().items()}
    return {"name": name, "record": record, "state": state}


def main(argv=None) -> int:
    """Train the three models of ``bert`` (and BERT with learned positions) once; store the record
    and the weights in ``resources/`` (about 10 minutes on 2 cores)."""
    resources_dir = Path(__file__).resolve().parent.parent / "resources"
    ap = argparse.ArgumentParser(description="Pretrain the masked-language models of Part V and store them.")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=None, help="smoke test: fewer steps (needs --out)")
    ap.add_argument("--out", type=Path, default=resources_dir, help="output folder")
    args = ap.parse_args(argv)
    if args.steps and args.out.resolve() == resources_dir:
        ap.error("--steps is for smoke runs: give --out another folder")
    args.out.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(args.workers) as pool:
        out = list(pool.map(pretrain, RUNS, [args.steps] * len(RUNS)))
    results = {
        "budget": asdict(PRETRAIN_BUDGET),
        "eval_every": EVAL_EVERY,
        "block": BLOCK,
        "acc_draws": ACC_DRAWS,
        "machine": f"{platform.machine()} {platform.processor()}".strip(),
        "runs": {o["name"]: o["record"] for o in out},
    }
    arrays = {
        f"{o['name']}/{k}": v for o in out if o["name"] in ("bert", "lstm", "bilstm") for k, v in o["state"].items()
    }
    np.savez_compressed(args.out / WEIGHTS_FILE, **arrays)
    (args.out / RESULTS_FILE).write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out / RESULTS_FILE} and {args.out / WEIGHTS_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
