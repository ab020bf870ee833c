"""Performance harness: the walking skeleton against a raw pymongo + aiokafka baseline (`make bench`)."""
