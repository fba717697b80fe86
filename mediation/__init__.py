"""The aiortc media server of the ODR service (see mediation/README.md).

The web app imports only :mod:`mediation.protocol`; everything else here needs
aiortc and PyAV and runs in its own process (``python -m mediation``).
"""
