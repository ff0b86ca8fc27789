"""Sequence-to-sequence tasks, generated offline: copy, reverse, and dates written in words.

A *pair* is ``(source, target)``, two lists of string tokens. Generators take a seeded
``numpy.random.Generator`` (or a seed) and return a list of pairs:

====================  ===========================================  ===============================
task                  source                                       target
====================  ===========================================  ===============================
:func:`copy_pairs`    ``c a f f b``  (random symbols, length L)    ``c a f f b``
:func:`reverse_pairs` ``c a f f b``                                ``b f f a c``
:func:`date_pairs`    ``the third of march nineteen ninety seven`` ``1 9 9 7 - 0 3 - 0 3``
====================  ===========================================  ===============================

The date task is a real transduction: the words must be read as numbers (an ordinal day, a
month name, a year said the way people say it, "nineteen oh five", "two thousand eight",
"twenty twelve") and rewritten as the ten characters of the ISO date; every date is a real
calendar day (leap years included).

:class:`Vocab` maps tokens to ids and back, with three special tokens at fixed ids, ``PAD = 0``,
``BOS = 1`` (begin: the decoder's first input) and ``EOS = 2`` (end: the decoder's last output).
:func:`make_batch` turns pairs into padded id arrays with their lengths, the decoder's input
(``BOS`` + target) and its output (target + ``EOS``): a :class:`Seq2SeqBatch`.

Sizes: ``B`` pairs in a batch, ``S`` padded source length, ``T`` padded decoder length (target
length + 1). NumPy only; arrays are int64, batch-first.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from lstm_tutorial._checks import as_generator, check_int

__all__ = [
    "PAD",
    "BOS",
    "EOS",
    "Vocab",
    "symbol_vocab",
    "copy_pairs",
    "reverse_pairs",
    "MONTHS",
    "ordinal_in_words",
    "year_in_words",
    "date_in_words",
    "date_pairs",
    "date_vocabs",
    "pad_batch",
    "Seq2SeqBatch",
    "make_batch",
    "majority_output",
]

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)


class Vocab:
    """Tokens <-> ids: ``PAD = 0``, ``BOS = 1``, ``EOS = 2``, then ``tokens`` in the order given.

    ``len(vocab)`` is the vocabulary size ``V`` (the three special tokens included).
    """

    def __init__(self, tokens: Iterable[str]):
        tokens = list(tokens)
        if not tokens:
            raise ValueError("Vocab needs at least one token besides PAD, BOS and EOS, got none")
        for k, t in enumerate(tokens):
            if not isinstance(t, str) or not t:
                raise TypeError(f"tokens[{k}] must be a non-empty str, got {t!r}")
            if t in SPECIALS:
                raise ValueError(f"tokens[{k}] is {t!r}, a special token Vocab adds itself")
        repeated = [t for t, n in Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"tokens must be distinct, got repeats {repeated}")
        self.tokens = [*SPECIALS, *tokens]
        self.index = {t: i for i, t in enumerate(self.tokens)}

    pad_id, bos_id, eos_id = 0, 1, 2

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return f"Vocab(V={len(self)}, tokens={self.tokens[3:8]}{'...' if len(self) > 8 else ''})"

    def encode(self, tokens: Sequence[str], name: str = "tokens") -> np.ndarray:
        """int64 ids ``(len(tokens),)``; a token outside the vocabulary raises ``ValueError``."""
        if isinstance(tokens, str):
            raise TypeError(f"{name} must be a list of tokens, got a str ({tokens!r}); split it first")
        ids = np.empty(len(tokens), dtype=np.int64)
        for k, t in enumerate(tokens):
            if t not in self.index:
                raise ValueError(
                    f"{name}[{k}] = {t!r} is not in the vocabulary ({len(self)} tokens: {self.tokens[3:8]}...)"
                )
            ids[k] = self.index[t]
        return ids

    def decode(self, ids, *, strip: bool = True) -> list[str]:
        """Tokens for ``ids``; with ``strip``, stop at the first ``EOS`` and drop ``PAD`` and ``BOS``."""
        ids = np.asarray(ids).ravel()
        if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must be integers in 0..{len(self) - 1}, got {ids.tolist()}")
        out = []
        for i in ids.tolist():
            if strip and i == self.eos_id:
                break
            if strip and i in (self.pad_id, self.bos_id):
                continue
            out.append(self.tokens[i])
        return out


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def symbol_vocab(n_symbols: int) -> Vocab:
    """The vocabulary of the copy and reverse tasks: the first ``n_symbols`` letters (2 to 26)."""
    n_symbols = check_int("n_symbols", n_symbols, 2)
    if n_symbols > len(_LETTERS):
        raise ValueError(f"n_symbols must be <= {len(_LETTERS)}, got {n_symbols}")
    return Vocab(_LETTERS[:n_symbols])


def _check_lengths(lengths) -> np.ndarray:
    """``lengths`` (an int, or a non-empty sequence of ints >= 1) as an int array."""
    arr = np.atleast_1d(np.asarray(lengths))
    if arr.size == 0 or arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"lengths must be an int or a non-empty sequence of ints, got {lengths!r}")
    if arr.min() < 1:
        raise ValueError(f"lengths must be >= 1 (an empty source has nothing to encode), got {arr.min()}")
    return arr.astype(np.int64)


def _symbol_pairs(rng, n, lengths, n_symbols, reverse: bool) -> list[tuple[list[str], list[str]]]:
    n = check_int("n", n, 1)
    lengths = _check_lengths(lengths)
    letters = symbol_vocab(n_symbols).tokens[3:]
    rng = as_generator(rng)
    pairs = []
    for L in rng.choice(lengths, size=n):
        src = [letters[k] for k in rng.integers(0, len(letters), size=L)]
        pairs.append((src, src[::-1] if reverse else list(src)))
    return pairs


def copy_pairs(rng, n: int, lengths, *, n_symbols: int = 10) -> list[tuple[list[str], list[str]]]:
    """``n`` pairs ``(s, s)``: ``s`` is ``L`` symbols drawn uniformly from ``n_symbols`` letters.

    ``lengths``: an int, or the lengths to draw ``L`` from (uniformly, one per pair).
    """
    return _symbol_pairs(rng, n, lengths, n_symbols, reverse=False)


def reverse_pairs(rng, n: int, lengths, *, n_symbols: int = 10) -> list[tuple[list[str], list[str]]]:
    """``n`` pairs ``(s, reversed s)``; arguments as in :func:`copy_pairs`."""
    return _symbol_pairs(rng, n, lengths, n_symbols, reverse=True)


MONTHS = ("january february march april may june july august september october november december").split()
_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
_ORDINAL_UNITS = "first second third fourth fifth sixth seventh eighth ninth".split()
_ORDINAL_TEENS = (
    "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_ORDINAL_TENS = {2: "twentieth", 3: "thirtieth"}


def _two_digits(n: int) -> list[str]:
    """1..99 in words: ``[seven]``, ``[twelve]``, ``[ninety, seven]``."""
    if n < 10:
        return [_UNITS[n]]
    if n < 20:
        return [_TEENS[n - 10]]
    tens, unit = divmod(n, 10)
    return [_TENS[tens]] + ([_UNITS[unit]] if unit else [])


def ordinal_in_words(day: int) -> list[str]:
    """A day of the month, 1..31, as an ordinal: ``[third]``, ``[twenty, first]``, ``[thirtieth]``."""
    day = check_int("day", day, 1)
    if day > 31:
        raise ValueError(f"day must be <= 31, got {day}")
    if day < 10:
        return [_ORDINAL_UNITS[day - 1]]
    if day < 20:
        return [_ORDINAL_TEENS[day - 10]]
    tens, unit = divmod(day, 10)
    return [_ORDINAL_TENS[tens]] if unit == 0 else [_TENS[tens], _ORDINAL_UNITS[unit - 1]]


def year_in_words(year: int) -> list[str]:
    """A year 1100..2099 as it is said: ``nineteen ninety seven``, ``nineteen oh five``,
    ``nineteen hundred``, ``two thousand``, ``two thousand eight``, ``twenty twelve``."""
    year = check_int("year", year, 1100)
    if year > 2099:
        raise ValueError(f"year must be <= 2099, got {year}")
    century, rest = divmod(year, 100)
    if century == 20 and rest < 10:
        return ["two", "thousand"] + ([_UNITS[rest]] if rest else [])
    head = _two_digits(century)
    if rest == 0:
        return head + ["hundred"]
    if rest < 10:
        return head + ["oh", _UNITS[rest]]
    return head + _two_digits(rest)


def date_in_words(date: datetime.date) -> list[str]:
    """``the third of march nineteen ninety seven`` for 1997-03-03, as a list of words."""
    if not isinstance(date, datetime.date):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__}")
    return ["the", *ordinal_in_words(date.day), "of", MONTHS[date.month - 1], *year_in_words(date.year)]


def date_pairs(
    rng, n: int, *, first: datetime.date = datetime.date(1950, 1, 1), last: datetime.date = datetime.date(2049, 12, 31)
) -> list[tuple[list[str], list[str]]]:
    """``n`` pairs (date in words, its ISO form as ten characters), days uniform in ``[first, last]``.

    >>> day = datetime.date(1997, 3, 3)
    >>> [(" ".join(src), "".join(tgt)) for src, tgt in date_pairs(0, 1, first=day, last=day)]
    [('the third of march nineteen ninety seven', '1997-03-03')]
    """
    n = check_int("n", n, 1)
    for name, d in (("first", first), ("last", last)):
        if not isinstance(d, datetime.date):
            raise TypeError(f"{name} must be a datetime.date, got {type(d).__name__}")
    if last < first:
        raise ValueError(f"last must not be before first, got first={first}, last={last}")
    year_in_words(first.year), year_in_words(last.year)  # both inside the years we can say
    rng = as_generator(rng)
    days = rng.integers(first.toordinal(), last.toordinal() + 1, size=n)
    dates = [datetime.date.fromordinal(int(d)) for d in days]
    return [(date_in_words(d), list(d.isoformat())) for d in dates]


def date_vocabs() -> tuple[Vocab, Vocab]:
    """``(source, target)`` vocabularies of :func:`date_pairs`: every word it can write, and ``0-9 -``."""
    words = ["the", "of", *MONTHS, *_UNITS, *_TEENS, *_TENS.values(), *_ORDINAL_UNITS, *_ORDINAL_TEENS]
    words += [*_ORDINAL_TENS.values(), "oh", "hundred", "thousand"]
    return Vocab(dict.fromkeys(words)), Vocab([*"0123456789", "-"])


def pad_batch(seqs: Sequence, length: int | None = None, *, pad_id: int = 0, name: str = "seqs"):
    """Stack 1-D id sequences into ``(ids (B, length), lengths (B,))``, padding with ``pad_id``.

    ``length`` defaults to the longest sequence; a sequence longer than ``length`` and an
    empty sequence raise ``ValueError``.
    """
    if len(seqs) == 0:
        raise ValueError(f"{name} must hold at least one sequence, got none")
    arrays = [np.asarray(s) for s in seqs]
    for k, a in enumerate(arrays):
        if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
            raise ValueError(f"{name}[{k}] must be a 1-D sequence of integer ids, got shape {a.shape}, dtype {a.dtype}")
        if a.size == 0:
            raise ValueError(f"{name}[{k}] is empty; every sequence needs at least one token")
    lengths = np.array([a.size for a in arrays], dtype=np.int64)
    if length is None:
        length = int(lengths.max())
    length = check_int("length", length, 1)
    if lengths.max() > length:
        k = int(lengths.argmax())
        raise ValueError(f"{name}[{k}] has {lengths[k]} tokens, longer than the padded length {length}")
    ids = np.full((len(arrays), length), pad_id, dtype=np.int64)
    for k, a in enumerate(arrays):
        ids[k, : a.size] = a
    return ids, lengths


class Seq2SeqBatch(NamedTuple):
    """A padded batch of pairs; ``T`` is the longest target + 1.

    ``src (B, S)`` source ids and ``src_lengths (B,)``; ``tgt_in (B, T)`` the decoder's inputs,
    ``BOS`` + target; ``tgt_out (B, T)`` what it must output, target + ``EOS``; ``tgt_lengths (B,)``
    = target length + 1. Padding is ``PAD = 0`` everywhere.
    """

    src: np.ndarray
    src_lengths: np.ndarray
    tgt_in: np.ndarray
    tgt_out: np.ndarray
    tgt_lengths: np.ndarray


def make_batch(
    pairs: Sequence[tuple[Sequence[str], Sequence[str]]],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    *,
    src_length: int | None = None,
    tgt_length: int | None = None,
) -> Seq2SeqBatch:
    """Encode and pad ``pairs`` into a :class:`Seq2SeqBatch`.

    ``src_length`` and ``tgt_length`` (the decoder's ``T``, target + 1) default to the longest in
    the batch. An empty source, a token outside its vocabulary and a sequence longer than the
    padded length raise ``ValueError`` naming the pair.
    """
    if len(pairs) == 0:
        raise ValueError("pairs must hold at least one (source, target) pair, got none")
    srcs, tgts = [], []
    for k, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"pairs[{k}] must be a (source, target) pair of token lists, got {pair!r}")
        src, tgt = pair
        if len(src) == 0:
            raise ValueError(f"pairs[{k}] has an empty source; the encoder needs at least one token")
        srcs.append(src_vocab.encode(src, name=f"pairs[{k}] source"))
        tgts.append(tgt_vocab.encode(tgt, name=f"pairs[{k}] target"))
    src, src_lengths = pad_batch(srcs, src_length, name="sources")
    bos, eos = np.array([tgt_vocab.bos_id]), np.array([tgt_vocab.eos_id])
    tgt_in, tgt_lengths = pad_batch([np.r_[bos, t] for t in tgts], tgt_length, name="decoder inputs (BOS + target)")
    tgt_out, _ = pad_batch([np.r_[t, eos] for t in tgts], tgt_in.shape[1], name="decoder outputs (target + EOS)")
    return Seq2SeqBatch(src, src_lengths, tgt_in, tgt_out, tgt_lengths)


def majority_output(targets: Sequence[Sequence[str]]) -> list[str]:
    """The template baseline: at each output position, the most frequent token there (EOS included).

    Reads the training targets; the baseline answers every source with the returned tokens,
    which stop where the most frequent token is the end. Ties go to the token seen first.
    """
    if len(targets) == 0:
        raise ValueError("targets must hold at least one target sequence, got none")
    longest = max(len(t) for t in targets)
    out = []
    for pos in range(longest + 1):
        counts = Counter(t[pos] if pos < len(t) else EOS for t in targets)
        token = counts.most_common(1)[0][0]
        if token == EOS:
            break
        out.append(token)
    return out
