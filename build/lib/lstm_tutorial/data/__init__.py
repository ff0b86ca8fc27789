"""Data, offline: synthetic long-lag tasks, real data sets shipped inside installed packages, baselines.

``tasks`` (adding, copy, temporal order, Reber, recall, echo), ``series`` (CO2, sunspots, windows),
``text`` (the book's corpus), ``classification`` (digits), ``music`` (a generated melody corpus),
``masking`` (BERT's corruption) and ``baselines`` (forecasts and n-gram models). NumPy only.
"""
