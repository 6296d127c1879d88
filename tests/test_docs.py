"""Docs: every public loss has a complete NumPy-style docstring, and every example runs.

The docstrings are parsed here by hand (no numpydoc dependency), strictly: a section is a
title underlined by dashes of its length; an entry of ``Parameters`` or ``Returns`` is a
line at the section's indentation, ``name : type`` (or ``a, b : type`` for several names),
followed by an indented description. The doctests run from the installed package, so the
README's ``python -m pytest`` runs them too.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pathlib
import re
from typing import Any, Callable

import pytest

import fastloss

REQUIRED = ("Parameters", "Returns", "Examples")
# numpydoc's order of the sections a loss's docstring may have.
ORDER = ("Parameters", "Returns", "Yields", "Raises", "Warns", "See Also", "Notes",
         "References", "Examples")

DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

PACKAGE = pathlib.Path(fastloss.__file__).parent
LOSS_MODULES = sorted({fastloss.get(name).__module__ for name in fastloss.losses()})
DOCTESTED = [*LOSS_MODULES, "fastloss.accumulator"]


def split_sections(doc: str) -> dict[str, list[str]]:
    """{title: body lines} of a docstring; the text before the first section is under ""."""
    lines = inspect.cleandoc(doc).splitlines()
    sections: dict[str, list[str]] = {"": []}
    current = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        title = line.strip()
        if (title and not line.startswith(" ") and re.fullmatch(r"-+", underline)
                and len(underline) == len(title)):
            if title in sections:
                raise ValueError(f"section {title!r} appears twice")
            sections[title] = []
            current = title
            i += 2
            continue
        sections[current].append(line)
        i += 1
    return sections


def parse_entries(body: list[str], section: str) -> dict[str, str]:
    """{name: type} of the entries of a Parameters or Returns section.

    Raises ValueError for an unindented line that is not ``name[, name...] : type``, an
    entry without an indented description, or a name given twice.
    """
    entries: dict[str, str] = {}
    lines = list(body)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ValueError(f"{section} is empty")
    i = 0
    while i < len(lines):
        header = lines[i]
        if header.startswith(" "):
            raise ValueError(f"{section}: indented text before any entry: {header.strip()!r}")
        if not header.strip():
            raise ValueError(f"{section}: blank line between entries")
        names, sep, kind = header.partition(" : ")
        if not sep or not kind.strip():
            raise ValueError(f"{section}: entry {header!r} is not 'name : type'")
        i += 1
        description = []
        while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
            description.append(lines[i])
            i += 1
        if not any(line.strip() for line in description):
            raise ValueError(f"{section}: entry {header!r} has no indented description")
        for name in names.split(","):
            name = name.strip().lstrip("*")
            if not name.isidentifier():
                raise ValueError(f"{section}: {name!r} in {header!r} is not a name")
            if name in entries:
                raise ValueError(f"{section}: {name!r} is documented twice")
            entries[name] = kind.strip()
    return entries


def docstring_problems(fn: Callable[..., Any]) -> list[str]:
    """What the docstring of `fn` lacks; empty when it is complete."""
    doc = fn.__doc__
    if not doc or not doc.strip():
        return ["no docstring"]
    try:
        sections = split_sections(doc)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    intro = sections[""]
    if not intro or not intro[0].strip():
        problems.append("no one-line summary")
    elif len(intro) > 1 and intro[1].strip():
        problems.append("the summary is more than one line (or has no blank line after it)")
    titles = [title for title in sections if title]
    for title in REQUIRED:
        if title not in sections:
            problems.append(f"no {title} section")
    unknown = [title for title in titles if title not in ORDER]
    if unknown:
        problems.append(f"unknown sections {unknown}")
    elif titles != sorted(titles, key=ORDER.index):
        problems.append(f"sections out of numpydoc order: {titles}")
    if "Parameters" in sections:
        try:
            documented = parse_entries(sections["Parameters"], "Parameters")
        except ValueError as exc:
            problems.append(str(exc))
        else:
            signature = list(inspect.signature(fn).parameters)
            missing = [name for name in signature if name not in documented]
            unknown_names = [name for name in documented if name not in signature]
            if missing:
                problems.append(f"parameters not documented: {missing}")
            if unknown_names:
                problems.append(f"documented parameters not in the signature: {unknown_names}")
    if "Returns" in sections:
        try:
            parse_entries(sections["Returns"], "Returns")
        except ValueError as exc:
            problems.append(str(exc))
    if "Examples" in sections:
        examples = "\n".join(sections["Examples"])
        if ">>> " not in examples:
            problems.append("Examples has no doctest")
        elif f"{fn.__name__}(" not in examples:
            problems.append(f"no example calls {fn.__name__}")
    return problems


@pytest.mark.parametrize("name", fastloss.losses())
def test_loss_docstring_is_complete(name: str) -> None:
    assert docstring_problems(fastloss.get(name)) == []


def _good(y_true: Any, y_pred: Any, *, delta: float = 1.0, reduction: str = "mean") -> Any:
    """A loss.

    Parameters
    ----------
    y_true, y_pred : array_like
        Inputs.
    delta : float, default 1.0
        An option.
    reduction : str
        How to reduce.

    Returns
    -------
    loss : float
        The loss.

    Examples
    --------
    >>> _good(1, 2)
    """


def _no_sections(y_true: Any, y_pred: Any) -> Any:
    """A loss of ``y_true`` and ``y_pred``.

    >>> _no_sections(1, 2)
    """


def _missing_parameter(y_true: Any, y_pred: Any, *, delta: float = 1.0) -> Any:
    """A loss.

    Parameters
    ----------
    y_true, y_pred : array_like
        Inputs.

    Returns
    -------
    loss : float
        The loss.

    Examples
    --------
    >>> _missing_parameter(1, 2)
    """


def _untyped_and_undescribed(y_true: Any, y_pred: Any, *, delta: float = 1.0) -> Any:
    """A loss.

    Parameters
    ----------
    y_true, y_pred
        Inputs.
    delta : float

    Returns
    -------
    loss : float
        The loss.

    Examples
    --------
    >>> _untyped_and_undescribed(1, 2)
    """


def _free_text_and_no_doctest(y_true: Any, y_pred: Any) -> Any:
    """A loss.

    Parameters
    ----------
    y_true, y_pred : array_like
        Inputs.

    Equivalent to something, in a paragraph that is not a parameter.

    Examples
    --------
    Call it.
    """


@pytest.mark.parametrize("fn, expected", [
    (_no_sections, ["no Parameters section", "no Returns section", "no Examples section"]),
    (_missing_parameter, ["parameters not documented: ['delta']"]),
    (_untyped_and_undescribed, ["is not 'name : type'"]),
    (_free_text_and_no_doctest, ["no Returns section", "not 'name : type'",
                                 "Examples has no doctest"]),
])
def test_incomplete_docstrings_are_caught(fn: Callable[..., Any], expected: list[str]) -> None:
    assert docstring_problems(_good) == []
    problems = docstring_problems(fn)
    for part in expected:
        assert any(part in problem for problem in problems), (part, problems)


def test_entries_need_a_description() -> None:
    with pytest.raises(ValueError, match="no indented description"):
        parse_entries(["delta : float", "reduction : str", "    How to reduce."], "Parameters")


@pytest.mark.parametrize("module_name", DOCTESTED)
def test_doctests(module_name: str) -> None:
    module = importlib.import_module(module_name)
    failed, attempted = doctest.testmod(module, optionflags=DOCTEST_FLAGS)
    assert failed == 0, f"{failed} of {attempted} examples of {module_name} failed (see stdout)"
    assert attempted > 0, f"{module_name} has no examples"


def test_every_module_with_examples_is_doctested() -> None:
    with_examples = set()
    for path in PACKAGE.glob("*.py"):
        if path.stem != "__main__" and ">>>" in path.read_text(encoding="utf-8"):
            with_examples.add("fastloss" if path.stem == "__init__" else f"fastloss.{path.stem}")
    assert with_examples <= set(DOCTESTED), sorted(with_examples - set(DOCTESTED))
