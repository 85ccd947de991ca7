"""What ``import course_utils`` does, and what it offers: the core, nothing else.

The package is the core a learner imports (``course_utils``), the lessons
(``course_utils.lessons``, one module per notebook) and the exercises'
checker (``course_utils.exercises``). Importing the core must not import the
widgets, IPython or pyplot, fill a registry or rebind a module attribute:
checked in a fresh interpreter, since this test process has imported them all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils as cu
from course_utils import lessons

ROOT = Path(__file__).resolve().parent.parent

#: the names that keep their spelling and meaning (tests outside the repository call them)
CONTRACT = {
    "SparseMatrix", "train", "History", "iterate", "exact_solution", "mlp_mask", "random_mask",
    "from_sequential", "IteratedMap", "seed_data", "seed_generator", "plot_loss", "plot_matrices", "setup",
}

PROBE = """
import json, sys, types
before = set(sys.modules)
import course_utils
after = set(sys.modules)
attributes = {name: type(value).__name__ for name, value in vars(course_utils).items()
              if not name.startswith("__")}
print(json.dumps({
    "heavy": sorted(m for m in ("ipywidgets", "IPython", "matplotlib.pyplot", "sklearn", "scipy")
                    if m in after and m not in before),
    "submodules": sorted(m for m in after - before if m.startswith("course_utils")),
    "attributes": attributes,
}))
"""


@pytest.fixture(scope="module")
def fresh_import() -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_loads_no_widgets_ipython_or_pyplot(fresh_import: dict) -> None:
    assert fresh_import["heavy"] == [], f"import course_utils imported {fresh_import['heavy']}"


def test_import_loads_only_the_core(fresh_import: dict) -> None:
    loaded = set(fresh_import["submodules"])
    assert not {m for m in loaded if m.startswith(("course_utils.lessons", "course_utils.exercises"))}, loaded
    core = {"course_utils." + name for name in
            ("activations", "data", "exact", "mlp", "operator", "plotting", "recurrent", "storage", "training", "_checks")}
    assert loaded - {"course_utils"} <= core, f"not core: {sorted(loaded - {'course_utils'} - core)}"


def test_no_module_attribute_rebound(fresh_import: dict) -> None:
    """Every attribute named like a submodule is that submodule (nothing like
    ``course_utils.explorers = {}``), and no registry object is created."""
    for name, kind in fresh_import["attributes"].items():
        if (ROOT / "course_utils" / f"{name}.py").exists() or (ROOT / "course_utils" / name).is_dir():
            assert kind == "module", f"course_utils.{name} is a {kind}, not the module of that name"
        assert kind not in {"dict", "list", "set"} or name == "__all__", f"course_utils.{name} is a {kind}"


def test_public_names_few_and_kept() -> None:
    assert len(cu.__all__) <= 40, f"{len(cu.__all__)} public names"
    assert len(set(cu.__all__)) == len(cu.__all__)
    missing = CONTRACT - set(cu.__all__)
    assert not missing, f"public contract names missing: {sorted(missing)}"
    for name in cu.__all__:
        assert hasattr(cu, name), name


def test_every_public_name_is_used_by_a_notebook_or_a_lesson() -> None:
    """No dead weight in ``__all__``: each name appears as ``cu.name`` in a
    notebook, or is used by a lesson module or the exercises."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "course_utils").rglob("*.py"))
              if p.parent.name == "lessons" or p.stem == "exercises"]
    text = "\n".join(texts)
    unused = [name for name in cu.__all__ if f"cu.{name}" not in text and f"{name}(" not in text
              and f"import {name}" not in text and f", {name}" not in text]
    assert not unused, f"public names used nowhere: {unused}"


def test_lessons_follow_the_notebooks() -> None:
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("0[1-9]_*.ipynb"))
    for notebook in notebooks:
        name = notebook.split("_", 1)[1]
        assert name in lessons.LESSONS, f"{notebook} has no lesson module course_utils/lessons/{name}.py"
        source = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in source["cells"] if c["cell_type"] == "code")
        assert f"from course_utils.lessons import {name} as lesson" in code, f"{notebook} does not import its lesson"


def test_tools_are_outside_the_package() -> None:
    for name in ("lab", "check", "refresh"):
        assert not (ROOT / "course_utils" / f"{name}.py").exists(), f"course_utils/{name}.py is tooling inside the package"


# ---------------------------------------------- issue 17: one cache, copies handed out
#: lesson modules owned by another change; they switch to ``lessons.cache.copied`` there
PENDING_CACHES: set[str] = set()


def test_every_lesson_cache_is_the_copying_one() -> None:
    """No lesson caches with functools directly: ``course_utils.lessons.cache.copied`` hands each caller a copy."""
    for path in sorted((ROOT / "course_utils" / "lessons").glob("*.py")):
        if path.stem in PENDING_CACHES or path.stem == "cache":
            continue
        text = path.read_text(encoding="utf-8")
        for word in ("lru_cache", "functools.cache", "@cache\n"):
            assert word not in text, f"{path.name} caches with {word.strip()}: use lessons.cache.copied"


def test_cached_lesson_results_are_the_callers_own() -> None:
    """Mutate what one call returned, call again: the pristine value (depth_run's History, sweep_examples)."""
    from course_utils.lessons import depth_and_the_saddle as saddle
    from course_utils.lessons import exact_inverse

    history = saddle.depth_run(0.3, 2)
    kept = (list(history.losses), history.converged)
    history.losses.append(-1.0)
    history.converged = not history.converged
    again = saddle.depth_run(0.3, 2)
    assert again is not history and (again.losses, again.converged) == kept

    sweep = exact_inverse.sweep_examples(0.1, 4)
    assert exact_inverse.sweep_examples(0.1, 4) is not sweep
