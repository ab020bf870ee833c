"""One settings class for every service, read from the environment (pydantic-settings)."""

from datetime import datetime
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FD_", extra="ignore")

    service_name: str = "fiscaldesk"
    # The two names tests and operators already know are accepted as well as the FD_ ones.
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias=AliasChoices("FD_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    # Kafka client security (shared.bus.kafka_security). The defaults are the local stack's PLAINTEXT;
    # docker-compose gives each service SASL_PLAINTEXT, SCRAM-SHA-512 and its own principal
    # (docs/decisions/0007-kafka-sasl-acls.md).
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    # The service's own PostgreSQL database (decision 0011): postgresql://<role>:<password>@host:port/<db>.
    # Each service has its own role, granted its own database only.
    database_url: str | None = None
    database_pool_size: int = 10
    # Prefix of every Kafka topic, so tests and a dev stack can share one broker without meeting.
    topic_prefix: str = "fiscaldesk"
    # How often the Kafka clients refresh the broker's metadata (FD_TOPIC_DISCOVERY_SECONDS): a consumer
    # subscribed by pattern (a vendor's topics) starts reading a topic created meanwhile within this time.
    topic_discovery_seconds: float = Field(30.0, gt=0, le=300)
    keys_dir: Path = ROOT / ".data" / "keys"
    # The token signing key, the portal's alone (FD_PRIVATE_KEY_FILE); unset: keys_dir/private.pem.
    private_key_file: Path | None = None
    # The audit trail (the portal's, shared/audit.py): the key its chain is keyed with, in a file the
    # database does not hold, and where the chain's heads are anchored outside the database, every
    # audit_anchor_minutes and at stop (shared/audit_anchors.py). Back up both, apart (docs/operations.md).
    audit_key_file: Path = ROOT / ".data" / "audit-key" / "audit.key"
    audit_anchor_dir: Path = ROOT / ".data" / "audit-anchors"
    audit_anchor_minutes: float = Field(15, gt=0)
    access_token_minutes: int = 30
    refresh_token_days: int = 7
    # Sign-in: this many wrong passwords in a row from one address lock the user name there for
    # lockout_minutes, four times as many from anywhere lock it everywhere; each further lock lasts twice as
    # long (see docs/security.md).
    lockout_failures: int = 5
    lockout_minutes: int = 15
    sign_in_per_minute: int = 20
    sign_ins_per_source_per_minute: int = 60
    # Reverse proxies in front of the portal whose X-Forwarded-For is believed (FD_TRUSTED_PROXIES='["10.0.0.2"]').
    trusted_proxies: list[str] = Field(default_factory=list)
    # The production start (services/portal/install.py) creates the first system administrator from a
    # secret: FD_ADMIN_PASSWORD_FILE names a file holding the password (a Docker secret, a 0600 file).
    admin_username: str = "admin"
    admin_name: str = "系统管理员"
    admin_password_file: Path | None = None
    submissions_per_minute: int = 30
    # Single sign-on with the province's identity provider over OpenID Connect (docs/security.md): off while
    # the issuer is unset. `oidc_redirect_uri` is the portal's callback as registered at the provider
    # (https://<portal>/api/auth/oidc/callback); `oidc_user_claim` names the ID token claim whose value is the
    # portal user name (a dedicated claim, e.g. an employee number, is steadier than preferred_username).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_uri: str | None = None
    oidc_scopes: str = "openid profile"
    oidc_user_claim: str = "preferred_username"
    oidc_http_timeout_seconds: float = 10
    # Where the portal's gateway finds the other services ({"intake": "http://...", ...}) and the built web UI.
    service_urls: dict[str, str] = Field(default_factory=dict)
    # Review deployed by finance level (docs/decisions/0016): where the gateway sends a reviewer's queue and
    # actions, `level[/area]=url,url;...` (FD_REVIEW_DEPLOYMENTS); empty: every call to service_urls' review.
    review_deployments: str = ""
    web_dist: Path = ROOT / "web" / "dist"
    # Business clock start (see shared/clock.py); unset in production.
    clock_start: datetime | None = None
    # Each finance level reviews within this many working days of its task opening (the region's rule; the
    # procedure sets no limit: docs/decisions/0009-review-deadline.md). FD_REVIEW_WORKING_DAYS.
    review_working_days: int = Field(3, ge=1, le=60)
    relay_interval_seconds: float = 0.5
    consumer_attempts: int = 3
    # How long intake keeps the calendar corrections and extra windows it checks each submission against.
    window_cache_seconds: float = Field(1.0, ge=0, le=60)
    # Handled messages' offsets are committed together this long after the first (shared.bus.OffsetCommits).
    consumer_commit_seconds: float = 0.2
    # Consumers per subscription to named topics in each instance (shared.bus.Consumers.subscribe).
    consumer_workers: int = Field(3, ge=1, le=12)
    max_body_bytes: int = 2 * 1024 * 1024
    # Routes ending in /attachments or /import take files up to this size (plus multipart overhead).
    max_upload_bytes: int = 10 * 1024 * 1024
