from __future__ import annotations

import pytest

from workbench import ConflictError, NotFoundError, ValidationError
from workbench.study import definitions, tasks

from .conftest import LABELS_SCHEMA


def test_versions_are_unique_per_type(study):
    with study.store.transaction() as s:
        definitions.create_definition(s, "classification", "1.1", {"label_schema": LABELS_SCHEMA})
    with pytest.raises(ConflictError) as caught, study.store.transaction() as s:
        definitions.create_definition(s, "classification", "1.1", {"label_schema": LABELS_SCHEMA})
    assert caught.value.field == "version"
    with study.store.session() as s:
        assert [d.version for d in definitions.list_definitions(s, "classification")] == ["1.0", "1.1"]
        assert definitions.get_definition(s, "classification:1.1").version == "1.1"


def test_same_version_on_another_type_is_fine(study):
    with study.store.transaction() as s:
        definitions.create_type(s, "free-text")
        definitions.create_definition(s, "free-text", "1.0", {"label_schema": {"type": "object"}})


@pytest.mark.parametrize("body, field", [
    ("not an object", "definition"),
    ({"ui_config": {}}, "definition.label_schema"),
    ({"label_schema": {"type": "no-such-type"}}, "definition.label_schema.type"),
    ({"label_schema": {"type": "object"}, "ui_config": []}, "definition.ui_config"),
])
def test_bad_definitions_name_the_field(study, body, field):
    with pytest.raises(ValidationError) as caught, study.store.transaction() as s:
        definitions.create_definition(s, "classification", "2.0", body)
    assert caught.value.field == field


def test_a_definition_with_tasks_is_frozen(study):
    with study.store.transaction() as s:
        tasks.create(s, "cats", study.definition.id)
    with pytest.raises(ConflictError), study.store.transaction() as s:
        definitions.update_definition(s, study.definition.id, {"label_schema": {"type": "object"}})


def test_result_validation_names_field_and_reason(study):
    spec = study.definition
    definitions.validate_result(spec, {"labels": ["cat"]})
    with pytest.raises(ValidationError) as caught:
        definitions.validate_result(spec, {"labels": ["cat", "horse"]})
    assert caught.value.field == "result.labels[1]"
    assert "horse" in caught.value.reason
    with pytest.raises(ValidationError) as caught:
        definitions.validate_result(spec, {"labels": []})
    assert caught.value.field == "result.labels"
    with pytest.raises(ValidationError) as caught:
        definitions.validate_result(spec, {})
    assert caught.value.field == "result" and "labels" in caught.value.reason


def test_lookup_errors(study):
    with study.store.session() as s:
        with pytest.raises(NotFoundError):
            definitions.get_definition(s, "classification:9.9")
        with pytest.raises(ValidationError):
            definitions.get_definition(s, "classification")
        with pytest.raises(NotFoundError):
            definitions.get_type(s, "nope")
