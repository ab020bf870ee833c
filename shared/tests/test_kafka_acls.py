"""infra/compose/acls.sh keeps up with shared/topics.py: a topic nobody may write is a topic nobody can use
under docker-compose's deny-by-default Kafka (docs/decisions/0007-kafka-sasl-acls.md)."""

import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from shared.orgtree import VENDORS
from shared.topics import Topics

ACLS = Path(__file__).resolve().parents[2] / "infra" / "compose" / "acls.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="acls.sh is a bash script")


@cache
def grants() -> list[tuple[set[str], set[str], str, str, list[str]]]:
    """(principals, operations, resource type, pattern type, names) for every line of acls.sh."""
    lines = subprocess.run(
        ["bash", "-c", f'. "{ACLS}" && acl_lines'], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    result = []
    for line in lines:
        who, ops, kind, pattern, *names = line.split()
        result.append((set(who.split(",")), set(ops.split(",")), kind, pattern, names))
    return result


def principals_allowed(operation: str, topic: str) -> set[str]:
    return {
        who
        for principals, ops, kind, pattern, names in grants()
        if kind == "topic" and operation in ops
        for name in names
        if (pattern == "literal" and name == topic) or (pattern == "prefixed" and topic.startswith(name))
        for who in principals
    }


def every_topic(topics: Topics) -> list[str]:
    """The static topics and each vendor's two (its work orders, its progress)."""
    per_vendor = [(topics.work_orders(vendor_id), topics.vendor_progress(vendor_id)) for vendor_id, _ in VENDORS]
    return [*topics.static, *(topic for pair in per_vendor for topic in pair)]


def test_every_topic_has_a_writer_and_a_reader() -> None:
    topics = Topics("fiscaldesk")
    for topic in every_topic(topics):
        assert principals_allowed("Write", topic), f"nobody may write {topic}: add it to infra/compose/acls.sh"
        assert principals_allowed("Read", topic), f"nobody may read {topic}"


def test_a_vendor_reads_only_its_own_work_orders_and_writes_only_its_own_progress() -> None:
    topics = Topics("fiscaldesk")
    for vendor_id, _ in VENDORS:
        readable = {t for t in every_topic(topics) if vendor_id in principals_allowed("Read", t)}
        writable = {t for t in every_topic(topics) if vendor_id in principals_allowed("Write", t)}
        assert readable == {topics.work_orders(vendor_id)}
        assert writable == {topics.vendor_progress(vendor_id)}
        assert "dispatch" in principals_allowed("Read", topics.vendor_progress(vendor_id))


def test_the_principals_are_admin_the_services_and_the_vendors() -> None:
    listed = subprocess.run(["bash", str(ACLS), "principals"], check=True, capture_output=True, text=True)
    assert listed.stdout.split() == [
        "admin",
        "intake",
        "review",
        "dispatch",
        "notify",
        "portal",
        *(vendor_id for vendor_id, _ in VENDORS),
    ]


def test_a_vendor_added_at_run_time_needs_only_its_own_grants() -> None:
    """dispatch, notify and the portal hold theirs on every vendor's topics by prefix, so a vendor the region
    adds at run time (dispatch creates its topics) needs only the four grants of VENDOR_ACLS."""
    topics = Topics("fiscaldesk")
    work_orders, progress = topics.of_vendor("vendor-added-later")
    assert {"dispatch", "portal"} <= principals_allowed("Read", progress)
    assert "dispatch" in principals_allowed("Write", work_orders)
    assert {"notify", "portal"} <= principals_allowed("Read", work_orders)
    assert "dispatch" in principals_allowed("Read", topics.directory), "dispatch hears of new vendors"
    assert principals_allowed("Write", progress) == set(), "only the vendor, once its own grants are added"
