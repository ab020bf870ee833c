"""Single sign-on with the province's identity provider (OpenID Connect, docs/security.md): the sign-ins under
way (state, nonce and PKCE verifier between the redirect to the provider and its callback), the one-time
codes that hand a finished sign-in to the web UI, and which provider subject is which portal user.

All three live in the database, not in a process, so the callback may reach another portal instance than
the one that sent the browser to the provider.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from alembic import op

from shared.schema import execute

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute(
        op,
        [
            # Keyed by the SHA-256 of `state`; `browser_digest` is the SHA-256 of the cookie set on the browser
            # that started the sign-in, so a callback carried to another browser (login CSRF) is refused.
            """
            CREATE TABLE oidc_sign_ins (
                state_digest text PRIMARY KEY,
                browser_digest text NOT NULL,
                nonce text NOT NULL,
                code_verifier text NOT NULL,
                next_path text NOT NULL,
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX oidc_sign_ins_expiry ON oidc_sign_ins (expires_at)",
            # What the web UI trades once, within a minute, for the token pair: the tokens never travel in a URL.
            """
            CREATE TABLE oidc_handoffs (
                code_digest text PRIMARY KEY,
                user_id text NOT NULL,
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX oidc_handoffs_expiry ON oidc_handoffs (expires_at)",
            # A provider subject stays bound to the portal user it first signed in as (and a user to one subject
            # per provider): a user name reassigned at the provider does not open someone else's account.
            """
            CREATE TABLE oidc_identities (
                issuer text NOT NULL,
                subject text NOT NULL,
                user_id text NOT NULL,
                first_signed_in_at timestamptz NOT NULL,
                last_signed_in_at timestamptz NOT NULL,
                PRIMARY KEY (issuer, subject),
                UNIQUE (issuer, user_id)
            )
            """,
        ],
    )


def downgrade() -> None:
    execute(op, ["DROP TABLE oidc_identities", "DROP TABLE oidc_handoffs", "DROP TABLE oidc_sign_ins"])
