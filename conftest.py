"""Repository-wide pytest options.

``--notebook PATH`` (repeatable) names submissions for ``tests/exercises``:
``pytest tests/exercises --notebook SUBMISSION.ipynb`` grades them with the
same public and hidden tests as ``mlcourse grade``. Without it, those tests
grade the instructor notebooks in ``notebooks/``, which must score full marks.
"""


def pytest_addoption(parser):
    parser.addoption(
        "--notebook", action="append", default=[], metavar="PATH",
        help="a submitted notebook to grade in tests/exercises (repeatable)",
    )
