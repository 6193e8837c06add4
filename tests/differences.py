"""Central finite differences in numpy alone, independent of mcgen: what the tests compare the engine with."""
from __future__ import annotations

import numpy as np


def differences(f, x0, h=1e-6):
    """The gradient (shape of x0) of a scalar f, the n×r Jacobian of a vector f."""
    rows = []
    for idx in np.ndindex(x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[idx] += h
        minus[idx] -= h
        rows.append((np.atleast_1d(f(plus)) - np.atleast_1d(f(minus))).ravel() / (2 * h))
    table = np.array(rows)
    return table.reshape(x0.shape) if table.shape[1] == 1 else table


def vec_differences(f, x0, h=1e-6):
    """∂vec f/∂vec(x)ᵀ, column-major on both sides."""
    columns = []
    for j in range(x0.shape[1]):
        for i in range(x0.shape[0]):
            step = np.zeros_like(x0)
            step[i, j] = h
            columns.append(((f(x0 + step) - f(x0 - step)) / (2 * h)).reshape(-1, order="F"))
    return np.array(columns).T
