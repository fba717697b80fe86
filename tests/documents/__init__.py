"""Tests of the documents room's renderer (run without the Flask app)."""
