"""Load a strategy file: the one `Strategy` subclass it defines, and a description of it."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from engine.strategies.api import Strategy


class StrategyFileError(ValueError):
    """The file does not define exactly one strategy class, or cannot be imported."""


def load_class(path: Path) -> type[Strategy]:
    """Import `path` as a module and return the `Strategy` subclass defined in it."""
    module_name = f"tradedesk_strategy_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StrategyFileError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Strategy)
        and value is not Strategy
        and value.__module__ == module_name
    ]
    if len(found) != 1:
        names = ", ".join(c.__name__ for c in found) or "none"
        raise StrategyFileError(f"{path.name}: defines {len(found)} strategy classes ({names}); "
                                "a file holds exactly one")  # fmt: skip
    return found[0]


def strategy_name(cls: type[Strategy], path: Path) -> str:
    return cls.name or path.stem


def describe(path: Path) -> dict[str, Any]:
    """Name, description, parameter schema and defaults of the strategy in `path`."""
    cls = load_class(path)
    doc = cls.description or inspect.getdoc(cls) or ""
    return {
        "name": strategy_name(cls, path),
        "class_name": cls.__name__,
        "description": doc.strip(),
        "params_schema": cls.Params.model_json_schema(),
        "defaults": cls.Params().model_dump(mode="json") if _has_defaults(cls) else {},
        "markets": list(cls.markets),
    }


def _has_defaults(cls: type[Strategy]) -> bool:
    return all(not f.is_required() for f in cls.Params.model_fields.values())
