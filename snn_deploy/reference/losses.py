r"""Losses on output spike times, with their gradient ``dL/dt`` (fed to :func:`gradients.backward`).

First-spike cross-entropy with the late-spike regularizer (Göltz et al. 2021, used by Lee et al. §5.3):
for first output spike times :math:`t_i` and label :math:`y`,

.. math:: L = -\log\frac{e^{-t_y/\tau_0}}{\sum_i e^{-t_i/\tau_0}} + \gamma\left(e^{t_y/\tau_1} - 1\right),
          \qquad \frac{\partial L}{\partial t_i} = \frac{\delta_{iy} - p_i}{\tau_0}
          + \delta_{iy}\frac{\gamma}{\tau_1} e^{t_y/\tau_1},

with :math:`p = \mathrm{softmax}(-t/\tau_0)`. The first term makes the label neuron fire first, the second
pulls it early. A silent output neuron has no spike time to differentiate: it enters the loss as if it
fired at ``t_silent_s`` (so a silent label neuron is a large loss and a silent wrong neuron a small one)
and its ``dL/dt`` is 0; the gradient then flows only through the neurons that did fire.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FirstSpikeLoss:
    """Parameters of the first-spike cross-entropy (all times in seconds)."""

    tau0_s: float
    tau1_s: float
    gamma: float
    t_silent_s: float

    def __call__(self, first_times: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss over the batch and ``dL/dt`` ``[batch, classes]`` for ``[batch, classes]`` first spikes."""
        fired = np.isfinite(first_times)
        times = np.where(fired, first_times, self.t_silent_s)
        batch = np.arange(times.shape[0])
        logits = -times / self.tau0_s
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        t_label = times[batch, labels]
        regularizer = self.gamma * np.expm1(t_label / self.tau1_s)
        loss = float(np.mean(-log_p[batch, labels] + regularizer))
        grad = -np.exp(log_p) / self.tau0_s
        grad[batch, labels] += 1.0 / self.tau0_s + self.gamma / self.tau1_s * np.exp(t_label / self.tau1_s)
        grad = np.where(fired, grad, 0.0) / times.shape[0]
        return loss, grad


@dataclass(frozen=True)
class SilencePenalty:
    r"""Penalty that revives neurons which must fire but stay silent (after Mostafa 2017; Comsa et al. 2020).

    A silent neuron has no spike time, so the spike-time loss gives its input weights no gradient. For
    each sample ``b`` and neuron ``n`` flagged silent (``mask[b, n]``: the label neuron silent on that
    sample, or a hidden neuron silent on the whole batch) this adds, averaged over the batch,

    .. math:: L_s = \frac{\kappa}{B}\sum_{b,n} m_{bn} \max\big(0,\; 1 - \textstyle\sum_i u_{n,i} a_{b,i}\big)

    where ``u`` are the normalised input weights (``u = 1``: one PSP peaking at threshold) and ``a_{b,i}``
    the number of spikes input ``i`` sent on sample ``b``; its exact gradient is
    :math:`-\kappa m_{bn} a_{b,i} / B` while the weighted sum is below 1.
    """

    kappa: float

    def gradient(self, normalised_weight: np.ndarray, activity: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``dL_s/du`` ``[out, in]`` from ``activity`` ``[batch, in]`` and ``mask`` ``[batch, out]``."""
        below = (activity @ normalised_weight.T < 1.0) & mask
        return -self.kappa * (below.T.astype(np.float64) @ activity) / activity.shape[0]
