"""Decoding one trained encoder-decoder: accuracy and log-probability against beam width, and sampling.

The models are chapter 1's ``"reverse"`` runs without attention, trained again under exactly its
budget (:data:`lstm_tutorial.experiments.seq2seq.CONFIGS`, one model per seed, float64, one
thread). Without attention a reversed sequence past about ten symbols is beyond what greedy
decoding gets right, so the search has room to matter. Their weights are stored
(``resources/decoding_weights.npz``, plain arrays, read with ``allow_pickle=False``), so the
chapter decodes exactly the models of the table.

On a fixed slice of chapter 1's test set (:func:`decode_test_set`), each model decodes every
source with greedy decoding (the baseline), and with :func:`~lstm_tutorial.frameworks.decoding.beam_search`
at each beam width of :data:`DecodingConfig.beam_widths`, with and without length normalisation
(``alpha``). For each output it records whether it is the reference, ``log p(output | x)``,
``log p(reference | x)`` and the output length. An output that is wrong although
``log p(reference) > log p(output)`` is a **search error** (the model prefers the reference;
the search did not find it); one with ``log p(output) >= log p(reference)`` is a **model
error** (a better search would not help). Sampling (:func:`sampling_rows`) draws
``n_samples`` outputs per source at several temperatures and top-``k`` cuts.

- :class:`DecodingConfig`; :data:`CONFIG`.
- :func:`save_weights` / :func:`load_weights` / :func:`load_model`: the trained models, as plain arrays.
- :func:`decode_pairs`, :func:`beam_rows`, :func:`sampling_rows`: the measurements of one model.
- :func:`run` / :func:`main` write ``resources/decoding_results.json`` and the weights
  (``python -m lstm_tutorial.experiments.decoding``); :func:`load_decoding_results` reads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from lstm_tutorial.data import seq2seq as tasks
from lstm_tutorial.experiments import seq2seq as ex
from lstm_tutorial.experiments.results import RESOURCES, load_results, save_results, versions
from lstm_tutorial.frameworks import decoding as dec
from lstm_tutorial.frameworks.seq2seq import Seq2Seq
from lstm_tutorial.repro import limit_threads

__all__ = [
    "DECODING_RESULTS",
    "WEIGHTS_FILE",
    "DecodingConfig",
    "CONFIG",
    "decode_test_set",
    "save_weights",
    "load_weights",
    "load_model",
    "encode_pairs",
    "decode_pairs",
    "beam_rows",
    "sampling_rows",
    "summary",
    "run",
    "main",
    "load_decoding_results",
]

DECODING_RESULTS = "decoding_results"
WEIGHTS_FILE = "decoding_weights.npz"


@dataclass(frozen=True)
class DecodingConfig:
    """What is decoded, and how; every field is stored with the results."""

    train: str = "reverse"  # the label of chapter 1's config (its budget, unchanged) the models are trained with
    seeds: tuple[int, ...] = (0, 1, 2)  # one trained model per seed
    per_length: int = 25  # sources per source length: the first of chapter 1's 100 test pairs at each length
    beam_widths: tuple[int, ...] = (1, 2, 4, 8, 16)  # K; width 1 with alpha 0 is greedy (checked on every source)
    alphas: tuple[float, ...] = (0.0, 1.0)  # length normalisation: score = log p(y | x) / |y|^alpha
    extra_steps: int = 5  # max_len = source length + extra_steps (the target needs source length + 1)
    temperatures: tuple[float, ...] = (0.5, 1.0, 1.5)  # sampling over the whole vocabulary
    top_ks: tuple[int, ...] = (2, 3)  # sampling at temperature 1 from the k most likely tokens
    sample_lengths: tuple[int, ...] = (8, 12, 16)  # source lengths sampled from (per_length sources each)
    n_samples: int = 10  # samples per source

    def __post_init__(self):
        if self.train not in ex.CONFIGS:
            raise ValueError(f"train must be a label of seq2seq.CONFIGS {sorted(ex.CONFIGS)}, got {self.train!r}")
        if not self.seeds:
            raise ValueError("seeds must hold at least one seed")
        for name in ("per_length", "extra_steps", "n_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not self.beam_widths or min(self.beam_widths) < 1:
            raise ValueError(f"beam_widths must be positive ints, got {self.beam_widths}")

    @property
    def seq2seq(self) -> ex.Seq2SeqConfig:
        return ex.CONFIGS[self.train]


CONFIG = DecodingConfig()


def decode_test_set(config: DecodingConfig = CONFIG) -> list[tuple[list[str], list[str]]]:
    """The first ``per_length`` pairs of each source length of chapter 1's fixed test set."""
    seen: dict[int, int] = {}
    out = []
    for src, tgt in ex.make_test_set(config.seq2seq):
        if seen.get(len(src), 0) < config.per_length:
            seen[len(src)] = seen.get(len(src), 0) + 1
            out.append((src, tgt))
    return out


# --------------------------------------------------------------------------------------------
# Weights as plain arrays


def save_weights(models: dict[int, Seq2Seq], path=None) -> str:
    """Write ``{seed: model}`` to one ``.npz``: arrays named ``seed<k>/<parameter name>``, in the model's dtype."""
    path = RESOURCES / WEIGHTS_FILE if path is None else path
    arrays = {
        f"seed{seed}/{name}": t.detach().cpu().numpy()
        for seed, m in models.items()
        for name, t in m.state_dict().items()
    }
    np.savez_compressed(path, **arrays)
    return str(path)


def load_weights(path=None) -> dict[int, dict[str, np.ndarray]]:
    """``{seed: {parameter name: array}}`` from :func:`save_weights`'s file, read without pickle."""
    path = RESOURCES / WEIGHTS_FILE if path is None else path
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run python -m lstm_tutorial.experiments.decoding to make it")
    out: dict[int, dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as z:
        for key in z.files:
            seed, name = key.split("/", 1)
            out.setdefault(int(seed[len("seed") :]), {})[name] = z[key]
    return out


def load_model(seed: int, config: DecodingConfig = CONFIG, weights: dict | None = None) -> Seq2Seq:
    """The trained model of ``seed``: :func:`~lstm_tutorial.experiments.seq2seq.build_model`, then the weights."""
    weights = load_weights() if weights is None else weights
    if seed not in weights:
        raise ValueError(f"seed {seed} has no stored weights; stored seeds: {sorted(weights)}")
    model = ex.build_model(config.seq2seq, seed)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights[seed].items()}, strict=True)
    return model.eval()


# --------------------------------------------------------------------------------------------
# Measurements


def encode_pairs(pairs, config: DecodingConfig = CONFIG) -> tuple[torch.Tensor, ...]:
    """``(src, src_lengths, tgt_in, tgt_out)`` tensors of ``pairs`` in the task's vocabularies."""
    task = ex.make_task(config.seq2seq)
    b = tasks.make_batch(pairs, task.src_vocab, task.tgt_vocab)
    return tuple(torch.from_numpy(a) for a in (b.src, b.src_lengths, b.tgt_in, b.tgt_out))


def _outputs_as_targets(outputs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(tgt_in, tgt_out)`` for decoded id lists (each without ``BOS``, ending in ``EOS`` if it ended)."""
    T = max(len(o) for o in outputs)
    tgt_in = torch.zeros(len(outputs), T, dtype=torch.long)
    tgt_out = torch.zeros(len(outputs), T, dtype=torch.long)
    for r, o in enumerate(outputs):
        tgt_in[r, 0] = tasks.Vocab.bos_id
        tgt_in[r, 1 : len(o)] = torch.tensor(o[:-1], dtype=torch.long)
        tgt_out[r, : len(o)] = torch.tensor(o, dtype=torch.long)
    return tgt_in, tgt_out


def _strip(row: list[int]) -> list[int]:
    """A greedy or sampled row up to and including its ``EOS`` (all of it if it has none)."""
    return row[: row.index(tasks.Vocab.eos_id) + 1] if tasks.Vocab.eos_id in row else row


def decode_pairs(model: Seq2Seq, pairs, method: str, config: DecodingConfig = CONFIG, **kwargs) -> dict:
    """Decode every source of ``pairs`` with ``method`` (``"greedy"``, ``"beam"``); per-pair arrays.

    ``kwargs`` go to :func:`~lstm_tutorial.frameworks.decoding.beam_search` (``beam_width``,
    ``alpha``). Returns ``{"length", "correct", "out_length", "logp_out", "logp_ref"}``: the
    source length, 1 if the output is the reference (``EOS`` included), the output's length
    (``EOS`` included), and both log-probabilities under the model.
    """
    src, lengths, tgt_in, tgt_out = encode_pairs(pairs, config)
    outputs = []
    if method == "greedy":
        for L in sorted(set(lengths.tolist())):
            rows = torch.nonzero(lengths == L)[:, 0]
            step, state, _ = dec.seq2seq_start(model, src[rows, :L], lengths[rows])
            ids = dec.greedy_decode(step, state, len(rows), L + config.extra_steps)
            outputs.extend((int(r), _strip(ids[k].tolist())) for k, r in enumerate(rows))
        outputs = [o for _, o in sorted(outputs)]
    elif method == "beam":
        for r in range(len(pairs)):
            L = int(lengths[r])
            step, state, reorder = dec.seq2seq_start(model, src[r : r + 1, :L], lengths[r : r + 1])
            best = dec.beam_search(step, state, L + config.extra_steps, reorder=reorder, **kwargs)[0]
            outputs.append(list(best.tokens))
    else:
        raise ValueError(f"method must be 'greedy' or 'beam', got {method!r}")
    out_in, out_out = _outputs_as_targets(outputs)
    logp_out = dec.sequence_log_prob(model, src, lengths, out_in, out_out, torch.tensor([len(o) for o in outputs]))
    logp_ref = dec.sequence_log_prob(model, src, lengths, tgt_in, tgt_out)
    ref = [_strip(row) for row in tgt_out.tolist()]
    return {
        "length": lengths.numpy().astype(np.int64),
        "correct": np.array([o == t for o, t in zip(outputs, ref)], dtype=np.int64),
        "out_length": np.array([len(o) for o in outputs], dtype=np.int64),
        "ref_length": np.array([len(t) for t in ref], dtype=np.int64),
        "logp_out": logp_out.numpy(),
        "logp_ref": logp_ref.numpy(),
        "outputs": outputs,
    }


def summary(d: dict) -> dict:
    """Means over the pairs of :func:`decode_pairs`: accuracy, log-probabilities, lengths, error kinds."""
    wrong = d["correct"] == 0
    return {
        "seq_acc": float(d["correct"].mean()),
        "mean_logp_out": float(d["logp_out"].mean()),
        "mean_logp_ref": float(d["logp_ref"].mean()),
        "mean_length_diff": float((d["out_length"] - d["ref_length"]).mean()),
        "search_errors": int((wrong & (d["logp_ref"] > d["logp_out"])).sum()),
        "model_errors": int((wrong & (d["logp_ref"] <= d["logp_out"])).sum()),
        "n": int(d["correct"].size),
    }


def _by_length(d: dict) -> list[dict]:
    rows = []
    for L in np.unique(d["length"]):
        m = d["length"] == L
        rows.append(
            {
                "length": int(L),
                "seq_acc": float(d["correct"][m].mean()),
                "mean_logp_out": float(d["logp_out"][m].mean()),
            }
        )
    return rows


def beam_rows(model: Seq2Seq, pairs, config: DecodingConfig = CONFIG) -> dict:
    """Greedy and every (beam width, alpha) of ``config`` on ``pairs``: ``{"greedy": row, "beam": [rows]}``.

    Each row is :func:`summary` plus ``by_length`` accuracy; ``greedy_equals_beam1`` counts the
    sources whose greedy output is exactly the output of beam width 1 without normalisation.
    """
    greedy = decode_pairs(model, pairs, "greedy", config)
    out = {"greedy": {**summary(greedy), "by_length": _by_length(greedy)}, "beam": []}
    for alpha in config.alphas:
        for K in config.beam_widths:
            d = decode_pairs(model, pairs, "beam", config, beam_width=K, alpha=alpha)
            out["beam"].append({"beam_width": K, "alpha": alpha, **summary(d), "by_length": _by_length(d)})
            if K == 1 and alpha == 0:
                out["greedy_equals_beam1"] = int(sum(a == b for a, b in zip(d["outputs"], greedy["outputs"])))
    return out


def sampling_rows(model: Seq2Seq, pairs, config: DecodingConfig = CONFIG, *, seed: int = 0) -> list[dict]:
    """``n_samples`` samples per source at each temperature (whole vocabulary) and each top-``k`` (temperature 1).

    Each row: ``temperature``, ``top_k``, ``sample_acc`` (the fraction of samples that are the
    reference), ``any_correct`` (the fraction of sources with at least one right sample),
    ``distinct`` (mean number of distinct outputs per source), ``mean_logp`` (of the samples,
    under the untempered model). One ``torch.Generator`` seeded with ``[seed]`` per row.
    """
    src, lengths, tgt_in, tgt_out = encode_pairs(pairs, config)
    ref = [_strip(row) for row in tgt_out.tolist()]
    settings = [(t, None) for t in config.temperatures] + [(1.0, k) for k in config.top_ks]
    rows = []
    for temperature, top_k in settings:
        gen = torch.Generator().manual_seed(seed)
        outs: list[list[list[int]]] = [[] for _ in pairs]
        for _ in range(config.n_samples):
            for L in sorted(set(lengths.tolist())):
                idx = torch.nonzero(lengths == L)[:, 0]
                step, state, _ = dec.seq2seq_start(model, src[idx, :L], lengths[idx])
                ids = dec.sample(
                    step, state, len(idx), L + config.extra_steps, generator=gen, temperature=temperature, top_k=top_k
                )
                for k, r in enumerate(idx.tolist()):
                    outs[r].append(_strip(ids[k].tolist()))
        flat = [o for per in outs for o in per]
        rep = torch.arange(len(pairs)).repeat_interleave(config.n_samples)
        o_in, o_out = _outputs_as_targets(flat)
        logp = dec.sequence_log_prob(model, src[rep], lengths[rep], o_in, o_out, torch.tensor([len(o) for o in flat]))
        right = np.array([[o == ref[r] for o in per] for r, per in enumerate(outs)])  # (sources, samples)
        rows.append(
            {
                "temperature": temperature,
                "top_k": top_k,
                "sample_acc": float(right.mean()),
                "any_correct": float(right.any(axis=1).mean()),
                "distinct": float(np.mean([len({tuple(o) for o in per}) for per in outs])),
                "mean_logp": float(logp.mean()),
                "examples": [
                    {"src": pairs[r][0], "samples": [ex.make_task(config.seq2seq).tgt_vocab.decode(o) for o in outs[r]]}
                    for r in (0,)
                ],
            }
        )
    return rows


def config_as_dict(config: DecodingConfig) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}


def run(config: DecodingConfig = CONFIG, *, weights_path=None) -> dict:
    """Train one model per seed (chapter 1's budget), store the weights, then decode; prints progress."""
    t0 = time.perf_counter()
    pairs = decode_test_set(config)
    sample_pairs = [p for p in pairs if len(p[0]) in config.sample_lengths]
    out = {
        "description": "Chapter 1's reverse encoder-decoder (no attention), one model per seed, decoded greedily, with "
        "beam search (widths, with and without length normalisation) and by sampling; sequence accuracy and the "
        "model's log-probability of its outputs and of the references.",
        "versions": versions(),
        "config": config_as_dict(config),
        "train_config": ex.config_as_dict(config.seq2seq),
        "n_pairs": len(pairs),
        "runs": [],
    }
    models = {}
    with limit_threads(1, blas=False):
        for seed in config.seeds:
            t1 = time.perf_counter()
            r = ex.train_seq2seq(config.seq2seq, seed, return_model=True)
            model = models[seed] = r.pop("model").eval()
            t_train = time.perf_counter() - t1
            rows = beam_rows(model, pairs, config)
            samples = sampling_rows(model, sample_pairs, config)
            out["runs"].append(
                {
                    "seed": seed,
                    "final_loss": r["final_loss"],
                    "train_overall": r["overall"],
                    **rows,
                    "sampling": samples,
                }
            )
            best = max(rows["beam"], key=lambda b: b["seq_acc"])
            print(
                f"seed={seed}  train {t_train:.0f}s  greedy acc={rows['greedy']['seq_acc']:.3f}  best beam "
                f"K={best['beam_width']} alpha={best['alpha']} acc={best['seq_acc']:.3f}  "
                f"{time.perf_counter() - t1:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    out["weights"] = save_weights(models, weights_path).rsplit("/", 1)[-1]
    out["total_wall_time_s"] = round(time.perf_counter() - t0, 1)
    return out


def load_decoding_results() -> dict:
    """The cached runs (``lstm_tutorial/resources/decoding_results.json``), as :func:`run` returns them."""
    return load_results(DECODING_RESULTS, made_by="lstm_tutorial.experiments.decoding")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Train chapter 1's reverse models, decode them every way of CONFIG, store decoding_results.json "
        "and decoding_weights.npz (about 5 minutes on one core)."
    )
    parser.parse_args(argv)
    path = save_results(DECODING_RESULTS, run(CONFIG))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
