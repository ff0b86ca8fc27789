"""Companion package of the LSTM book.

Modules, in the order the book meets them:

- ``repro``: :func:`seed_everything`, the one seeding helper every chapter calls first.
- ``scratch``: RNN, LSTM and GRU cells in NumPy, forward and hand-written backward passes.
- ``training``: dense output layer, losses, clipping, optimisers, the training loop, truncated BPTT.
- ``gradcheck``: finite-difference gradient checks.
- ``bench``: the training-step benchmark (``python -m lstm_tutorial.bench``).
- ``convert``: exact weight porting between NumPy, PyTorch and Keras.
- ``torch_models`` / ``keras_models``: the small models the chapters train.
- ``tasks`` / ``data``: synthetic long-lag problems and real data sets, offline.
- ``experiments``: measurements the chapters show (gradient norms, reproduction table).
- ``textgen``: character-level predictive text (baselines, perplexity, evaluation, sampling).
- ``variants``: the LSTM with peepholes and the 1997 cell without a forget gate (forward only).
- ``distributed``: one PyTorch LSTM trained with DistributedDataParallel across processes.
- ``music``: a symbolic melody corpus for the applications tour.
- ``attention`` / ``transformer``: attention in NumPy; Transformer and LSTM models in PyTorch.
- ``scaling``: time and memory of a training step or a streamed token as sequences grow.
- ``recall``: the reason-recall experiment, LSTM against Transformer under one budget.
- ``mlm``: masked-language-model training of a tiny BERT-style encoder and LSTM baselines.
- ``plots`` / ``diagrams``: figures and cell diagrams in the book's notation.
"""

from lstm_tutorial.repro import seed_everything

__all__ = ["seed_everything"]
__version__ = "0.1.0"
