"""One PyTorch LSTM layer with a switch for each of the eight variants of Greff et al. (2017).

The vanilla cell is the book's (chapter ``gates``), with pre-activation
``a_t = x_t W + h_{t-1} U + b`` split into blocks ``i, f, g, o`` of ``H`` each. Every variant
changes one line of it; the labels are those of the ``ablation`` chapter:

========  =================================  ==========================================
name      change                             equation (chapter ``ablation``)
========  =================================  ==========================================
vanilla   none                               ablation-vanilla
NIG       no input gate, ``i_t = 1``         ablation-nig
NFG       no forget gate, ``f_t = 1``        ablation-nfg
NOG       no output gate, ``o_t = 1``        ablation-nog
NIAF      no input activation, ``g_t = a_g`` ablation-niaf
NOAF      no output activation,              ablation-noaf
          ``h_t = o_t * c_t``
PH        peepholes ``omega_i, omega_f,``    ablation-ph
          ``omega_o`` read the cell state
CIFG      coupled gates, ``f_t = 1 - i_t``   ablation-cifg
========  =================================  ==========================================

Every variant keeps the same parameters ``W (D, 4H)``, ``U (H, 4H)``, ``b (4H,)`` (blocks
``i, f, g, o``, the engine's layout) so weights copy between variants; a block that a variant
does not use (the forget block of NFG and CIFG, the input block of NIG, the output block of NOG)
simply receives no gradient. PH adds ``peep (3H,)`` holding ``omega_i, omega_f, omega_o``,
which start at zero, so PH starts as exactly the vanilla cell.

The input products of all steps, ``x_t W + b``, are computed at once before the step loop; the
loop itself is plain Python, one step per iteration, so it reads like the equations.
Sizes ``B, T, D, H``; arrays batch-first.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["VARIANTS", "VARIANT_LABELS", "VariantLSTM", "VariantRegressor"]

#: the eight variants, in Greff et al.'s names and order
VARIANTS = ("vanilla", "NIG", "NFG", "NOG", "NIAF", "NOAF", "PH", "CIFG")
#: what each name stands for
VARIANT_LABELS = {
    "vanilla": "vanilla LSTM",
    "NIG": "no input gate",
    "NFG": "no forget gate",
    "NOG": "no output gate",
    "NIAF": "no input activation",
    "NOAF": "no output activation",
    "PH": "peepholes",
    "CIFG": "coupled input and forget gates",
}


def _check_variant(variant) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
    return variant


class VariantLSTM(nn.Module):
    """An LSTM layer, ``x (B, T, D) -> outputs (B, T, H)``, in one of the :data:`VARIANTS`.

    Args:
        input_size: ``D``.
        hidden_size: ``H``.
        variant: one of :data:`VARIANTS`.
        forget_bias: initial value of ``b_f``. For CIFG, whose forget gate is ``1 - i_t``, the
            input bias ``b_i`` starts at ``-forget_bias`` instead, so its forget gate starts at
            the same ``sigma(forget_bias)`` as the vanilla one. ``None`` keeps PyTorch's draw.
        input_bias: initial value of ``b_i`` (``None``: PyTorch's draw); not for CIFG, whose
            ``b_i`` is set by ``forget_bias``, nor for NIG, which has no input gate.

    The weights are drawn as ``torch.nn.LSTM`` draws them (every entry from
    ``U(-1/sqrt(H), 1/sqrt(H))``, from torch's global generator), in fact by building one and
    copying it (:meth:`load_lstm`): after the same ``torch.manual_seed``, the vanilla variant
    computes exactly the function of ``nn.LSTM(D, H, batch_first=True)``.
    """

    def __init__(
        self, input_size: int, hidden_size: int, variant: str = "vanilla", *, forget_bias=1.0, input_bias=None
    ):
        super().__init__()
        self.variant = _check_variant(variant)
        if input_bias is not None and variant in ("CIFG", "NIG"):
            raise ValueError(f"input_bias must be None for variant {variant!r}, got {input_bias!r}")
        self.input_size, self.hidden_size = input_size, hidden_size
        H = hidden_size
        self.W = nn.Parameter(torch.empty(input_size, 4 * H))
        self.U = nn.Parameter(torch.empty(H, 4 * H))
        self.b = nn.Parameter(torch.empty(4 * H))
        self.peep = nn.Parameter(torch.zeros(3 * H)) if variant == "PH" else None
        self.load_lstm(nn.LSTM(input_size, H, batch_first=True))
        if forget_bias is not None:
            with torch.no_grad():
                if variant == "CIFG":
                    self.b[:H] = -forget_bias  # sigma(-b_i) = 1 - sigma(b_i): f_0 = sigma(forget_bias)
                else:
                    self.b[H : 2 * H] = forget_bias
        if input_bias is not None:
            with torch.no_grad():
                self.b[:H] = input_bias

    def load_lstm(self, lstm: nn.LSTM) -> VariantLSTM:
        """Copy the weights of a one-layer, unidirectional ``nn.LSTM``; returns ``self``.

        PyTorch stores ``weight_ih (4H, D)``, ``weight_hh (4H, H)`` and two biases, gates in the
        same order ``i, f, g, o``: ``W = weight_ih^T``, ``U = weight_hh^T``, ``b = bias_ih + bias_hh``.
        """
        if not isinstance(lstm, nn.LSTM) or lstm.num_layers != 1 or lstm.bidirectional or not lstm.bias:
            raise ValueError(f"lstm must be a one-layer, unidirectional torch.nn.LSTM with biases, got {lstm!r}")
        if (lstm.input_size, lstm.hidden_size) != (self.input_size, self.hidden_size):
            raise ValueError(
                f"lstm has (input_size, hidden_size) = {(lstm.input_size, lstm.hidden_size)}, "
                f"this layer needs {(self.input_size, self.hidden_size)}"
            )
        with torch.no_grad():
            self.W.copy_(lstm.weight_ih_l0.T)
            self.U.copy_(lstm.weight_hh_l0.T)
            self.b.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)
        return self

    def forward(self, x: torch.Tensor, state=None):
        """``x (B, T, D)``, ``state = (h_0, c_0)`` each ``(B, H)`` or ``None`` (zeros).

        Returns ``(outputs, (h_T, c_T))`` with ``outputs (B, T, H)``.
        """
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape (B, T, D) with D = {self.input_size}, got {tuple(x.shape)}")
        B, T, _ = x.shape
        H, v = self.hidden_size, self.variant
        if state is None:
            h = c = x.new_zeros(B, H)
        else:
            h, c = state
        ax = x @ self.W + self.b  # (B, T, 4H): the input half of a_t for every step at once
        if v == "PH":
            w_i, w_f, w_o = self.peep.split(H)  # each (H,)
        outputs = []
        for t in range(T):
            a = ax[:, t] + h @ self.U  # (B, 4H), ablation-vanilla
            a_i, a_f, a_g, a_o = a.split(H, dim=1)  # each (B, H)
            if v == "PH":  # ablation-ph: input and forget gates read c_{t-1}
                a_i, a_f = a_i + w_i * c, a_f + w_f * c
            i = torch.ones_like(c) if v == "NIG" else torch.sigmoid(a_i)  # ablation-nig
            if v == "NFG":
                f = torch.ones_like(c)  # ablation-nfg
            elif v == "CIFG":
                f = 1.0 - i  # ablation-cifg
            else:
                f = torch.sigmoid(a_f)
            g = a_g if v == "NIAF" else torch.tanh(a_g)  # ablation-niaf
            c = f * c + i * g  # (B, H)
            if v == "PH":  # ablation-ph: the output gate reads the new c_t
                a_o = a_o + w_o * c
            o = torch.ones_like(c) if v == "NOG" else torch.sigmoid(a_o)  # ablation-nog
            h = o * (c if v == "NOAF" else torch.tanh(c))  # (B, H), ablation-noaf
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c)  # (B, T, H)


class VariantRegressor(nn.Module):
    """Many-to-one regression with a :class:`VariantLSTM`: ``y = h_T W_y + b_y``, ``(B, T, D) -> (B, output_size)``.

    The read-out is an ``nn.Linear`` drawn right after the layer, as in
    :class:`~lstm_tutorial.frameworks.torch_models.SequenceRegressor`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        variant: str = "vanilla",
        *,
        output_size: int = 1,
        forget_bias=1.0,
        input_bias=None,
    ):
        super().__init__()
        self.rnn = VariantLSTM(input_size, hidden_size, variant, forget_bias=forget_bias, input_bias=input_bias)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)  # (B, T, H)
        return self.head(outputs[:, -1])  # (B, output_size)
