from tests.english import english  # noqa: F401
