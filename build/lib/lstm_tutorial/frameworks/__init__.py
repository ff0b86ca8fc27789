"""The same models in PyTorch and Keras, and exact weight conversion to and from the NumPy engine.

``convert`` ports weights; ``torch_models``, ``transformer`` and ``keras_models`` define the
models at module level; ``training`` is one training loop per framework; ``distributed``
trains one model across processes. Imports ``engine`` and ``data``, never ``experiments``.
"""
