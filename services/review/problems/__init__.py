"""The problem procedure (Chapter 2, 第七条–第十一条) inside the review service: a ProblemCase per reported
problem with its flow per category, SLA clocks on the official calendar, the FAQ and the problem ledger.

domain/ is pure; sla.py and clocks.py are pure; adapters.py and documents.py store; handlers.py,
knowledge.py and figures.py are the use cases; policy.py says who may; entrypoints.py is the HTTP API and
the subscriber; wiring.py installs it all on the review service (services/review/bootstrap.py).
"""
