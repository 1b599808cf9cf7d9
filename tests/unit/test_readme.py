"""The README's example operations are valid against the graph they describe."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import DocumentNode, parse, validate

from gateway.supergraph import load_supergraph

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def test_every_readme_example_validates_against_the_supergraph() -> None:
    readme = (ROOT / "README.md").read_text()
    api_schema = load_supergraph(
        (ROOT / "schema" / "supergraph.graphql").read_text()
    ).api_schema
    blocks = BLOCK.findall(readme)
    assert len(blocks) >= 4

    problems = []
    for block in blocks:
        # One block may hold several operations: validate each on its own.
        for definition in parse(block).definitions:
            errors = validate(api_schema, DocumentNode(definitions=(definition,)))
            problems += [f"{error.message}\n{block}" for error in errors]

    assert problems == []


def test_every_gateway_setting_is_documented() -> None:
    from gateway.config import setting_keys

    readme = (ROOT / "README.md").read_text()
    keys = [*setting_keys(), "authorization.policies", "clients"]
    missing = [key for key in keys if f"`{key}`" not in readme]
    assert missing == []


# How the subgraphs read their environment: `env.get("X")`, `os.environ.get("X")`,
# `environ["X"]` and the kit's `number("X", ...)`.
ENV_READ = re.compile(
    r"""(?:environ(?:\.get)?|\benv\.get|\bnumber)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
)


def test_every_variable_the_subgraphs_read_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    read = {
        name
        for path in (ROOT / "subgraphs").rglob("*.py")
        for match in ENV_READ.finditer(path.read_text())
        for name in match.groups()
        if name
    }
    assert len(read) > 20  # the pattern still finds how they are read
    assert sorted(name for name in read if f"`{name}`" not in readme) == []
