"""fiscaldesk's common package: events and topics, bus and store helpers, auth, calendar, org tree, settings."""
