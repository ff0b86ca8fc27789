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
- ``plots`` / ``diagrams``: figures and cell diagrams in the book's notation.
"""

from lstm_tutorial.repro import seed_everything

__all__ = ["seed_everything"]
__version__ = "0.1.0"
