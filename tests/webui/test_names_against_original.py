"""The drop-in has every name the Web UI takes from its original ``api/models.py``, with the
original's parameters, read from the original's source itself (not a copied list)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from hermes_sessions_core import compat

REPO_ROOT = Path(__file__).resolve().parents[2]
WEBUI = REPO_ROOT.parent / "shared" / "webui"
OURS = REPO_ROOT / "examples" / "webui" / "api" / "models.py"

pytestmark = pytest.mark.skipif(
    not (WEBUI / "api" / "models.py").is_file(),
    reason=f"the Web UI checkout is absent at {WEBUI} (CI always has it)",
)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _host_imports() -> set[str]:
    """Names the host's own code imports from api.models or reads as ``models.X``."""
    names: set[str] = set()
    sources = [*sorted((WEBUI / "api").glob("*.py")), WEBUI / "server.py", WEBUI / "mcp_server.py"]
    for path in sources:
        if path.name == "models.py":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.module == "api.models":
                names.update(alias.name for alias in node.names)
    return names


def _our_names() -> set[str]:
    """What our file defines: the host objects it imports plus the drop-in it re-exports."""
    names = set(compat.__all__)
    for node in _tree(OURS).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("api."):
            names.update(alias.asname or alias.name for alias in node.names)
        if isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _original_functions() -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in _tree(WEBUI / "api" / "models.py").body
            if isinstance(node, ast.FunctionDef)}


def _parameters(node: ast.FunctionDef) -> list[tuple[str, bool]]:
    """(name, has a default) for each parameter, positional ones first, then keyword-only."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    result = [(a.arg, i >= first_default) for i, a in enumerate(positional)]
    result += [(a.arg, d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return result


def test_every_name_the_host_imports_is_there() -> None:
    """Everything server.py, mcp_server.py and api/*.py import from api.models exists in ours."""
    missing = sorted(_host_imports() - _our_names())
    assert not missing, f"examples/webui/api/models.py lacks names the host imports: {missing}"


def test_every_public_function_of_the_original_is_there() -> None:
    """The original's public functions all exist (hosts beyond the Web UI may call them)."""
    public = {name for name in _original_functions() if not name.startswith("_")}
    assert not sorted(public - set(compat.__all__))


@pytest.mark.parametrize("name", sorted(
    name for name in _original_functions() if name in set(compat.__all__)
) if (WEBUI / "api" / "models.py").is_file() else [])
def test_parameters_match_the_original(name: str) -> None:
    """Same parameter names in the same order, optional where the original's were, so every
    positional or keyword call the host makes still binds."""
    ours = inspect.signature(getattr(compat, name))
    theirs = _parameters(_original_functions()[name])
    got = [(p.name, p.default is not inspect.Parameter.empty) for p in ours.parameters.values()
           if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert [n for n, _ in got[: len(theirs)]] == [n for n, _ in theirs]
    for (their_name, their_optional), (_, our_optional) in zip(theirs, got):
        assert our_optional or not their_optional, f"{name}({their_name}) must stay optional"
    extra = got[len(theirs):]
    assert all(optional for _, optional in extra), f"{name}: new parameters must be optional"
