"""Weight initializers: constant, random, LeCun, Xavier/Glorot and Kaiming/He.

Every initializer fills an array *in place* (hence the trailing underscore,
as in PyTorch's ``torch.nn.init``) and returns what it was given. It accepts a
NumPy array or a :class:`~mlcourse.Parameter` (whose ``.data`` it fills) and
draws random numbers only from the ``rng`` it is handed, a
``numpy.random.Generator`` or an integer seed; without one, a fresh
``np.random.default_rng()`` (OS entropy) is used, so pass a seeded generator
(or a seed) for reproducible results.
The same seed gives the same values for the same dtype (float32 arrays are
drawn directly in float32, which is faster and gives different numbers from
a float64 draw).

The fan-in and fan-out follow the course's weight layout ``W: (C_in, C_out)``
in ``Y = X W + b``: ``fan_in = shape[0]`` and ``fan_out = shape[1]``. PyTorch
stores ``(C_out, C_in)`` and reads them the other way round; see
:func:`compute_fans`.

Each scheme picks the variance of the weights so that the variance of the
signal (forward) or of the gradient (backward) stays the same from layer to
layer:

=================  ==========================  ==============================
scheme             Var(W)                      uniform bound ``a`` (U(-a, a))
=================  ==========================  ==============================
LeCun (1998)       1 / fan_in                  sqrt(3 / fan_in)
Xavier (2010)      2 / (fan_in + fan_out)      sqrt(6 / (fan_in + fan_out))
Kaiming/He (2015)  gain² / fan  (2/fan, ReLU)  gain · sqrt(3 / fan)
=================  ==========================  ==============================

A uniform distribution on ``(-a, a)`` has variance ``a² / 3``, which is how
each bound follows from its variance.

See Also
--------
Chapter 9 (initialization) derives each formula and checks it layer by layer.
"""

from __future__ import annotations

from .fans import NONLINEARITIES, calculate_gain, compute_fans
from .fill import Tensor, constant_, normal_, ones_, uniform_, zeros_
from .scaled import (
    kaiming_normal_,
    kaiming_uniform_,
    lecun_normal_,
    lecun_uniform_,
    xavier_normal_,
    xavier_uniform_,
)

__all__ = ['NONLINEARITIES', 'Tensor', 'calculate_gain', 'compute_fans', 'constant_', 'kaiming_normal_', 'kaiming_uniform_', 'lecun_normal_', 'lecun_uniform_', 'normal_', 'ones_', 'uniform_', 'xavier_normal_', 'xavier_uniform_', 'zeros_']
