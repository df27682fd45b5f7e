"""Security headers sent with every response."""

from flask import current_app

# No inline script, no other origin: the app must work on a network with no internet.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# Sent only when SESSION_COOKIE_SECURE says the site is served over HTTPS: the browser
# then refuses plain HTTP to this host for a year (a site still on HTTP would lock itself out).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def security_headers(response):
    """Add the security headers to every response."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response
