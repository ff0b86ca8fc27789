"""The NumPy engine: cells with hand-written backpropagation, and everything needed to train them.

NumPy only (no framework is imported). ``reference`` holds the readable step functions,
``fast`` their fused, tested-equal optimisation; ``params``, ``layers``, ``losses``, ``optim``,
``model`` and ``training`` turn a cell into a trainable model; ``gradcheck`` checks gradients by
finite differences; ``attention``, ``variants`` and ``generation`` complete the toolbox.
"""
