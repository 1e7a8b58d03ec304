"""Procedure definitions: YAML files in procedures/, validated at load time.

A bad file is refused with a `ProcedureError` naming the file, the line and
the problem. Line numbers come from PyYAML's node tree (`yaml.compose`), so
every pydantic error location can be traced back to the line that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ProcedureError
from pipeline.fields import DocType
from pipeline.rules.applicants import ApplicantKind
from pipeline.rules.piece_rules import RULES

# Shipped next to the packages; installed as data by the project's packaging.
DEFAULT_PROCEDURES_DIR = Path(__file__).resolve().parents[2] / "procedures"


class RuleRef(BaseModel):
    """One rule of a requirement: a name from `rules.RULES` and its parameter, if it takes one."""

    model_config = ConfigDict(frozen=True)

    name: str
    param: Any = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        # YAML says `not_expired` or `{max_age_days: 90}`
        if isinstance(data, str):
            return {"name": data, "param": None}
        if isinstance(data, dict) and not ("name" in data and set(data) <= {"name", "param"}):
            if len(data) != 1:
                raise ValueError(
                    "a rule with a parameter is a mapping with exactly one key, "
                    f"e.g. {{max_age_days: 90}}; got keys {sorted(map(str, data))}"
                )
            ((name, param),) = data.items()
            return {"name": name, "param": param}
        if isinstance(data, dict):
            return data
        raise ValueError("a rule is a name (not_expired) or a one-key mapping ({max_age_days: 90})")

    @model_validator(mode="after")
    def _known_rule(self) -> RuleRef:
        rule = RULES.get(self.name)
        if rule is None:
            raise ValueError(f"unknown rule {self.name!r}; known rules: {', '.join(sorted(RULES))}")
        if rule.param is None and self.param is not None:
            raise ValueError(f"rule {self.name!r} takes no parameter")
        if rule.param is not None:
            try:
                object.__setattr__(self, "param", rule.param.validate_python(self.param))
            except ValidationError as e:
                problem = e.errors()[0]["msg"]
                raise ValueError(f"bad parameter for rule {self.name!r}: {problem}") from None
        return self


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)  # French, shown to citizens
    accept: list[DocType] = Field(min_length=1)
    rules: list[RuleRef] = Field(default_factory=list)
    optional: bool = False
    min_files: int = Field(default=1, ge=1)
    max_files: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _file_bounds(self) -> Requirement:
        if self.max_files is not None and self.max_files < self.min_files:
            raise ValueError("max_files is smaller than min_files")
        return self


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    applicant: ApplicantKind
    auto_incomplete: bool = True
    retention_days: int = Field(ge=1)
    qa_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    type_threshold: float = Field(default=0.6, gt=0.0, lt=1.0)
    requirements: list[Requirement] = Field(min_length=1)

    def requirement(self, requirement_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(requirement_id)


# ---------------------------------------------------------------- loading

_SCALARS = yaml.SafeLoader("")


def load_procedure_file(path: Path) -> Procedure:
    """Parse and validate one procedure file; a problem is a `ProcedureError` with file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _error(path, None, f"cannot read the file ({e.__class__.__name__})") from e
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise _error(path, line, f"invalid YAML: {getattr(e, 'problem', None) or e}") from e
    if root is None:
        raise _error(path, 1, "the file is empty")
    data = _to_python(root, path)
    try:
        procedure = Procedure.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        line = _line_at(root, first["loc"])
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        got = first.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float | bool) else ""
        raise _error(path, line, f"{where}: {first['msg']}{shown}") from e
    _check_unique_ids(procedure, root, path)
    _check_applicant_rules(procedure, root, path)
    return procedure


def _check_unique_ids(procedure: Procedure, root: yaml.Node, path: Path) -> None:
    seen: set[str] = set()
    for i, req in enumerate(procedure.requirements):
        if req.id in seen:
            line = _line_at(root, ("requirements", i, "id"))
            raise _error(path, line, f"duplicate requirement id {req.id!r}")
        seen.add(req.id)


def _check_applicant_rules(procedure: Procedure, root: yaml.Node, path: Path) -> None:
    for i, req in enumerate(procedure.requirements):
        for j, ref in enumerate(req.rules):
            if procedure.applicant not in RULES[ref.name].applicants:
                line = _line_at(root, ("requirements", i, "rules", j))
                raise _error(
                    path,
                    line,
                    f"rule {ref.name!r} does not apply to a {procedure.applicant} applicant",
                )


def load_procedures(folder: Path | None = None) -> dict[str, Procedure]:
    """Every `*.yaml` procedure in `folder` (default: the shipped procedures/), by code."""
    folder = folder or DEFAULT_PROCEDURES_DIR
    if not folder.is_dir():
        raise ProcedureError(
            f"Dossier des démarches introuvable : {folder}",
            detail=f"procedures folder {folder} does not exist",
        )
    procedures: dict[str, Procedure] = {}
    origin: dict[str, Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        procedure = load_procedure_file(path)
        if procedure.code in procedures:
            first = origin[procedure.code].name
            raise _error(path, None, f"procedure code {procedure.code!r} already in {first}")
        procedures[procedure.code] = procedure
        origin[procedure.code] = path
    return procedures


@cache
def _cached(folder: Path) -> dict[str, Procedure]:
    return load_procedures(folder)


def get_procedure(code: str, folder: Path | None = None) -> Procedure:
    """The procedure `code` from `folder` (loaded once per folder and cached)."""
    procedures = _cached((folder or DEFAULT_PROCEDURES_DIR).resolve())
    try:
        return procedures[code]
    except KeyError:
        raise ProcedureError(
            f"Démarche inconnue : « {code} ». Démarches : {', '.join(sorted(procedures))}",
            detail=f"unknown procedure {code!r}",
        ) from None


def _error(path: Path, line: int | None, problem: str) -> ProcedureError:
    where = f"{path.name}, ligne {line}" if line is not None else path.name
    return ProcedureError(
        f"Fichier de démarche invalide ({where}) : {problem}",
        detail=f"{path}:{line or ''}: {problem}",
    )


def _to_python(node: yaml.Node, path: Path) -> Any:
    """Plain data from a composed node, refusing duplicate keys (PyYAML silently keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _to_python(key_node, path)
            if key in result:
                raise _error(path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            result[key] = _to_python(value_node, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, path) for item in node.value]
    # scalars: the safe constructor resolves ints, bools, floats and strings as YAML does
    return _SCALARS.construct_object(node)


def _line_at(root: yaml.Node, loc: Sequence[int | str]) -> int:
    """1-based line of the deepest node along a pydantic error location."""
    node = root
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == part:
                return value_node
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        child: yaml.Node = node.value[part]
        return child
    return None
