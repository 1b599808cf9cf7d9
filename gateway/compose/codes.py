"""Every code composition reports, each with what it means: one registry.

The codes are the Apollo tools' (Apollo's `makeCodeDefinition` in federation-internals
is the model), so users can look them up. `ErrorCode` and `HintCode` are closed sets:
a `CompositionError` takes an `ErrorCode`, a `CompositionHint` a `HintCode`, so a code
that is not defined here cannot be reported. Both are `str` enums: a code compares equal
to its name. The codes of one check applied to @key, @provides and @requires are looked
up by name (`directive_code`).
"""

from __future__ import annotations

from enum import StrEnum, unique

__all__ = ["ErrorCode", "HintCode", "Problem", "directive_code"]


@unique
class ErrorCode(StrEnum):
    """Why the subgraphs do not compose (`description` says when it is reported)."""

    NO_SUBGRAPHS = "NO_SUBGRAPHS"
    INVALID_SUBGRAPH_NAME = "INVALID_SUBGRAPH_NAME"
    INVALID_GRAPHQL = "INVALID_GRAPHQL"
    INVALID_SUPERGRAPH = "INVALID_SUPERGRAPH"
    INVALID_LINK_DIRECTIVE_USAGE = "INVALID_LINK_DIRECTIVE_USAGE"
    INVALID_LINK_IDENTIFIER = "INVALID_LINK_IDENTIFIER"
    DIRECTIVE_COMPOSITION_ERROR = "DIRECTIVE_COMPOSITION_ERROR"
    ROOT_QUERY_USED = "ROOT_QUERY_USED"
    ROOT_MUTATION_USED = "ROOT_MUTATION_USED"
    ROOT_SUBSCRIPTION_USED = "ROOT_SUBSCRIPTION_USED"
    KEY_INVALID_FIELDS = "KEY_INVALID_FIELDS"
    PROVIDES_INVALID_FIELDS = "PROVIDES_INVALID_FIELDS"
    REQUIRES_INVALID_FIELDS = "REQUIRES_INVALID_FIELDS"
    KEY_INVALID_FIELDS_TYPE = "KEY_INVALID_FIELDS_TYPE"
    PROVIDES_INVALID_FIELDS_TYPE = "PROVIDES_INVALID_FIELDS_TYPE"
    REQUIRES_INVALID_FIELDS_TYPE = "REQUIRES_INVALID_FIELDS_TYPE"
    KEY_FIELDS_HAS_ARGS = "KEY_FIELDS_HAS_ARGS"
    PROVIDES_FIELDS_HAS_ARGS = "PROVIDES_FIELDS_HAS_ARGS"
    REQUIRES_FIELDS_HAS_ARGS = "REQUIRES_FIELDS_HAS_ARGS"
    PROVIDES_FIELDS_MISSING_EXTERNAL = "PROVIDES_FIELDS_MISSING_EXTERNAL"
    REQUIRES_FIELDS_MISSING_EXTERNAL = "REQUIRES_FIELDS_MISSING_EXTERNAL"
    KEY_FIELDS_SELECT_INVALID_TYPE = "KEY_FIELDS_SELECT_INVALID_TYPE"
    EXTERNAL_UNUSED = "EXTERNAL_UNUSED"
    EXTERNAL_MISSING_ON_BASE = "EXTERNAL_MISSING_ON_BASE"
    EXTERNAL_TYPE_MISMATCH = "EXTERNAL_TYPE_MISMATCH"
    MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL = (
        "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL"
    )
    INTERFACE_OBJECT_USAGE_ERROR = "INTERFACE_OBJECT_USAGE_ERROR"
    INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE = (
        "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE"
    )
    TYPE_KIND_MISMATCH = "TYPE_KIND_MISMATCH"
    INVALID_FIELD_SHARING = "INVALID_FIELD_SHARING"
    FIELD_TYPE_MISMATCH = "FIELD_TYPE_MISMATCH"
    FIELD_ARGUMENT_TYPE_MISMATCH = "FIELD_ARGUMENT_TYPE_MISMATCH"
    FIELD_ARGUMENT_DEFAULT_MISMATCH = "FIELD_ARGUMENT_DEFAULT_MISMATCH"
    INPUT_FIELD_DEFAULT_MISMATCH = "INPUT_FIELD_DEFAULT_MISMATCH"
    REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH = (
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"
    )
    REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH = (
        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"
    )
    EMPTY_MERGED_ENUM_TYPE = "EMPTY_MERGED_ENUM_TYPE"
    ENUM_VALUE_MISMATCH = "ENUM_VALUE_MISMATCH"
    OVERRIDE_ON_INTERFACE = "OVERRIDE_ON_INTERFACE"
    OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE = (
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE"
    )
    OVERRIDE_FROM_SELF_ERROR = "OVERRIDE_FROM_SELF_ERROR"
    OVERRIDE_SOURCE_HAS_OVERRIDE = "OVERRIDE_SOURCE_HAS_OVERRIDE"
    OVERRIDE_LABEL_INVALID = "OVERRIDE_LABEL_INVALID"
    CONTEXT_NAME_INVALID = "CONTEXT_NAME_INVALID"
    CONTEXT_NOT_SET = "CONTEXT_NOT_SET"
    NO_CONTEXT_IN_SELECTION = "NO_CONTEXT_IN_SELECTION"
    CONTEXT_NO_RESOLVABLE_KEY = "CONTEXT_NO_RESOLVABLE_KEY"
    CONTEXT_INVALID_SELECTION = "CONTEXT_INVALID_SELECTION"
    DEFAULT_VALUE_USES_INACCESSIBLE = "DEFAULT_VALUE_USES_INACCESSIBLE"
    ONLY_INACCESSIBLE_CHILDREN = "ONLY_INACCESSIBLE_CHILDREN"
    REQUIRED_INACCESSIBLE = "REQUIRED_INACCESSIBLE"
    IMPLEMENTED_BY_INACCESSIBLE = "IMPLEMENTED_BY_INACCESSIBLE"
    REFERENCED_INACCESSIBLE = "REFERENCED_INACCESSIBLE"
    NO_QUERIES = "NO_QUERIES"
    SATISFIABILITY_ERROR = "SATISFIABILITY_ERROR"

    @property
    def description(self) -> str:
        return _ERROR_DESCRIPTIONS[self]


@unique
class HintCode(StrEnum):
    """Something that composed but probably not as intended."""

    INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE = "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE"
    INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE = (
        "INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE"
    )
    INCONSISTENT_DEFAULT_VALUE_PRESENCE = "INCONSISTENT_DEFAULT_VALUE_PRESENCE"
    INCONSISTENT_DESCRIPTION = "INCONSISTENT_DESCRIPTION"
    INCONSISTENT_UNION_MEMBER = "INCONSISTENT_UNION_MEMBER"
    INCONSISTENT_ARGUMENT_PRESENCE = "INCONSISTENT_ARGUMENT_PRESENCE"
    INCONSISTENT_INPUT_OBJECT_FIELD = "INCONSISTENT_INPUT_OBJECT_FIELD"
    INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM = "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM"
    INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM = "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM"
    UNUSED_ENUM_TYPE = "UNUSED_ENUM_TYPE"
    INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE = (
        "INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE"
    )
    NO_EXECUTABLE_DIRECTIVE_INTERSECTION = "NO_EXECUTABLE_DIRECTIVE_INTERSECTION"
    INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE = (
        "INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE"
    )
    INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS = (
        "INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS"
    )
    FROM_SUBGRAPH_DOES_NOT_EXIST = "FROM_SUBGRAPH_DOES_NOT_EXIST"
    OVERRIDE_DIRECTIVE_CAN_BE_REMOVED = "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED"
    OVERRIDDEN_FIELD_CAN_BE_REMOVED = "OVERRIDDEN_FIELD_CAN_BE_REMOVED"
    OVERRIDE_MIGRATION_IN_PROGRESS = "OVERRIDE_MIGRATION_IN_PROGRESS"

    @property
    def description(self) -> str:
        return _HINT_DESCRIPTIONS[self]


# What a check of one subgraph finds: a code and its message (the caller adds the
# subgraph's name and makes the CompositionError).
Problem = tuple[ErrorCode, str]


def directive_code(directive: str, check: str) -> ErrorCode:
    """The code of `check` for one of @key, @provides, @requires
    (`directive_code("requires", "INVALID_FIELDS")` is REQUIRES_INVALID_FIELDS)."""
    return ErrorCode[f"{directive.upper()}_{check}"]


_E = ErrorCode
_ERROR_DESCRIPTIONS: dict[ErrorCode, str] = {
    _E.NO_SUBGRAPHS: "Composition was given no subgraph.",
    _E.INVALID_SUBGRAPH_NAME: "Two subgraphs have the same name.",
    _E.INVALID_GRAPHQL: "A subgraph's SDL is not valid GraphQL, or applies a"
    " directive with a missing or ill-typed argument.",
    _E.INVALID_SUPERGRAPH: "The printed supergraph does not build (a composer bug).",
    _E.INVALID_LINK_DIRECTIVE_USAGE: "A @link application breaks the link spec.",
    _E.INVALID_LINK_IDENTIFIER: "A @link url is not a valid federation spec URL.",
    _E.DIRECTIVE_COMPOSITION_ERROR: "A @composeDirective names a directive that"
    " cannot be composed.",
    _E.ROOT_QUERY_USED: "A type is named Query while another type is the query root.",
    _E.ROOT_MUTATION_USED: "A type is named Mutation while another type is the"
    " mutation root.",
    _E.ROOT_SUBSCRIPTION_USED: "A type is named Subscription while another type is"
    " the subscription root.",
    _E.KEY_INVALID_FIELDS: "A @key field set does not parse or selects an unknown"
    " field.",
    _E.PROVIDES_INVALID_FIELDS: "A @provides field set does not parse or selects an"
    " unknown field.",
    _E.REQUIRES_INVALID_FIELDS: "A @requires field set does not parse or selects an"
    " unknown field.",
    _E.KEY_INVALID_FIELDS_TYPE: "A @key's `fields` is not a string.",
    _E.PROVIDES_INVALID_FIELDS_TYPE: "A @provides' `fields` is not a string.",
    _E.REQUIRES_INVALID_FIELDS_TYPE: "A @requires' `fields` is not a string.",
    _E.KEY_FIELDS_HAS_ARGS: "A @key selects a field that takes arguments.",
    _E.PROVIDES_FIELDS_HAS_ARGS: "A @provides selects a field that takes arguments.",
    _E.REQUIRES_FIELDS_HAS_ARGS: "A @requires selects a field that takes arguments.",
    _E.PROVIDES_FIELDS_MISSING_EXTERNAL: "A @provides selects a leaf field the"
    " subgraph resolves itself (not @external).",
    _E.REQUIRES_FIELDS_MISSING_EXTERNAL: "A @requires selects a leaf field the"
    " subgraph resolves itself (not @external).",
    _E.KEY_FIELDS_SELECT_INVALID_TYPE: "A @key selects a field of list, interface or"
    " union type.",
    _E.EXTERNAL_UNUSED: "An @external field is used by no @key, @requires, @provides"
    " or interface.",
    _E.EXTERNAL_MISSING_ON_BASE: "A field is @external in every subgraph that"
    " declares it: none resolves it.",
    _E.EXTERNAL_TYPE_MISMATCH: "An @external field's type does not fit the type its"
    " resolving subgraphs give it.",
    _E.MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL: "A directive the supergraph keeps is"
    " applied to an @external field.",
    _E.INTERFACE_OBJECT_USAGE_ERROR: "An @interfaceObject type has no interface of"
    " its name with a @key in another subgraph.",
    _E.INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE: "An entity interface's key does not"
    " reach every implementation in its subgraph.",
    _E.TYPE_KIND_MISMATCH: "A type name has different kinds in different subgraphs.",
    _E.INVALID_FIELD_SHARING: "A field resolved by several subgraphs is not"
    " @shareable in all of them.",
    _E.FIELD_TYPE_MISMATCH: "A field's types in different subgraphs have no common"
    " supertype (or, for input fields, subtype).",
    _E.FIELD_ARGUMENT_TYPE_MISMATCH: "An argument's types in different subgraphs have"
    " no common subtype.",
    _E.FIELD_ARGUMENT_DEFAULT_MISMATCH: "An argument has different default values in"
    " different subgraphs.",
    _E.INPUT_FIELD_DEFAULT_MISMATCH: "An input field has different default values in"
    " different subgraphs.",
    _E.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH: "An argument required in one"
    " subgraph is missing in another.",
    _E.REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH: "An input field required in one"
    " subgraph is missing in another.",
    _E.EMPTY_MERGED_ENUM_TYPE: "An input-only enum has no value common to all its"
    " subgraphs.",
    _E.ENUM_VALUE_MISMATCH: "An enum used as input and output has a value missing in"
    " some subgraph.",
    _E.OVERRIDE_ON_INTERFACE: "@override is applied to an interface field.",
    _E.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE: "@override is combined with a"
    " directive it cannot go with (or used on an @interfaceObject).",
    _E.OVERRIDE_FROM_SELF_ERROR: "@override names its own subgraph as the source.",
    _E.OVERRIDE_SOURCE_HAS_OVERRIDE: "The field @override takes over is itself"
    " @override in the source subgraph.",
    _E.OVERRIDE_LABEL_INVALID: "An @override label is neither a name nor a percentage.",
    _E.CONTEXT_NAME_INVALID: "A @context name is not a valid name.",
    _E.CONTEXT_NOT_SET: "@fromContext names a context no type sets.",
    _E.NO_CONTEXT_IN_SELECTION: "A @fromContext field value names no context.",
    _E.CONTEXT_NO_RESOLVABLE_KEY: "A type using @fromContext has no resolvable key.",
    _E.CONTEXT_INVALID_SELECTION: "A @fromContext selection does not match the"
    " argument's type.",
    _E.DEFAULT_VALUE_USES_INACCESSIBLE: "A visible default value uses an"
    " @inaccessible enum value.",
    _E.ONLY_INACCESSIBLE_CHILDREN: "A visible type has only @inaccessible fields,"
    " values or members.",
    _E.REQUIRED_INACCESSIBLE: "A required argument or input field is @inaccessible.",
    _E.IMPLEMENTED_BY_INACCESSIBLE: "An @inaccessible field implements a visible"
    " interface field.",
    _E.REFERENCED_INACCESSIBLE: "A visible element refers to an @inaccessible type.",
    _E.NO_QUERIES: "No subgraph has a query field.",
    _E.SATISFIABILITY_ERROR: "Some field cannot be reached from a root by any"
    " sequence of subgraph fetches.",
}

_H = HintCode
_HINT_DESCRIPTIONS: dict[HintCode, str] = {
    _H.INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE: "A field's types differ across"
    " subgraphs but merge.",
    _H.INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE: "An argument's types differ across"
    " subgraphs but merge.",
    _H.INCONSISTENT_DEFAULT_VALUE_PRESENCE: "A default value is given in only some"
    " subgraphs, so the supergraph has none.",
    _H.INCONSISTENT_DESCRIPTION: "Subgraphs describe one element differently.",
    _H.INCONSISTENT_UNION_MEMBER: "A union has a member in only some subgraphs.",
    _H.INCONSISTENT_ARGUMENT_PRESENCE: "An optional argument is missing in some"
    " subgraph and left out of the supergraph.",
    _H.INCONSISTENT_INPUT_OBJECT_FIELD: "An optional input field is missing in some"
    " subgraph and left out of the supergraph.",
    _H.INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM: "An input enum's value is missing in"
    " some subgraph and left out.",
    _H.INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM: "An output enum's value is defined in"
    " only some subgraphs.",
    _H.UNUSED_ENUM_TYPE: "An enum is used nowhere; it is merged as an output enum.",
    _H.INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE: "An executable directive is not"
    " defined in every subgraph and is left out.",
    _H.NO_EXECUTABLE_DIRECTIVE_INTERSECTION: "An executable directive's locations"
    " have nothing in common across subgraphs.",
    _H.INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE: "An executable directive is"
    " repeatable in only some subgraphs.",
    _H.INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS: "An executable directive's"
    " locations differ across subgraphs.",
    _H.FROM_SUBGRAPH_DOES_NOT_EXIST: "@override names a subgraph that does not exist.",
    _H.OVERRIDE_DIRECTIVE_CAN_BE_REMOVED: "@override takes over a field the source no"
    " longer resolves.",
    _H.OVERRIDDEN_FIELD_CAN_BE_REMOVED: "A field is fully overridden and can be"
    " removed from its source subgraph.",
    _H.OVERRIDE_MIGRATION_IN_PROGRESS: "A progressive @override (label) is under way.",
}
