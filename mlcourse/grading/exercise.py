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

import ast
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
    weight: float = 1.0


@dataclass(frozen=True)
class Exercise:
    """A graded exercise.

    Parameters
    ----------
    id : str
        ``"chNN-short-name"``; the exercise cell carries it in its metadata.
    function : str
        Name of what the student's cell must define: a function, or (with a
        ``driver``) a class or any value, e.g. a number from an experiment.
    points : float
        Split over the test cases: a submission scores
        ``points * (weight of the cases passed) / (total weight)``.
    summary : str
        One line saying what to write; the student release's stub repeats it.
    public : sequence of (label, args_factory) or (label, args_factory, weight)
        Cases the student sees in the notebook. ``args_factory(rng)`` returns
        the argument tuple; ``rng`` is seeded from the exercise id, so public
        cases are the same every time. A case weighs 1 unless a weight is given.
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
    hidden_weight : float
        Weight of each hidden case (default 1, like a public case).
    sandbox_modules : tuple of str
        Library modules the exercise genuinely needs in the grader's sandbox,
        e.g. ``("mlcourse.module",)`` for a base class to subclass. Only these
        files are exposed, read-only, under a stub ``mlcourse`` package whose
        ``__init__`` files re-export their public names and nothing else. They
        must never contain the answer. By default ``mlcourse`` is not importable.
    requires : tuple of str
        Ids of earlier parts of a multi-part assignment whose exercise cells run
        first, in the same sandbox (part 2 may call part 1's function). A
        required part missing from the submission makes this part score 0.
    driver : str
        Source code defining ``_drive(answer, *args)``. When given, the grader
        runs it in the sandbox after the student's cells, with ``answer`` the
        object the cell defines under ``function`` (a function, a class, a
        number), and compares what ``_drive`` returns with ``reference(*args)``.
        For class exercises and "a number from your experiment" exercises.
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
    hidden_weight: float = 1.0
    sandbox_modules: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    driver: str = ""
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
        for i, entry in enumerate(self.public):
            if not (isinstance(entry, (tuple, list)) and len(entry) in (2, 3) and callable(entry[1])):
                raise ValueError(f"{self.id}: public case {i} must be (label, args_factory) or "
                                 f"(label, args_factory, weight), got {entry!r}")
            if len(entry) == 3 and not (isinstance(entry[2], (int, float)) and entry[2] >= 0):
                raise ValueError(f"{self.id}: public case {i} has weight {entry[2]!r}; expected a "
                                 "number >= 0")
        if not self.hidden_weight >= 0:
            raise ValueError(f"{self.id}: hidden_weight must be >= 0, got {self.hidden_weight!r}")
        object.__setattr__(self, "sandbox_modules", _module_names(self.id, self.sandbox_modules))
        object.__setattr__(self, "requires", _required_ids(self.id, self.requires))
        if not isinstance(self.driver, str):
            raise ValueError(f"{self.id}: driver must be source code (a str), got "
                             f"{type(self.driver).__name__}")
        if self.driver:
            _check_driver(self.id, self.driver)
        object.__setattr__(self, "chapter", int(self.id[2:4]))

    def public_cases(self) -> list[Case]:
        """The public cases, generated from a seed derived from the exercise id."""
        cases = []
        for i, entry in enumerate(self.public):
            label, factory = entry[0], entry[1]
            weight = float(entry[2]) if len(entry) == 3 else 1.0
            digest = hashlib.sha256(f"{self.id}/{i}".encode()).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            cases.append(Case(label, tuple(factory(rng)), hidden=False, weight=weight))
        return cases

    def hidden_cases(self, seed: int) -> list[Case]:
        """``n_hidden`` random cases drawn from ``seed``."""
        if self.hidden is None:
            return []
        rng = np.random.default_rng([seed, int.from_bytes(self.id.encode()[:8], "little")])
        return [Case(f"hidden test {i + 1}", tuple(self.hidden(rng)), hidden=True,
                     weight=float(self.hidden_weight))
                for i in range(self.n_hidden)]

    def expected(self, args: tuple) -> Any:
        """The reference output for ``args`` (computed on copies)."""
        if self.reference is None:
            return None
        return self.reference(*_copy_args(args))


_HIDDEN_LIBRARY = ("mlcourse.grading", "mlcourse.exercises")


def _module_names(exercise_id: str, modules: Any) -> tuple[str, ...]:
    if isinstance(modules, str) or not isinstance(modules, (tuple, list)):
        raise ValueError(f"{exercise_id}: sandbox_modules must be a tuple of module names such as "
                         f"('mlcourse.module',), got {modules!r}")
    for name in modules:
        if not (isinstance(name, str) and name.startswith("mlcourse.")
                and all(part.isidentifier() for part in name.split("."))):
            raise ValueError(f"{exercise_id}: sandbox_modules entries must be dotted names of "
                             f"mlcourse modules such as 'mlcourse.module', got {name!r}")
        if any(name == h or name.startswith(h + ".") for h in _HIDDEN_LIBRARY):
            raise ValueError(f"{exercise_id}: {name} holds answers and tests; it can never be "
                             "exposed in the sandbox")
    return tuple(modules)


def _required_ids(exercise_id: str, requires: Any) -> tuple[str, ...]:
    if isinstance(requires, str) or not isinstance(requires, (tuple, list)):
        raise ValueError(f"{exercise_id}: requires must be a tuple of exercise ids such as "
                         f"('ch05-twolayer-forward',), got {requires!r}")
    for other in requires:
        if not (isinstance(other, str) and _ID_PATTERN.match(other)):
            raise ValueError(f"{exercise_id}: requires entries must be exercise ids, got {other!r}")
        if other == exercise_id:
            raise ValueError(f"{exercise_id}: an exercise cannot require itself")
    return tuple(requires)


def _check_driver(exercise_id: str, driver: str) -> None:
    try:
        tree = ast.parse(driver)
    except SyntaxError as exc:
        raise ValueError(f"{exercise_id}: the driver has a syntax error, line {exc.lineno}: "
                         f"{exc.msg}") from None
    if not any(isinstance(node, ast.FunctionDef) and node.name == "_drive" for node in tree.body):
        raise ValueError(f"{exercise_id}: the driver must define `def _drive(answer, *args)`")


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


def required_chain(exercise: Exercise) -> list[Exercise]:
    """The parts ``exercise`` requires, transitively, earliest first (without itself).

    Raises
    ------
    KeyError
        A required id is not registered.
    ValueError
        The requirements form a cycle.
    """
    order: list[Exercise] = []
    visiting: set[str] = set()

    def visit(ex: Exercise) -> None:
        if ex.id in visiting:
            raise ValueError(f"{exercise.id}: the parts it requires form a cycle through {ex.id}")
        if any(o.id == ex.id for o in order):
            return
        visiting.add(ex.id)
        for other in ex.requires:
            visit(get_exercise(other))
        visiting.discard(ex.id)
        order.append(ex)

    visit(exercise)
    return order[:-1]


def exposed_modules(exercise: Exercise) -> tuple[str, ...]:
    """The library modules the sandbox of ``exercise`` exposes: its own and its required parts'."""
    names = {m for part in [*required_chain(exercise), exercise] for m in part.sandbox_modules}
    return tuple(sorted(names))


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


def registered_exercises() -> list[Exercise]:
    """Every registered exercise, in the order of registration (chapter files in order)."""
    _load_all()
    return list(_REGISTRY.values())


def all_exercises() -> list[Exercise]:
    """Every registered exercise, sorted by id."""
    _load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
