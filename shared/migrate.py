"""Versioned schema migrations per service, with Alembic (decision 0011).

    python -m shared.migrate intake                 # upgrade intake's database (FD_DATABASE_URL) to head
    python -m shared.migrate review current         # the revision it is at
    python -m shared.migrate portal history
    python -m shared.migrate notify upgrade --url postgresql://...

Every service also upgrades its database at start (shared.runtime), one instance at a time. The revisions
of a service live in services/<service>/migrations/ and are plain SQL (shared.schema.execute).
"""

import argparse
import asyncio
import os
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def migrations_dir(service: str) -> Path:
    return ROOT / "services" / service / "migrations"


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "shared" / "migrations"))
    config.set_main_option("version_locations", str(migrations_dir(service)))
    config.set_main_option("path_separator", "os")
    # The URL is passed as an attribute, not an option: a password may hold "%", which options interpolate.
    config.attributes["url"] = url
    return config


def upgrade_sync(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


async def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Upgrade from a running event loop (Alembic's environment runs a loop of its own: use a thread)."""
    await asyncio.to_thread(upgrade_sync, service, url, revision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service", choices=["intake", "review", "dispatch", "notify", "portal"])
    parser.add_argument("command", nargs="?", default="upgrade", choices=["upgrade", "downgrade", "current", "history"])
    parser.add_argument("revision", nargs="?", default=None)
    parser.add_argument("--url", default=os.environ.get("FD_DATABASE_URL") or os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    if not args.url:
        parser.error("give --url or set FD_DATABASE_URL to the service's database")
    config = alembic_config(args.service, args.url)
    if args.command == "upgrade":
        command.upgrade(config, args.revision or "head")
    elif args.command == "downgrade":
        command.downgrade(config, args.revision or "-1")
    elif args.command == "current":
        command.current(config, verbose=True)
    else:
        command.history(config)


if __name__ == "__main__":
    main()
