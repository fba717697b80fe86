"""End-to-end tests: the whole product in real headless Chromium browsers."""
