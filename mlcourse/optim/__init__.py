"""Optimizers: SGD (with momentum and Nesterov), Adagrad, RMSprop, Adam and AdamW.

Each optimizer follows PyTorch's ``torch.optim`` update rule and defaults
(the tests compare them step by step), so what a student learns here carries
over unchanged. Usage is the same as in PyTorch::

    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    for x, y in loader:
        model.zero_grad()            # or opt.zero_grad()
        loss = loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        opt.step()

Parameters are updated in place (``p.data -= ...``) and keep their dtype:
float32 weights stay float32. Parameters with ``requires_grad=False`` are
skipped (frozen). The code of each update rule names the quantities of its
docstring (``m``, ``v``, ``m̂``, ``v̂``), numbered as the steps there.

Layout: :mod:`~mlcourse.optim.optimizer` holds the base class alone;
each algorithm has a file of its own.

See Also
--------
Chapter 7 (optimizers) derives every update rule; chapter 8 changes the
learning rate during training with :mod:`mlcourse.schedules`.
"""

from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]
