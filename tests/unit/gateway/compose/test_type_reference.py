from graphql import parse_type

from gateway.compose.type_reference import TypeReference


def _reference(text: str) -> TypeReference:
    return TypeReference.from_ast(parse_type(text))


def test_type_reference_prints_as_parsed() -> None:
    for text in ("T", "T!", "[T]", "[T!]!", "[[T]!]"):
        assert str(_reference(text)) == text


def test_type_reference_says_what_it_wraps() -> None:
    reference = _reference("[T!]!")
    assert reference.non_null
    assert reference.is_list
    assert reference.named == "T"
    assert str(reference.nullable()) == "[T!]"
    assert _reference("T!") == TypeReference(name="T").as_non_null()


def test_type_reference_renames_imported_names() -> None:
    reference = TypeReference.from_ast(parse_type("[Key!]"), {"Key": "federation__Key"})
    assert str(reference) == "[federation__Key!]"
