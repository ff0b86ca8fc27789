"""Companion package of the LSTM book. Its folders are its architecture; layers import downwards only.

::

    repro.py          seed_everything, the one seeding helper; limit_threads, the one thread limiter
    _checks.py        input checks shared by every layer (arguments named, expected, received)

    engine/           the NumPy side, NumPy only
      reference.py      readable step functions: rnn/lstm/gru_step_forward and _step_backward
      fast.py           the same cells fused and in place, tested equal to reference
      params.py         parameter shapes, initialisation, .npz files (never pickle)
      activations.py    sigmoid, softmax, temperature
      layers.py / losses.py / optim.py / model.py / training.py
                        dense head, losses, clipping and optimisers, SequenceModel, fit and fit_tbptt
      gradcheck.py      finite-difference gradient checks
      attention.py      scaled dot-product and multi-head attention, masks, positional encoding
      rnn_attention.py  additive (Bahdanau) and multiplicative (Luong) attention over encoder states
      transformer_block.py  LayerNorm, feed-forward, residuals: the encoder block, pre- and post-norm
      variants.py       peepholes and the 1997 cell without a forget gate
      slstm.py          the sLSTM of xLSTM: exponential gates, normaliser and stabiliser states
      generation.py     perplexity, evaluation over a stream, sampling text

    data/             offline data, NumPy only
      tasks.py          adding, copy, temporal order, embedded Reber, delayed and reason recall, echo
      series.py / text.py / classification.py / music.py
                        CO2 (monthly and weekly) and sunspots, the book's corpus, digits, generated melodies
      masking.py        BERT's corruption of a batch
      seq2seq.py        copy, reverse and dates-in-words tasks, their vocabulary and padded batches
      formal_languages.py  parity, count comparison, associative recall: balanced test sets, baselines
      baselines.py      naive and seasonal forecasts, uniform / unigram / bigram models

    frameworks/       PyTorch and Keras (imports engine and data)
      convert.py        exact weight porting between the engine, PyTorch and Keras
      torch_models.py / transformer.py / keras_models.py
                        every model, at module level
      training.py       one training loop per framework, the warm-up/cosine schedule
      init.py           the forget-gate bias
      awd.py            AWD-LSTM regularisers: weight tying, DropConnect on U, embedding dropout, AR/TAR
      distributed.py    one model trained with DistributedDataParallel
      seq2seq.py        the encoder-decoder LSTM: Encoder, Decoder, Seq2Seq, greedy decoding
      slstm.py          the sLSTM as a PyTorch module, for training

    experiments/      one module per experiment (config, run, cached results; python -m ...)
      results.py        the one home of the results files in resources/
      reproduction / gradient_flow / adding_numpy / delayed_recall / tbptt_echo /
      change_forecast (fit a change forecaster, score its levels) /
      regularisation / weekly_forecaster / melody / seq2seq / seq2seq_attention /
      recall / mlm / scaling / bench / timing / where_each_wins / lm_ladder

    figures/          plots and diagrams, drawn from result rows
      style.py / plots.py / diagrams.py / seq2seq.py / where_each_wins.py / lm_ladder.py
"""

from lstm_tutorial.repro import seed_everything

__all__ = ["seed_everything"]
__version__ = "0.2.0"
