"""The set-up files agree with each other and with the README."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# conda-forge names of PyPI packages whose names differ there
CONDA_NAMES = {"torch": "pytorch-cpu"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return normalise(re.split(r"[<>=!~\[; ]", spec.strip(), maxsplit=1)[0])


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs.extend(extra)
    return {requirement_name(s): s for s in specs}


def environment_requirements() -> dict[str, str]:
    """The conda packages of environment.yml (a flat list: parsed by hand)."""
    found = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"^  - ([A-Za-z0-9_.\-]+)(.*)$", line)
        if match and match.group(1) not in {"python", "pip"}:
            found[normalise(match.group(1))] = match.group(1) + match.group(2).strip()
    return found


def locked_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock line {line!r} is not an exact pin"
            pins[normalise(name)] = version
    return pins


def test_environment_yml_lists_the_same_packages_as_pyproject():
    pip_side = {CONDA_NAMES.get(name, name) for name in pyproject_requirements()}
    assert set(environment_requirements()) == pip_side


def test_environment_yml_keeps_the_same_lower_bounds():
    conda = environment_requirements()
    for name, spec in pyproject_requirements().items():
        bound = re.search(r">=\s*([0-9.]+)", spec).group(1)
        assert f">={bound}" in conda[CONDA_NAMES.get(name, name)], (name, spec)


def test_environment_yml_installs_the_package_itself():
    assert re.search(r"^\s+- -e \.\s*$", (ROOT / "environment.yml").read_text(), re.M)


def test_every_requirement_is_pinned_in_the_lock():
    pins = locked_versions()
    missing = sorted(set(pyproject_requirements()) - set(pins))
    assert not missing, f"requirements.lock lacks {missing}"


def test_torch_is_pinned_to_the_cpu_build_on_disk():
    assert locked_versions()["torch"] == "2.13.0"
    # the package itself keeps a range, never an exact pin
    assert all("==" not in spec for spec in pyproject_requirements().values())


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
