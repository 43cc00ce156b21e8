"""Signing and verifying with GnuPG (python-gnupg): the project's keyring,
sovereign approval documents and the services' ledger signatures. Not a
Dagster resource: the database layer, the resources and the CLI all use it."""
