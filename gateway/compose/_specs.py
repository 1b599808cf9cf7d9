"""The core features a supergraph links to: their URLs and definitions, per version.

The texts are those of the join, link, tag, inaccessible, authenticated, requiresScopes,
policy and cost specs (https://specs.apollo.dev), as the reference composer prints them.
"""

# The spec texts are kept verbatim, one definition per line, as the reference prints them.
# ruff: noqa: E501

from __future__ import annotations

__all__ = [
    "FEATURE_DEFINITIONS",
    "FEATURE_LINKS",
    "JOIN_DEFINITIONS",
    "LINK_DEFINITIONS",
    "join_version_for",
]

LINK_DEFINITIONS = '''
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar link__Import

enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}
'''

_JOIN_COMMON = """
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

scalar join__FieldSet
"""

_JOIN_DIRECTIVE = """
directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION

scalar join__DirectiveArguments
"""

_JOIN_FIELD_ARGS = (
    "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, "
    "type: String, external: Boolean, override: String, usedOverridden: Boolean"
)
_JOIN_FIELD_LOCATIONS = "repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION"

JOIN_DEFINITIONS: dict[str, str] = {
    "v0.3": f"""{_JOIN_COMMON}
directive @join__field({_JOIN_FIELD_ARGS}) {_JOIN_FIELD_LOCATIONS}
""",
    "v0.4": f"""{_JOIN_COMMON}{_JOIN_DIRECTIVE}
directive @join__field({_JOIN_FIELD_ARGS}, overrideLabel: String) {_JOIN_FIELD_LOCATIONS}
""",
    "v0.5": f"""{_JOIN_COMMON}{_JOIN_DIRECTIVE}
directive @join__field({_JOIN_FIELD_ARGS}, overrideLabel: String, contextArguments: [join__ContextArgument!]) {_JOIN_FIELD_LOCATIONS}

input join__ContextArgument {{
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}}

scalar join__FieldValue
""",
}


def join_version_for(federation_version: tuple[int, int]) -> str:
    """The join spec version the reference composer emits for a federation version.

    Federation 2.7 added progressive @override (join v0.4, `overrideLabel`); 2.8 added
    @context (join v0.5, `contextArguments`).
    """
    if federation_version >= (2, 8):
        return "v0.5"
    if federation_version >= (2, 7):
        return "v0.4"
    return "v0.3"


# Directive name -> (link URL, purpose or None).
FEATURE_LINKS: dict[str, tuple[str, str | None]] = {
    "tag": ("https://specs.apollo.dev/tag/v0.3", None),
    "inaccessible": ("https://specs.apollo.dev/inaccessible/v0.2", "SECURITY"),
    "authenticated": ("https://specs.apollo.dev/authenticated/v0.1", "SECURITY"),
    "requiresScopes": ("https://specs.apollo.dev/requiresScopes/v0.1", "SECURITY"),
    "policy": ("https://specs.apollo.dev/policy/v0.1", "SECURITY"),
    "cost": ("https://specs.apollo.dev/cost/v0.1", None),
    "context": ("https://specs.apollo.dev/context/v0.1", "SECURITY"),
}

_AUTH_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"

FEATURE_DEFINITIONS: dict[str, str] = {
    "tag": "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT"
    " | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE"
    " | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA",
    "inaccessible": "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE"
    " | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT"
    " | INPUT_FIELD_DEFINITION",
    "authenticated": f"directive @authenticated on {_AUTH_LOCATIONS}",
    "requiresScopes": "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!)"
    f" on {_AUTH_LOCATIONS}\n\nscalar requiresScopes__Scope",
    "policy": "directive @policy(policies: [[policy__Policy!]!]!)"
    f" on {_AUTH_LOCATIONS}\n\nscalar policy__Policy",
    "cost": "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM"
    " | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
    "context": "directive @context(name: String!) repeatable on INTERFACE | OBJECT"
    " | UNION\n\ndirective @context__fromContext(field: context__ContextFieldValue)"
    " on ARGUMENT_DEFINITION\n\nscalar context__ContextFieldValue",
    "listSize": "directive @listSize(assumedSize: Int, slicingArguments: [String!],"
    " sizedFields: [String!], requireOneSlicingArgument: Boolean = true)"
    " on FIELD_DEFINITION",
}
