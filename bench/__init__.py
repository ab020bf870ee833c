"""Performance harness: the walking skeleton against a raw asyncpg + aiokafka baseline (`make bench`)."""
