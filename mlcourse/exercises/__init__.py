"""Exercise definitions, one module per chapter (``ch01.py`` ... ``ch13.py``).

Each module registers its exercises with :func:`mlcourse.grading.register`:
the function a student writes, its points, the reference implementation,
public cases (seen in the notebook) and hidden random cases (grader only).
The notebook check and the grader both read these definitions, so there is
exactly one place where an exercise's tests live.
"""
