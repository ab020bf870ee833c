"""The vendor contract in docs/integration/, generated from the code: `python -m services.dispatch.contract`.

Writes asyncapi.yaml (AsyncAPI 3.0), schemas/<Message>.json (JSON Schema 2020-12: the Envelope with the
event as `data`) and the example exchange inside README.md. `--check` only says whether they are current;
services/dispatch/tests/test_contract.py fails when they are not.
"""
