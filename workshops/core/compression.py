"""Compression of text responses: brotli or gzip, whichever the browser takes (Flask-Compress).

On a satellite or 3G link in the field the bytes are what costs: HTML, CSS,
JS, JSON and CSV shrink three to ten times. The types and the minimum size
are in config.py (COMPRESS_*); PDF, images, XLSX and archives are already
compressed and are never in the list. A reverse proxy may compress instead
(README, "Deploying"): a response that already has a Content-Encoding is left alone.

Compressed pages with a secret (the CSRF token) and text an attacker chose can
leak the secret by their size (BREACH). The attack needs the victim's browser to
send many cross-site requests with the session cookie, which SameSite=Lax
cookies refuse, and the token is re-signed with a timestamp on each page.
"""

from ..extensions import compress


def compress_response(response):
    """after_request: compress the response when the browser accepts it and it is worth it."""
    # A 206 answers a byte range of the uncompressed file; compressing the part would be wrong
    # (Flask-Compress does not check), and such ranges are never text pages.
    if response.status_code == 206:
        return response
    return compress.after_request(response)


def init_app(app):
    """Register first, so that it runs last, after every other after_request function."""
    compress.init_app(app)  # COMPRESS_REGISTER is False: only reads the settings
    app.after_request(compress_response)
