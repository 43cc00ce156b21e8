"""One partition per registered document; the key is its doc_code."""

from dagster import DynamicPartitionsDefinition

documents = DynamicPartitionsDefinition(name="documents")

RUN_ID_TAG = "cutter/run_id"
MODE_TAG = "cutter/mode"
