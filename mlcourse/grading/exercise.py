"""Exercises and their tests: one definition that the notebook check and the grader share.

An exercise names the function a student writes, its points, a reference
implementation (or a property the answer must have), public test cases whose
results the student sees in the notebook, and a generator of hidden random
cases that only the grader runs. Chapter files in :mod:`mlcourse.exercises`
register their exercises with :func:`register`.

Example
-------
>>> register(Exercise(
...     id="ch05-linear-backward",
...     function="linear_backward",
...     points=3,
...     summary="return (dX, dW, db) of Y = X W + b given dY",
...     reference=lambda X, W, dY: (dY @ W.T, X.T @ dY, dY.sum(0, keepdims=True)),
...     public=[("B=4, 3 -> 2", lambda rng: (rng.normal(size=(4, 3)), rng.normal(size=(3, 2)),
...                                          rng.normal(size=(4, 2))))],
...     hidden=lambda rng: ...,
...     output_names=("dX", "dW", "db"),
... ))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

ArgsFactory = Callable[[np.random.Generator], tuple]

_ID_PATTERN = re.compile(r"^ch\d\d-[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong answer and the hint to give when a student's output matches it.

    ``function`` takes the same arguments as the exercise and returns what the
    mistaken code would return (e.g. ``dY @ W`` instead of ``dY @ W.T``).
    """

    function: Callable[..., Any]
    hint: str


@dataclass(frozen=True)
class Case:
    """One concrete test: its label, its arguments, and whether it is hidden."""

    label: str
    args: tuple
    hidden: bool


@dataclass(frozen=True)
class Exercise:
    """A graded exercise.

    Parameters
    ----------
    id : str
        ``"chNN-short-name"``; the exercise cell carries it in its metadata.
    function : str
        Name of the function the student's cell must define.
    points : float
        Awarded only when every public and hidden case passes.
    summary : str
        One line saying what to write; the student release's stub repeats it.
    public : sequence of (label, args_factory)
        Cases the student sees in the notebook. ``args_factory(rng)`` returns
        the argument tuple; ``rng`` is seeded from the exercise id, so public
        cases are the same every time.
    hidden : callable, optional
        ``hidden(rng) -> args``: a random case; the grader draws ``n_hidden``
        of them with a fresh seed on every run, so they cannot be hard-coded.
    reference : callable, optional
        Computes the expected output from the arguments (in the grader's
        process, never the student's).
    validate : callable, optional
        For answers that are not unique: ``validate(output, *args)`` returns
        ``None`` when the output is acceptable, else a message. Used instead of
        (or after) ``reference``.
    mistakes : sequence of Mistake
        Known wrong answers with targeted hints.
    hint : str
        A general hint shown with any failure.
    output_names : sequence of str, optional
        Names of the elements of a tuple output, for messages.
    rtol, atol : float
        Tolerances of the comparison with the reference.
    setup : str
        Code run before the student's cell in the grader (imports the exercise
        may rely on). ``import numpy as np`` and ``import math`` always run.
    timeout : float
        Seconds of wall-clock time for the whole exercise in the grader.
    """

    id: str
    function: str
    points: float
    summary: str
    public: Sequence[tuple[str, ArgsFactory]]
    hidden: ArgsFactory | None = None
    n_hidden: int = 5
    reference: Callable[..., Any] | None = None
    validate: Callable[..., str | None] | None = None
    mistakes: Sequence[Mistake] = ()
    hint: str = ""
    output_names: Sequence[str] | None = None
    rtol: float = 1e-5
    atol: float = 1e-8
    setup: str = ""
    timeout: float = 20.0
    chapter: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if not _ID_PATTERN.match(self.id):
            raise ValueError(f"exercise id must look like 'ch05-linear-backward', got {self.id!r}")
        if not self.function.isidentifier():
            raise ValueError(f"{self.id}: function must be a Python name, got {self.function!r}")
        if self.reference is None and self.validate is None:
            raise ValueError(f"{self.id}: give a reference implementation or a validate function")
        if not self.public:
            raise ValueError(f"{self.id}: at least one public case is needed")
        if self.points <= 0:
            raise ValueError(f"{self.id}: points must be positive, got {self.points}")
        object.__setattr__(self, "chapter", int(self.id[2:4]))

    def public_cases(self) -> list[Case]:
        """The public cases, generated from a seed derived from the exercise id."""
        cases = []
        for i, (label, factory) in enumerate(self.public):
            digest = hashlib.sha256(f"{self.id}/{i}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            cases.append(Case(label, tuple(factory(rng)), hidden=False))
        return cases

    def hidden_cases(self, seed: int) -> list[Case]:
        """``n_hidden`` random cases drawn from ``seed``."""
        if self.hidden is None:
            return []
        rng = np.random.default_rng([seed, int.from_bytes(self.id.encode()[:8], "little")])
        return [Case(f"hidden test {i + 1}", tuple(self.hidden(rng)), hidden=True)
                for i in range(self.n_hidden)]

    def expected(self, args: tuple) -> Any:
        """The reference output for ``args`` (computed on copies)."""
        if self.reference is None:
            return None
        return self.reference(*_copy_args(args))


def _copy_args(args: tuple) -> tuple:
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (ids are unique)."""
    if exercise.id in _REGISTRY and _REGISTRY[exercise.id] is not exercise:
        raise ValueError(f"exercise {exercise.id!r} is registered twice")
    _REGISTRY[exercise.id] = exercise
    return exercise


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    import mlcourse.exercises as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("ch"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    _LOADED = True


def get_exercise(exercise_id: str) -> Exercise:
    """The registered exercise with this id, or a KeyError listing the close ones."""
    _load_all()
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        same_chapter = sorted(k for k in _REGISTRY if k[:4] == exercise_id[:4])
        raise KeyError(
            f"no exercise {exercise_id!r}; exercises of that chapter: {same_chapter or 'none'}"
        ) from None


def all_exercises() -> list[Exercise]:
    """Every registered exercise, sorted by id."""
    _load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
