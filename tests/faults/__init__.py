"""Fault tests: crashes, a database restart, a full disk, a media server that dies (issue 10)."""
