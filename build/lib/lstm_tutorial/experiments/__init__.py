"""One module per experiment the chapters show, each with its configuration and its cached results.

Every module that caches runs has a config dataclass, a ``run`` function and a ``main``, so
``python -m lstm_tutorial.experiments.<name>`` regenerates its file in ``resources/`` (see
:mod:`lstm_tutorial.experiments.results`), printing progress.
"""
