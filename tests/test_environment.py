"""The set-up files agree with each other and with the README.

- pyproject.toml, environment.yml and requirements.lock name the same
  packages with the same lower bounds; every requirement is pinned exactly;
- torch's CPU build: pinned by tools/torch.in, installed by its own step
  from PyTorch's CPU index (the only step that names that index), before the
  lock; the lock holds the CPU build's dependencies, no NVIDIA library;
- one Python floor in pyproject.toml, the README, environment.yml and the
  Makefile's check;
- the ``test`` extra names every package that tests/ imports;
- the JupyterLab defaults that ``make install`` writes are valid settings.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

# conda-forge names of PyPI packages whose names differ there
CONDA_NAMES = {"torch": "pytorch-cpu"}
LINUX = {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"}
MACOS = {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pyproject_specs(*groups: str) -> list[str]:
    """The requirement strings of ``dependencies`` and the named extras (all extras without names)."""
    data = project()
    extras = data["optional-dependencies"]
    specs = list(data["dependencies"])
    for group in groups or tuple(extras):
        specs.extend(extras[group])
    return specs


def pyproject_requirements() -> dict[str, str]:
    return {normalise(Requirement(s).name): s for s in pyproject_specs()}


def environment_requirements() -> dict[str, str]:
    """The conda packages of environment.yml (a flat list: parsed by hand)."""
    found = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"^  - ([A-Za-z0-9_.\-]+)(.*)$", line)
        if match and match.group(1) not in {"python", "pip"}:
            found[normalise(match.group(1))] = match.group(1) + match.group(2).strip()
    return found


def requirement_lines(path: Path) -> list[Requirement]:
    """The requirements of a pip requirements file (comments, options and
    pip-compile's ``# via`` annotations left out)."""
    found = []
    for line in path.read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            assert not line.startswith("-"), f"{path.name}: option line {line!r}"
            found.append(Requirement(line))
    return found


def locked(environment: dict[str, str] = LINUX) -> dict[str, str]:
    """Name -> the exact version that requirements.lock installs where the
    markers see ``environment``."""
    pins = {}
    for req in requirement_lines(ROOT / "requirements.lock"):
        if req.marker is not None and not req.marker.evaluate(environment):
            continue
        (spec,) = req.specifier
        assert spec.operator == "==", f"requirements.lock: {req} is not an exact pin"
        pins[normalise(req.name)] = spec.version
    return pins


# --- the same packages everywhere -------------------------------------------------


def test_environment_yml_lists_the_same_packages_as_pyproject():
    pip_side = {CONDA_NAMES.get(name, name) for name in pyproject_requirements()}
    assert set(environment_requirements()) == pip_side


def test_environment_yml_keeps_the_same_lower_bounds():
    conda = environment_requirements()
    for name, spec in pyproject_requirements().items():
        bound = re.search(r">=\s*([0-9.]+)", spec).group(1)
        assert f">={bound}" in conda[CONDA_NAMES.get(name, name)], (name, spec)


def test_a_package_in_two_extras_has_one_spec():
    specs: dict[str, set[str]] = {}
    for spec in pyproject_specs():
        req = Requirement(spec)
        specs.setdefault(normalise(req.name), set()).add(str(req.specifier))
    assert {n: s for n, s in specs.items() if len(s) > 1} == {}


def test_environment_yml_installs_the_package_itself():
    assert re.search(r"^\s+- -e \.\s*$", (ROOT / "environment.yml").read_text(), re.M)


def test_every_requirement_is_pinned_in_the_lock():
    for environment in (LINUX, MACOS):
        pins = locked(environment)
        missing = sorted(set(pyproject_requirements()) - set(pins) - ({"torch"} if environment is MACOS else set()))
        assert not missing, f"requirements.lock lacks {missing} ({environment['sys_platform']})"
        for name, spec in pyproject_requirements().items():
            if name in pins:
                assert Requirement(spec).specifier.contains(pins[name], prereleases=True), (spec, pins[name])


def test_the_package_keeps_ranges():
    assert all("==" not in spec for spec in pyproject_requirements().values())


# --- torch's CPU build --------------------------------------------------------------


def torch_pins() -> dict[str, str]:
    """platform -> the torch version tools/torch.in installs there."""
    pins = {}
    for label, environment in (("linux", LINUX), ("macos", MACOS)):
        chosen = [r for r in requirement_lines(ROOT / "tools" / "torch.in")
                  if r.marker is None or r.marker.evaluate(environment)]
        assert len(chosen) == 1 and normalise(chosen[0].name) == "torch", (label, chosen)
        (spec,) = chosen[0].specifier
        assert spec.operator == "==", chosen[0]
        pins[label] = spec.version
    return pins


def test_torch_is_the_cpu_build_on_linux_and_the_plain_build_on_macos():
    pins = torch_pins()
    assert pins["linux"].endswith("+cpu"), pins
    assert pins["macos"] == pins["linux"].removesuffix("+cpu"), pins
    assert locked(LINUX)["torch"] == pins["linux"]


def test_the_lock_holds_no_cuda_library():
    """The lock was resolved with the CPU build's dependencies: none of the
    NVIDIA libraries or triton that PyPI's Linux torch asks for."""
    names = set(locked(LINUX))
    assert {"torch", "sympy", "networkx", "filelock"} <= names
    assert not {n for n in names if n.startswith(("nvidia-", "triton"))}


def makefile_recipe(target: str) -> list[str]:
    """The recipe lines of ``target`` in the Makefile, continuations joined."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    block = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)+)", text, re.M)
    assert block, f"no rule for {target}"
    return [line.strip() for line in block.group(1).splitlines()]


def test_the_cpu_index_is_named_for_torch_alone():
    """The CPU index appears only on the lines that install or fetch
    tools/torch.in without dependencies, and never in the lock (an index
    named there would be asked for every package of the lock)."""
    makefile = (ROOT / "Makefile").read_text()
    assert f"TORCH_INDEX := {TORCH_INDEX}" in makefile
    lines = [line for line in makefile.replace("\\\n", " ").splitlines() if "$(TORCH_INDEX)" in line]
    assert len(lines) == 2, lines
    for line in lines:
        assert "--no-deps" in line and "-r tools/torch.in" in line, line
    assert "download.pytorch.org" not in (ROOT / "requirements.lock").read_text()


def test_install_puts_torch_first():
    recipe = makefile_recipe("$(STAMP)")
    torch = next(i for i, line in enumerate(recipe) if "-r tools/torch.in" in line)
    lock = next(i for i, line in enumerate(recipe) if "-r requirements.lock" in line)
    assert torch < lock, recipe
    assert "--index-url $(TORCH_INDEX)" in recipe[torch]


def test_lock_is_made_by_pip_compile():
    recipe = " ".join(makefile_recipe("lock"))
    assert "pip-compile" in recipe and "pyproject.toml tools/torch.in" in recipe
    assert "pip freeze" not in recipe
    assert "autogenerated by pip-compile" in (ROOT / "requirements.lock").read_text()


# --- one Python floor ----------------------------------------------------------------


def python_floor() -> tuple[int, int]:
    match = re.fullmatch(r">=\s*3\.(\d+)", project()["requires-python"])
    assert match, project()["requires-python"]
    return 3, int(match.group(1))


def test_one_python_floor_everywhere():
    major, minor = python_floor()
    readme = (ROOT / "README.md").read_text()
    assert f"Python {major}.{minor} or newer" in readme
    assert not re.search(rf"Python {major}\.(?!{minor}\b)\d+ or newer", readme)
    assert re.search(rf"^  - python={major}\.{minor}\s*$", (ROOT / "environment.yml").read_text(), re.M)
    assert f"v >= ({major}, {minor})" in (ROOT / "Makefile").read_text()
    assert sys.version_info[:2] >= (major, minor)


# --- the test extra names what the tests import ------------------------------------------


def imported_modules(folder: Path) -> set[str]:
    """Top-level names of the absolute imports in every .py file under ``folder``."""
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_the_test_extra_names_every_package_the_tests_import():
    local = {"course_utils", "tools", "conftest"} | {p.stem for p in (ROOT / "tests").rglob("*.py")}
    local |= {p.stem for p in (ROOT / "book" / "_ext").glob("*.py")}  # the book's Sphinx extensions
    third_party = imported_modules(ROOT / "tests") - set(sys.stdlib_module_names) - local - {"__future__"}
    assert {"pytest", "torch", "psutil", "playwright"} <= third_party  # the scan sees them
    distributions = metadata.packages_distributions()
    named = {normalise(Requirement(s).name) for s in pyproject_specs("test")}
    missing = {}
    for module in sorted(third_party):
        owners = {normalise(d) for d in distributions.get(module, [module])}
        if not owners & named:
            missing[module] = sorted(owners)
    assert not missing, f"tests import these, which pyproject.toml's test extra does not name: {missing}"


# --- the lab's defaults --------------------------------------------------------------------


def test_lab_overrides_are_valid_jupyterlab_settings():
    """tools/lab-overrides.json (copied by ``make install`` into the
    environment's JupyterLab settings) turns the news prompt and the update
    check off, in terms of JupyterLab's own settings schema."""
    import jsonschema
    from jupyterlab.commands import get_app_dir

    overrides = json.loads((ROOT / "tools" / "lab-overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
    for plugin, values in overrides.items():
        package, name = plugin.split(":")
        schema_file = Path(get_app_dir()) / "schemas" / package / f"{name}.json"
        if not schema_file.is_file():
            pytest.skip(f"JupyterLab's schema {schema_file} is not installed here")
        jsonschema.validate(values, json.loads(schema_file.read_text()))
    recipe = " ".join(makefile_recipe("$(STAMP)"))
    assert "cp tools/lab-overrides.json $(LAB_OVERRIDES)" in recipe
    assert "LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/" in (ROOT / "Makefile").read_text()


# --- the README ------------------------------------------------------------------------------


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", text, re.S)
    assert block, "README.md has no code block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_two_commands_the_second_runs_the_tests():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert "test" not in commands[0] and "lab" in commands[0]
    assert "test" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci.splitlines()
