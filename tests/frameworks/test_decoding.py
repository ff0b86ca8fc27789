"""Greedy, beam search and sampling: on scripted step functions whose log-probabilities are known, and on models."""

import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lstm_tutorial.frameworks import decoding as dec
from lstm_tutorial.frameworks.seq2seq import AttentionDecoder, Decoder, Encoder, Seq2Seq

pytestmark = pytest.mark.disable_socket

PAD, BOS, EOS, A, B = 0, 1, 2, 3, 4
V = 5


def scripted(table: dict, default: dict | None = None):
    """:func:`~lstm_tutorial.frameworks.decoding.table_step` with a call counter and the table's probabilities."""
    default = {EOS: 0.5, A: 0.25, B: 0.25} if default is None else default
    step, state, reorder = dec.table_step(table, V, default)
    calls = []

    def counted(y_prev, state):
        assert y_prev.shape == (state.shape[0],)
        calls.append(state.shape[0])
        return step(y_prev, state)

    def probs(prefix):
        # the step's distribution after `prefix`: feed its last token with the rest as the state
        y = torch.tensor([prefix[-1] if prefix else BOS])
        before = torch.tensor([list(prefix[:-1])], dtype=torch.long).reshape(1, -1)
        return step(y, before)[0][0].exp().numpy()

    return counted, state, reorder, probs, calls


# Greedy takes A (0.6) and then EOS (0.4): p = 0.24. The best output is B EOS: 0.4 * 0.9 = 0.36.
TRAP = {(): {A: 0.6, B: 0.4}, (A,): {EOS: 0.4, A: 0.3, B: 0.3}, (B,): {EOS: 0.9, A: 0.05, B: 0.05}}


def log_p(probs, tokens):
    return sum(math.log(probs(tuple(tokens[:t]))[tok]) for t, tok in enumerate(tokens))


def test_beam_search_finds_the_sequence_greedy_misses():
    step, state, reorder, probs, _ = scripted(TRAP)
    greedy = dec.greedy_decode(step, state, 1, 5)[0].tolist()
    assert greedy[:2] == [A, EOS]
    beams = dec.beam_search(step, state, 5, 2, reorder=reorder)
    assert [h.tokens for h in beams] == [(B, EOS), (A, EOS)]
    assert beams[0].log_prob == pytest.approx(math.log(0.36), abs=1e-5)
    assert beams[1].log_prob == pytest.approx(math.log(0.24), abs=1e-5)
    assert all(h.finished for h in beams)
    one = dec.beam_search(step, state, 5, 1, reorder=reorder)
    assert [h.tokens for h in one] == [(A, EOS)]  # width 1: the greedy trap again


def test_beam_width_one_is_exactly_greedy_on_random_scripts():
    rng = np.random.default_rng(0)
    prefixes = [()] + [p for n in (1, 2, 3) for p in itertools.product((A, B), repeat=n)]
    for _ in range(30):
        table = {p: dict(zip((EOS, A, B), rng.dirichlet([1, 1, 1]))) for p in prefixes}
        step, state, reorder, _, _ = scripted(table, default={EOS: 0.9, A: 0.05, B: 0.05})
        greedy = dec.greedy_decode(step, state, 1, 6)[0].tolist()
        (h,) = dec.beam_search(step, state, 6, 1, reorder=reorder)
        assert list(h.tokens) + [PAD] * (6 - len(h.tokens)) == greedy


def test_a_wide_beam_finds_the_most_likely_sequence_of_all():
    """Width V^T keeps every prefix, so the search is exhaustive: compare with brute force over all outputs."""
    rng = np.random.default_rng(1)
    prefixes = [()] + [p for n in (1, 2) for p in itertools.product((A, B), repeat=n)]
    table = {p: dict(zip((EOS, A, B), rng.dirichlet([1, 1, 1]))) for p in prefixes}
    step, state, reorder, probs, _ = scripted(table)
    max_len = 3
    candidates = [(*p, EOS) for n in range(max_len) for p in itertools.product(range(V), repeat=n) if EOS not in p]
    best = max(candidates, key=lambda y: log_p(probs, list(y)))
    beams = dec.beam_search(step, state, max_len, V**max_len, reorder=reorder)
    assert beams[0].tokens == best
    assert beams[0].log_prob == pytest.approx(log_p(probs, list(best)), abs=1e-12)


def test_hypotheses_come_in_score_order_and_respect_end_token_and_max_length():
    step, state, reorder, _, _ = scripted(TRAP)
    for alpha in (0.0, 0.5, 1.0):
        beams = dec.beam_search(step, state, 4, 6, reorder=reorder, alpha=alpha)
        assert len(beams) == 6
        scores = [h.score for h in beams]
        assert scores == sorted(scores, reverse=True)
        for h in beams:
            assert len(h.tokens) <= 4
            assert h.score == pytest.approx(h.log_prob / len(h.tokens) ** alpha, abs=1e-12)
            assert EOS not in h.tokens[:-1]  # EOS only ever at the end
            assert h.finished == (h.tokens[-1] == EOS)
    # A script that (almost) never ends: every hypothesis stops at max_len, unfinished.
    step, state, reorder, _, _ = scripted({}, default={EOS: 1e-6, A: 0.5, B: 0.5})
    beams = dec.beam_search(step, state, 3, 4, reorder=reorder)
    assert [len(h.tokens) for h in beams] == [3, 3, 3, 3] and not any(h.finished for h in beams)


def test_length_normalisation_changes_the_winner():
    # EOS at once: p = 0.5, length 1. A A EOS: 0.5 * 0.9 * 0.9 = 0.405, length 3.
    table = {(): {EOS: 0.5, A: 0.5}, (A,): {A: 0.9, EOS: 0.1}, (A, A): {EOS: 0.9, A: 0.1}}
    step, state, reorder, _, _ = scripted(table)
    raw = dec.beam_search(step, state, 5, 3, reorder=reorder, alpha=0.0)
    mean = dec.beam_search(step, state, 5, 3, reorder=reorder, alpha=1.0)
    assert raw[0].tokens == (EOS,)  # log 0.5 = -0.69 > log 0.405 = -0.90
    assert mean[0].tokens == (A, A, EOS)  # -0.90 / 3 = -0.30 > -0.69 / 1
    assert dec.length_penalty(4, 0.0) == 1.0 and dec.length_penalty(4, 0.5) == 2.0


def test_beam_search_stops_early_once_nothing_can_win():
    step, state, reorder, _, calls = scripted({}, default={EOS: 0.98, A: 0.01, B: 0.01})
    dec.beam_search(step, state, 50, 2, reorder=reorder)
    assert len(calls) < 5  # two finished hypotheses after two steps; no live one can beat them


def test_sampling_draws_from_the_tempered_and_truncated_distribution():
    table = {(): {A: 0.6, B: 0.3, EOS: 0.1}}
    step, state, reorder, probs, _ = scripted(table)
    many = torch.zeros(4000, 0, dtype=torch.long)
    n = many.shape[0]
    for temperature, top_k in [(1.0, None), (2.0, None), (0.5, None), (1.0, 2)]:
        g = torch.Generator().manual_seed(0)
        first = dec.sample(step, many, n, 1, generator=g, temperature=temperature, top_k=top_k)[:, 0].numpy()
        p = probs(()) ** (1 / temperature)
        if top_k is not None:
            p[np.argsort(-p)[top_k:]] = 0
        p /= p.sum()
        freq = np.bincount(first, minlength=V) / n
        np.testing.assert_allclose(freq, p, atol=4 * np.sqrt(0.25 / n))  # four standard errors at most
        if top_k == 2:
            assert set(first.tolist()) == {A, B}


def test_sampling_repeats_with_its_seed_and_top_k_one_and_tiny_temperature_are_greedy():
    model = _model(Decoder, 0)
    src, lengths = _sources()
    step, state, _ = dec.seq2seq_start(model, src, lengths)
    greedy = dec.greedy_decode(step, state, len(lengths), 9)
    draw = [dec.sample(step, state, len(lengths), 9, generator=torch.Generator().manual_seed(s)) for s in (3, 3, 4)]
    assert torch.equal(draw[0], draw[1]) and not torch.equal(draw[0], draw[2])
    g = torch.Generator().manual_seed(0)
    assert torch.equal(dec.sample(step, state, len(lengths), 9, generator=g, top_k=1), greedy)
    assert torch.equal(dec.sample(step, state, len(lengths), 9, generator=g, temperature=1e-6), greedy)


def _model(decoder_cls, seed, **kw):
    torch.manual_seed(seed)
    model = Seq2Seq(Encoder(9, 6, 8), decoder_cls(7, 5, 8, **kw)).double()
    return model.eval()


def _sources():
    src = torch.tensor([[3, 4, 5, 6], [7, 8, 3, 0], [5, 0, 0, 0]])
    return src, torch.tensor([4, 3, 1])


@pytest.mark.parametrize("decoder", [Decoder, AttentionDecoder])
def test_on_models_beam_one_is_greedy_and_beam_log_probs_match_teacher_forcing(decoder):
    src, lengths = _sources()
    for seed in range(4):
        model = _model(decoder, seed)
        step, state, _ = dec.seq2seq_start(model, src, lengths)
        greedy = dec.greedy_decode(step, state, 3, 8)
        for r in range(3):
            L = int(lengths[r])
            step, state, reorder = dec.seq2seq_start(model, src[r : r + 1, :L], lengths[r : r + 1])
            (one,) = dec.beam_search(step, state, 8, 1, reorder=reorder)
            assert list(one.tokens) + [PAD] * (8 - len(one.tokens)) == greedy[r].tolist()
            beams = dec.beam_search(step, state, 8, 4, reorder=reorder, alpha=0.7)
            # log p of each hypothesis, summed step by step through reorders, equals teacher forcing on it:
            # a reorder that mixed up rows (or the attention decoder's source rows) would break this.
            for h in beams:
                tgt_out = torch.tensor([list(h.tokens)])
                tgt_in = torch.tensor([[1, *h.tokens[:-1]]])
                tf = dec.sequence_log_prob(
                    model, src[r : r + 1, :L], lengths[r : r + 1], tgt_in, tgt_out, torch.tensor([len(h.tokens)])
                )
                assert float(tf[0]) == pytest.approx(h.log_prob, abs=1e-10)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda s, st, ro: dec.beam_search(s, st, 5, 0, reorder=ro), ValueError, "beam_width must be >= 1, got 0"),
        (lambda s, st, ro: dec.beam_search(s, st, 5, -2, reorder=ro), ValueError, "beam_width must be >= 1, got -2"),
        (lambda s, st, ro: dec.beam_search(s, st, 5, 2.0, reorder=ro), TypeError, "beam_width must be an int"),
        (lambda s, st, ro: dec.beam_search(s, st, 0, 2, reorder=ro), ValueError, "max_len must be >= 1"),
        (lambda s, st, ro: dec.beam_search(s, st, 5, 2, reorder=ro, alpha=-1), ValueError, "alpha must be"),
        (lambda s, st, ro: dec.beam_search(s, st, 5, 2, reorder=ro, eos_id=9), ValueError, "eos_id is 9"),
        (lambda s, st, ro: dec.sample(s, st, 1, 5, generator=_g(), temperature=0), ValueError, "temperature must be"),
        (lambda s, st, ro: dec.sample(s, st, 1, 5, generator=_g(), temperature=-1.0), ValueError, "temperature"),
        (lambda s, st, ro: dec.sample(s, st, 1, 5, generator=_g(), top_k=0), ValueError, "top_k must be >= 1, got 0"),
        (lambda s, st, ro: dec.sample(s, st, 1, 5, generator=_g(), top_k=6), ValueError, "top_k must be <= the voc"),
        (lambda s, st, ro: dec.sample(s, st, 1, 5, generator=None), TypeError, "generator must be a seeded"),
    ],
)
def test_bad_search_settings_raise_errors_naming_the_argument(call, error, match):
    step, state, reorder, _, _ = scripted(TRAP)
    with pytest.raises(error, match=match):
        call(step, state, reorder)


def _g():
    return torch.Generator().manual_seed(0)


def test_an_empty_source_or_a_token_outside_the_vocabulary_is_refused():
    model = _model(AttentionDecoder, 0)
    with pytest.raises(ValueError, match=r"src_lengths\[0\] is 0: source 0 is empty"):
        dec.seq2seq_start(model, torch.tensor([[0, 0]]), torch.tensor([0]))
    with pytest.raises(ValueError, match="src holds id 9, outside the vocabulary 0..8"):
        dec.seq2seq_start(model, torch.tensor([[3, 9]]), torch.tensor([2]))
    step, state, reorder = dec.seq2seq_start(model, torch.tensor([[3, 4]]), torch.tensor([2]))
    with pytest.raises(ValueError, match="y_prev holds id 7, outside the vocabulary 0..6"):
        dec.beam_search(step, state, 5, 2, reorder=reorder, bos_id=7)
    with pytest.raises(TypeError, match="model must be a Seq2Seq"):
        dec.seq2seq_start(model.decoder, torch.tensor([[3, 4]]), torch.tensor([2]))
