"""A vendor's progress report is read strictly, as the published contract says, and only as its topic's vendor's."""

import copy

import pytest

from services.dispatch.contract.examples import EXAMPLES
from shared.vendor_reports import ReportRefused, read_vendor_report, vendor_actor

[*_, DELIVERED] = EXAMPLES["VendorProgressReported"]  # vendor-a's delivery, as the README shows it


def changed(path: str, value: object) -> dict:
    """The example with the attribute at `path` ("data.note", "actor.org_id") set to `value` (… deleted)."""
    message = copy.deepcopy(DELIVERED)
    *parents, name = path.split(".")
    node = message
    for parent in parents:
        node = node[parent]
    if value is ...:
        del node[name]
    else:
        node[name] = value
    return message


def refusal(message: object, vendor_id: str = "vendor-a") -> ReportRefused:
    with pytest.raises(ReportRefused) as refused:
        read_vendor_report(message, vendor_id)
    return refused.value


def test_the_published_example_is_a_valid_report_of_its_topics_vendor() -> None:
    report = read_vendor_report(DELIVERED, "vendor-a")
    assert (report.data.stage, report.data.version) == ("delivered", "v2027.01.2")
    assert report.time.utcoffset() is not None


@pytest.mark.parametrize(
    ("path", "value", "field", "rule"),
    [
        ("time", "2027-01-23T09:30:00", "time", "value_error"),
        ("time", "2027-01-23", "time", "value_error"),
        ("time", "1769131800", "time", "value_error"),
        ("time", 1769131800, "time", "value_error"),
        ("data.note", "长" * 2001, "data.note", "string_too_long"),
        ("data.version", "v" * 65, "data.version", "string_too_long"),
        ("id", "x" * 65, "id", "string_too_long"),
        ("actor.name", "名" * 101, "actor.name", "string_too_long"),
        ("actor.roles", ["it_division"], "actor.roles.0", "literal_error"),
        ("actor.org_id", ..., "actor.org_id", "missing"),
        ("extra", 1, "extra", "extra_forbidden"),
        ("data.extra", 1, "data.extra", "extra_forbidden"),
        ("type", "RequirementConfirmed", "type", "literal_error"),
        ("dataschema", "fiscaldesk:VendorProgressReported:v2", "dataschema", "literal_error"),
        ("source", "/fiscaldesk/dispatch", "source", "string_pattern_mismatch"),
    ],
)
def test_a_message_breaking_the_published_schema_is_refused_naming_the_field(
    path: str, value: object, field: str, rule: str
) -> None:
    refused = refusal(changed(path, value))
    assert refused.code == "schema_invalid"
    assert (refused.detail[0]["field"], refused.detail[0]["rule"]) == (field, rule), refused.detail


@pytest.mark.parametrize(
    ("path", "value"),
    [("source", "/vendors/vendor-b"), ("actor.org_id", "vendor-b"), ("data.vendor_id", "vendor-b")],
)
def test_a_message_naming_another_vendor_than_its_topics_is_refused(path: str, value: str) -> None:
    refused = refusal(changed(path, value))
    assert (refused.code, refused.detail[0]["field"]) == ("vendor_mismatch", path)


def test_the_report_of_one_vendor_is_refused_on_another_vendors_topic() -> None:
    assert refusal(DELIVERED, "vendor-b").code == "vendor_mismatch"


def test_a_subject_other_than_the_ticket_is_refused() -> None:
    assert refusal(changed("subject", "REQ-202612-00000000")).code == "subject_mismatch"


@pytest.mark.parametrize("body", [b"not json", "a text", [DELIVERED], None])
def test_what_is_not_an_object_at_all_is_refused_not_raised(body: object) -> None:
    assert refusal(body).code == "schema_invalid"


def test_the_actor_of_a_report_is_the_vendor_of_its_topic() -> None:
    actor = vendor_actor("vendor-a")
    assert (actor.user_id, actor.org_id, actor.roles) == ("vendor-a", "vendor-a", ["vendor"])
    assert actor.name == "北疆软件有限公司（示例）"
