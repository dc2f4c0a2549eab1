"""A registered, verified taxpayer (and the console) on one app: the preparer-documents firm."""

from tests.preparer_documents.conftest import firm  # noqa: F401  (a fixture)
