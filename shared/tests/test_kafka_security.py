"""FD_KAFKA_* settings → the broker's security and aiokafka's arguments (shared.bus.kafka_security)."""

import pytest
from faststream.security import SASLScram512

from shared.bus import kafka_client_options, kafka_security, make_broker
from shared.settings import Settings


@pytest.fixture(autouse=True)
def no_kafka_security_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECURITY_PROTOCOL", "SASL_MECHANISM", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"FD_KAFKA_{name}", raising=False)


def settings(**values: str) -> Settings:
    return Settings(**values)


def test_without_settings_kafka_stays_plaintext_and_every_client_gets_no_extra_argument() -> None:
    security = kafka_security(settings())
    assert security is None
    assert kafka_client_options(security) == {}


def test_scram_settings_give_the_broker_and_the_plain_clients_the_same_principal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FD_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("FD_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("FD_KAFKA_USERNAME", "review")
    monkeypatch.setenv("FD_KAFKA_PASSWORD", "s3cret")
    loaded = Settings()
    assert "s3cret" not in repr(loaded), "the password stays out of logs and tracebacks"

    security = kafka_security(loaded)
    assert isinstance(security, SASLScram512)
    assert kafka_client_options(security) == {
        "security_protocol": "SASL_PLAINTEXT",
        "ssl_context": None,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "review",
        "sasl_plain_password": "s3cret",
    }
    make_broker("kafka:9092", client_id="review", security=security)  # accepted; connects only on start


def test_the_mechanism_defaults_to_scram_sha_512_and_sasl_ssl_gets_a_tls_context() -> None:
    options = kafka_client_options(
        kafka_security(settings(kafka_security_protocol="SASL_SSL", kafka_username="notify", kafka_password="pw"))
    )
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["ssl_context"] is not None


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"kafka_security_protocol": "SASL_PLAINTEXT"}, "FD_KAFKA_USERNAME"),
        ({"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_username": "intake"}, "FD_KAFKA_PASSWORD"),
        ({"kafka_username": "intake", "kafka_password": "pw"}, "PLAINTEXT"),
        ({"kafka_security_protocol": "KERBEROS"}, "FD_KAFKA_SECURITY_PROTOCOL"),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_sasl_mechanism": "GSSAPI",
                "kafka_username": "intake",
                "kafka_password": "pw",
            },
            "FD_KAFKA_SASL_MECHANISM",
        ),
    ],
)
def test_half_given_security_settings_are_refused_at_start(env: dict[str, str], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        kafka_security(settings(**env))
